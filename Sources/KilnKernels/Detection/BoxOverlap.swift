// Pairwise IoU of (x0, y0, x1, y1) boxes with detectron2's `pairwise_iou` rule: areas are (x1 − x0)(y1 − y0)
// without clamping, the intersection's sides are clamped at 0, and IoU = inter / (area_a + area_b − inter) where
// inter > 0, else 0 (so empty, inverted and padded all-zero boxes overlap nothing).
//
// The fast kernel stores b's boxes as columns (x0, y0, x1, y1, area) in scratch and evaluates 16 b-boxes per
// step; it performs the same float operations in the same order as `iou`, so both give identical results.

/// IoU matrices between two box sets.
public enum BoxOverlap {
    /// IoU of two boxes in the arithmetic of `T` (the scalar rule every kernel follows).
    @inline(__always)
    public static func iou<T: BinaryFloatingPoint>(_ a: (T, T, T, T), _ b: (T, T, T, T)) -> T {
        let areaA = (a.2 - a.0) * (a.3 - a.1), areaB = (b.2 - b.0) * (b.3 - b.1)
        let w = Swift.max(Swift.min(a.2, b.2) - Swift.max(a.0, b.0), 0)
        let h = Swift.max(Swift.min(a.3, b.3) - Swift.max(a.1, b.1), 0)
        let inter = w * h
        return inter > 0 ? inter / (areaA + areaB - inter) : 0
    }

    /// Scratch floats `pairwise` needs for `m` b-boxes.
    public static func scratchFloats(m: Int) -> Int { 5 * m }

    /// out[i, j] = IoU(a[i], b[j]).
    /// - Parameters:
    ///   - a: (n, 4)
    ///   - b: (m, 4)
    ///   - out: (n, m)
    ///   - scratch: `scratchFloats(m:)` floats
    public static func pairwise(a: UnsafePointer<Float>, n: Int, b: UnsafePointer<Float>, m: Int,
                                out: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>, pool: ThreadPool) {
        let bx0 = scratch, by0 = scratch + m, bx1 = scratch + 2 * m, by1 = scratch + 3 * m, bArea = scratch + 4 * m
        for j in 0..<m {
            bx0[j] = b[4 * j]; by0[j] = b[4 * j + 1]; bx1[j] = b[4 * j + 2]; by1[j] = b[4 * j + 3]
            bArea[j] = (bx1[j] - bx0[j]) * (by1[j] - by0[j])
        }
        pool.parallelChunks(n, minChunk: max(1, 8192 / max(m, 1))) { rows in
            for i in rows {
                let ax0 = a[4 * i], ay0 = a[4 * i + 1], ax1 = a[4 * i + 2], ay1 = a[4 * i + 3]
                let areaA = (ax1 - ax0) * (ay1 - ay0)
                let row = out + i * m
                var j = 0
                let vx0 = SIMD16<Float>(repeating: ax0), vy0 = SIMD16<Float>(repeating: ay0)
                let vx1 = SIMD16<Float>(repeating: ax1), vy1 = SIMD16<Float>(repeating: ay1)
                let vArea = SIMD16<Float>(repeating: areaA), zero = SIMD16<Float>(repeating: 0)
                while j + 16 <= m {
                    let w = laneMax(laneMin(vx1, load16(bx1 + j)) - laneMax(vx0, load16(bx0 + j)), zero)
                    let h = laneMax(laneMin(vy1, load16(by1 + j)) - laneMax(vy0, load16(by0 + j)), zero)
                    let inter = w * h
                    let value = inter / (vArea + load16(bArea + j) - inter)
                    store16(value.replacing(with: 0, where: .!(inter .> zero)), row + j)
                    j += 16
                }
                while j < m {
                    let w = Swift.max(Swift.min(ax1, bx1[j]) - Swift.max(ax0, bx0[j]), 0)
                    let h = Swift.max(Swift.min(ay1, by1[j]) - Swift.max(ay0, by0[j]), 0)
                    let inter = w * h
                    row[j] = inter > 0 ? inter / (areaA + bArea[j] - inter) : 0
                    j += 1
                }
            }
        }
    }

    /// Naive reference: out[i·m + j] = iou(a[i], b[j]) for flat (n, 4) and (m, 4) arrays.
    public static func naivePairwise<T: BinaryFloatingPoint>(_ a: [T], _ b: [T]) -> [T] {
        let n = a.count / 4, m = b.count / 4
        var out = [T](repeating: 0, count: n * m)
        for i in 0..<n {
            for j in 0..<m {
                out[i * m + j] = iou((a[4 * i], a[4 * i + 1], a[4 * i + 2], a[4 * i + 3]),
                                     (b[4 * j], b[4 * j + 1], b[4 * j + 2], b[4 * j + 3]))
            }
        }
        return out
    }
}

/// Lane-wise `Swift.min(a, b)` (b where b < a, else a). Masked selects vectorise; the standard library's
/// `pointwiseMin` follows IEEE minimum lane by lane and does not.
@inline(__always)
func laneMin(_ a: SIMD16<Float>, _ b: SIMD16<Float>) -> SIMD16<Float> { a.replacing(with: b, where: b .< a) }

/// Lane-wise `Swift.max(a, b)` (b where b ≥ a, else a).
@inline(__always)
func laneMax(_ a: SIMD16<Float>, _ b: SIMD16<Float>) -> SIMD16<Float> { a.replacing(with: b, where: b .>= a) }
