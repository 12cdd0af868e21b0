// detectron2's `Matcher` over a quality matrix laid out (anchors, ground truths), restricted to the first
// `valid` ground-truth columns (padded ones never match):
// - each anchor's matched index is the valid column with the highest quality (ties: the lower column; NaN never
//   wins; an anchor whose row is all −inf/NaN keeps index 0);
// - its label is labels[k] where k counts the thresholds t with quality ≥ t (detectron2's half-open intervals
//   [t_k, t_k+1) with −inf and +inf added at the ends), compared in the element type;
// - with low-quality matches, every anchor whose quality equals some valid column's maximum (ties included, even
//   when that maximum is 0, as in detectron2) gets label 1; its matched index is not changed;
// - with no valid column every anchor gets index 0 and labels[0] (detectron2's empty-matrix case).
// Output per anchor: (matched index, label) as Int32.

/// Anchor-to-ground-truth matching.
public enum AnchorMatching {
    /// Scratch floats `match` needs for `gts` columns.
    public static func scratchFloats(gts: Int) -> Int { gts }

    @inline(__always)
    static func label<T: BinaryFloatingPoint>(_ value: T, _ thresholds: [T], _ labels: [Int32]) -> Int32 {
        var k = 0
        while k < thresholds.count && value >= thresholds[k] { k += 1 }
        return labels[k]
    }

    /// Matches n anchors against the first `valid` of g columns.
    /// - Parameters:
    ///   - quality: (n, g)
    ///   - thresholds: ascending, labels.count − 1 of them
    ///   - out: (n, 2) = (matched index, label)
    ///   - columnMax: `scratchFloats(gts: g)` floats
    public static func match(quality q: UnsafePointer<Float>, n: Int, g: Int, valid: Int, thresholds: [Float],
                             labels: [Int32], allowLowQuality: Bool, out: UnsafeMutablePointer<Int32>,
                             columnMax: UnsafeMutablePointer<Float>, pool: ThreadPool) {
        let valid = Swift.min(Swift.max(valid, 0), g)
        if valid == 0 {
            for i in 0..<n { out[2 * i] = 0; out[2 * i + 1] = labels[0] }
            return
        }
        pool.parallelChunks(n, minChunk: Swift.max(1, 16_384 / valid)) { rows in
            for i in rows {
                let row = q + i * g
                var best = -Float.infinity, index = 0
                for j in 0..<valid where row[j] > best {
                    best = row[j]
                    index = j
                }
                out[2 * i] = Int32(truncatingIfNeeded: index)
                out[2 * i + 1] = label(best, thresholds, labels)
            }
        }
        guard allowLowQuality else { return }
        columnMax.update(repeating: -.infinity, count: valid)
        for i in 0..<n {
            let row = q + i * g
            var j = 0
            while j + 16 <= valid {
                let best = load16(columnMax + j), value = load16(row + j)
                store16(best.replacing(with: value, where: value .> best), columnMax + j)
                j += 16
            }
            while j < valid {
                if row[j] > columnMax[j] { columnMax[j] = row[j] }
                j += 1
            }
        }
        pool.parallelChunks(n, minChunk: Swift.max(1, 16_384 / valid)) { rows in
            for i in rows {
                let row = q + i * g
                var hit = false, j = 0
                while j + 16 <= valid && !hit {
                    hit = any(load16(row + j) .== load16(columnMax + j))
                    j += 16
                }
                while j < valid && !hit {
                    hit = row[j] == columnMax[j]
                    j += 1
                }
                if hit { out[2 * i + 1] = 1 }
            }
        }
    }

    /// Naive reference in T, written after detectron2's `Matcher.__call__`; `quality` is flat (n, g).
    /// Returns flat (n, 2) pairs (matched index, label).
    public static func naive<T: BinaryFloatingPoint>(quality: [T], n: Int, g: Int, valid: Int, thresholds: [Double],
                                                     labels: [Int], allowLowQuality: Bool) -> [Int] {
        let valid = Swift.min(Swift.max(valid, 0), g)
        if valid == 0 { return (0..<n).flatMap { _ in [0, labels[0]] } }
        var matches = [Int](repeating: 0, count: n), values = [T](repeating: -.infinity, count: n)
        for i in 0..<n {
            for j in 0..<valid where quality[i * g + j] > values[i] {
                values[i] = quality[i * g + j]
                matches[i] = j
            }
        }
        var matchLabels = [Int](repeating: 1, count: n)
        let bounds = [-T.infinity] + thresholds.map { T($0) } + [T.infinity]
        for (k, l) in labels.enumerated() {
            for i in 0..<n where values[i] >= bounds[k] && values[i] < bounds[k + 1] { matchLabels[i] = l }
        }
        if allowLowQuality {
            for j in 0..<valid {
                let highest = (0..<n).map { quality[$0 * g + j] }.max() ?? -.infinity
                for i in 0..<n where quality[i * g + j] == highest { matchLabels[i] = 1 }
            }
        }
        return (0..<n).flatMap { [matches[$0], matchLabels[$0]] }
    }
}
