// Exact k-nearest-neighbour search by dot product (cosine similarity when rows are L2-normalised): similarities of
// a block of queries against the whole gallery are one GEMM, then each row keeps its k best in a bounded min-heap.
// Memory stays at `queryBlock × galleryRows` floats whatever the number of queries.

import KilnKernels

/// One neighbour: a gallery row and its similarity to the query.
public struct Neighbour: Equatable, Sendable {
    public var index: Int
    public var similarity: Float

    public init(index: Int, similarity: Float) {
        self.index = index
        self.similarity = similarity
    }
}

public enum NearestNeighbours {
    /// The `k` gallery rows most similar to each query row, best first (ties: lower index first).
    /// - Parameters:
    ///   - excluding: per query, a gallery row to skip (the query itself when queries are drawn from the gallery).
    public static func search(queries: FeatureMatrix, gallery: FeatureMatrix, k: Int, excluding: [Int?]? = nil,
                              queryBlock: Int = 256) throws -> [[Neighbour]] {
        guard queries.columns == gallery.columns else {
            throw AnalysisError("queries have \(queries.columns) features but the gallery has \(gallery.columns)")
        }
        guard k > 0 else { throw AnalysisError("k must be positive, got \(k)") }
        if let excluding, excluding.count != queries.rows {
            throw AnalysisError("\(excluding.count) exclusions for \(queries.rows) queries")
        }
        let n = gallery.rows, d = queries.columns, block = max(1, queryBlock)
        var result: [[Neighbour]] = []
        result.reserveCapacity(queries.rows)
        guard n > 0 else { return Array(repeating: [], count: queries.rows) }
        var similarities = [Float](repeating: 0, count: min(block, max(queries.rows, 1)) * n)
        var start = 0
        while start < queries.rows {
            let m = min(block, queries.rows - start)
            queries.values.withUnsafeBufferPointer { q in
                gallery.values.withUnsafeBufferPointer { g in
                    similarities.withUnsafeMutableBufferPointer { s in
                        // s (m, n) = q[start..<start+m] (m, d) · gᵀ (d, n)
                        Gemm.sgemm(transA: false, transB: true, m: m, n: n, k: d, alpha: 1,
                                   a: q.baseAddress! + start * d, lda: d, b: g.baseAddress!, ldb: d,
                                   beta: 0, c: s.baseAddress!, ldc: n)
                    }
                }
            }
            for r in 0..<m {
                var top = TopK(k)
                let skip = excluding?[start + r]
                for j in 0..<n where j != skip { top.insert(j, similarities[r * n + j]) }
                result.append(top.sorted())
            }
            start += m
        }
        return result
    }
}

/// The k largest (value, index) pairs seen: a min-heap whose root is the weakest kept entry.
struct TopK {
    let k: Int
    private var heap: [Neighbour] = []

    init(_ k: Int) {
        self.k = k
        heap.reserveCapacity(k)
    }

    /// Whether a beats b (higher similarity; the lower index on ties).
    @inline(__always)
    private static func better(_ a: Neighbour, _ b: Neighbour) -> Bool {
        a.similarity > b.similarity || (a.similarity == b.similarity && a.index < b.index)
    }

    mutating func insert(_ index: Int, _ similarity: Float) {
        let item = Neighbour(index: index, similarity: similarity)
        if heap.count < k {
            heap.append(item)
            var i = heap.count - 1
            while i > 0 {
                let parent = (i - 1) / 2
                guard TopK.better(heap[parent], heap[i]) else { break }
                heap.swapAt(parent, i)
                i = parent
            }
        } else if TopK.better(item, heap[0]) {
            heap[0] = item
            var i = 0
            while true {
                let l = 2 * i + 1, r = l + 1
                var weakest = i
                if l < heap.count && TopK.better(heap[weakest], heap[l]) { weakest = l }
                if r < heap.count && TopK.better(heap[weakest], heap[r]) { weakest = r }
                if weakest == i { break }
                heap.swapAt(i, weakest)
                i = weakest
            }
        }
    }

    /// The kept entries, best first.
    func sorted() -> [Neighbour] { heap.sorted(by: TopK.better) }
}
