// Image retrieval as in DetCo's appendix (detco-spec §4.4, paper Fig. 7): gallery images embedded by GAP(Res5) and
// L2-normalised, a few seeded query images drawn from the gallery, and for each query its 9 most cosine-similar
// gallery images (the query itself excluded). With labels, the share of neighbours that match their query's label
// summarises the grid in one number.

import KilnKernels

/// A query (a gallery index) and its neighbours, best first.
public struct RetrievalRow: Equatable, Sendable {
    public var query: Int
    public var neighbours: [Neighbour]

    public init(query: Int, neighbours: [Neighbour]) {
        self.query = query
        self.neighbours = neighbours
    }
}

public enum Retrieval {
    /// `count` distinct gallery indices in 0..<galleryCount, drawn with `seed` (all of them, shuffled, if fewer).
    public static func pickQueries(galleryCount: Int, count: Int, seed: UInt64) -> [Int] {
        var order = Array(0..<galleryCount)
        var rng = RandomStream(seed: seed, stream: 0x9E7_81E7E)
        rng.shuffle(&order)
        return Array(order.prefix(max(count, 0)))
    }

    /// The `k` nearest gallery rows of each query by cosine similarity, the query's own row excluded.
    public static func search(gallery: FeatureMatrix, queries: [Int], k: Int = 9) throws -> [RetrievalRow] {
        if let bad = queries.first(where: { $0 < 0 || $0 >= gallery.rows }) {
            throw AnalysisError("query \(bad) is not a gallery index (0..<\(gallery.rows))")
        }
        let normalized = gallery.l2Normalized()
        let found = try NearestNeighbours.search(queries: normalized.selecting(queries), gallery: normalized, k: k,
                                                 excluding: queries.map { Optional($0) })
        return zip(queries, found).map { RetrievalRow(query: $0, neighbours: $1) }
    }

    /// Fraction of all neighbours whose label equals their query's (nil when there are no neighbours or labels).
    public static func labelPrecision<Label: Equatable>(_ rows: [RetrievalRow], labels: [Label?]) -> Double? {
        var hits = 0, total = 0
        for row in rows {
            guard let q = labels[row.query] else { continue }
            for n in row.neighbours {
                guard let l = labels[n.index] else { continue }
                total += 1
                if l == q { hits += 1 }
            }
        }
        return total > 0 ? Double(hits) / Double(total) : nil
    }
}
