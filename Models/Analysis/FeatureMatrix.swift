// A dense row-major matrix of features (one row per image), with the normalisations the evaluations use:
// L2 per row (cosine similarity for kNN and retrieval) and per-column standardisation (the linear probe).

import Foundation

/// `rows × columns` Float values, row-major.
public struct FeatureMatrix: Equatable, Sendable {
    public var rows: Int
    public var columns: Int
    public var values: [Float]

    public init(rows: Int, columns: Int, values: [Float]) {
        precondition(values.count == rows * columns, "FeatureMatrix: \(values.count) values for \(rows)×\(columns)")
        self.rows = rows
        self.columns = columns
        self.values = values
    }

    /// Row `i` as an array.
    public func row(_ i: Int) -> [Float] { Array(values[(i * columns)..<((i + 1) * columns)]) }

    /// The rows at `indices`, in that order.
    public func selecting(_ indices: [Int]) -> FeatureMatrix {
        var out = [Float]()
        out.reserveCapacity(indices.count * columns)
        for i in indices { out += values[(i * columns)..<((i + 1) * columns)] }
        return FeatureMatrix(rows: indices.count, columns: columns, values: out)
    }

    /// Every row scaled to unit L2 norm (an all-zero row stays zero).
    public func l2Normalized() -> FeatureMatrix {
        var out = values
        for r in 0..<rows {
            let base = r * columns
            var sum: Double = 0
            for c in 0..<columns { sum += Double(out[base + c]) * Double(out[base + c]) }
            let scale = sum > 0 ? Float(1 / sum.squareRoot()) : 0
            for c in 0..<columns { out[base + c] *= scale }
        }
        return FeatureMatrix(rows: rows, columns: columns, values: out)
    }

    /// Per-column mean and standard deviation (population; a constant column gets std 1).
    public func columnStatistics() -> (mean: [Float], std: [Float]) {
        var mean = [Double](repeating: 0, count: columns), square = [Double](repeating: 0, count: columns)
        for r in 0..<rows {
            for c in 0..<columns {
                let v = Double(values[r * columns + c])
                mean[c] += v
                square[c] += v * v
            }
        }
        let n = Double(max(rows, 1))
        let m = mean.map { $0 / n }
        let s = zip(square, m).map { sq, mu -> Float in
            let variance = sq / n - mu * mu
            return variance > 1e-12 ? Float(variance.squareRoot()) : 1
        }
        return (m.map(Float.init), s)
    }

    /// (x − mean) / std per column.
    public func standardized(mean: [Float], std: [Float]) -> FeatureMatrix {
        precondition(mean.count == columns && std.count == columns, "FeatureMatrix.standardized: statistics for \(mean.count) columns, matrix has \(columns)")
        var out = values
        for r in 0..<rows {
            for c in 0..<columns { out[r * columns + c] = (out[r * columns + c] - mean[c]) / std[c] }
        }
        return FeatureMatrix(rows: rows, columns: columns, values: out)
    }
}
