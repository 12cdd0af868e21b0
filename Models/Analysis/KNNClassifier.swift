// Weighted k-nearest-neighbour classification on frozen features, the monitor of InstDisc (Wu et al. 2018) and
// of MoCo-style evaluations: features are L2-normalised, each test image takes its k most cosine-similar training
// images, each votes for its label with weight exp(similarity / τ), and the class with the largest total wins.
// Defaults: k = 200, τ = 0.07 (InstDisc's values).

import Foundation

/// Weighted cosine kNN over a labelled gallery.
public struct KNNClassifier: Sendable {
    public var k: Int
    public var temperature: Double
    public var classes: Int

    public init(k: Int = 200, temperature: Double = 0.07, classes: Int) {
        self.k = k
        self.temperature = temperature
        self.classes = classes
    }

    /// The predicted class of each query row. Rows are L2-normalised here, so raw features may be passed.
    public func predict(queries: FeatureMatrix, gallery: FeatureMatrix, galleryLabels: [Int]) throws -> [Int] {
        guard galleryLabels.count == gallery.rows else {
            throw AnalysisError("\(galleryLabels.count) labels for \(gallery.rows) gallery rows")
        }
        guard classes > 0, temperature > 0 else { throw AnalysisError("kNN needs classes > 0 and temperature > 0") }
        if let bad = galleryLabels.first(where: { $0 < 0 || $0 >= classes }) {
            throw AnalysisError("gallery label \(bad) is outside 0..<\(classes)")
        }
        let neighbours = try NearestNeighbours.search(queries: queries.l2Normalized(), gallery: gallery.l2Normalized(),
                                                      k: min(k, max(gallery.rows, 1)))
        return neighbours.map { list in
            var votes = [Double](repeating: 0, count: classes)
            // Weights relative to the best neighbour: exp((s − s₀)/τ) has the same argmax and cannot overflow.
            let best = Double(list.first?.similarity ?? 0)
            for n in list { votes[galleryLabels[n.index]] += exp((Double(n.similarity) - best) / temperature) }
            return votes.indices.max { votes[$0] < votes[$1] || (votes[$0] == votes[$1] && $0 > $1) } ?? 0
        }
    }
}

/// Fraction of predictions equal to the labels (top-1 accuracy in [0, 1]).
public func topOneAccuracy(_ predictions: [Int], _ labels: [Int]) -> Double {
    guard !labels.isEmpty, predictions.count == labels.count else { return 0 }
    return Double(zip(predictions, labels).filter { $0 == $1 }.count) / Double(labels.count)
}
