// Greedy non-maximum suppression with torchvision's `nms` / `batched_nms` semantics:
// - candidates are the boxes with score > scoreThreshold (NaN scores never are), visited in descending score
//   order with ties by lower index (DescendingOrder);
// - a candidate is kept unless a kept box of the same class (when classes are given) overlaps it with
//   IoU > iouThreshold, where IoU = inter / (area_kept + area_candidate − inter) (torchvision's kernel: no
//   clamping of areas, intersection sides clamped at 0; 0/0 is NaN and suppresses nothing). The IoU is computed
//   in Float and compared with the threshold in Double, like torchvision's CPU kernel;
// - at most maxOutputs indices are written, in keep order; the rest of `keep` is −1.
// Per-class suppression is exact (no coordinate-offset trick, whose float rounding can change IoUs).
//
// The fast kernel checks each candidate against the kept boxes held as columns in scratch, 16 at a time.

/// Greedy NMS over one set of boxes.
public enum NonMaxSuppression {
    /// Scratch bytes `run` needs for `count` boxes and `maxOutputs` kept boxes.
    public static func scratchBytes(count: Int, maxOutputs: Int) -> Int {
        let columns = (maxOutputs + 16) * MemoryLayout<Float>.stride * 5 + (maxOutputs + 16) * MemoryLayout<Int32>.stride
        return DescendingOrder.scratchBytes(count: count) + count * MemoryLayout<Int32>.stride + columns
    }

    /// The largest Float t such that x > t ⇔ Double(x) > threshold for every Float x.
    @inline(__always)
    static func floatBound(_ threshold: Double) -> Float {
        if threshold.isNaN { return .nan }
        var t = Float(threshold)
        if Double(t) > threshold { t = t.nextDown }
        return t
    }

    /// Writes the kept indices to keep[0..<maxOutputs] (−1 padded).
    /// - Parameters:
    ///   - boxes: (count, 4) as (x0, y0, x1, y1)
    ///   - scores: (count,)
    ///   - classes: (count,) or nil for class-agnostic suppression
    ///   - keep: (maxOutputs,)
    ///   - scratch: `scratchBytes(count:maxOutputs:)` bytes
    public static func run(boxes: UnsafePointer<Float>, scores: UnsafePointer<Float>, classes: UnsafePointer<Int32>?,
                           count: Int, iouThreshold: Double, scoreThreshold: Float, maxOutputs: Int,
                           keep: UnsafeMutablePointer<Int32>, scratch: UnsafeMutableRawPointer) {
        keep.update(repeating: -1, count: maxOutputs)
        if count == 0 || maxOutputs == 0 { return }
        let order = scratch.bindMemory(to: Int32.self, capacity: count)
        let sortScratch = scratch + count * 4
        var columns = sortScratch + DescendingOrder.scratchBytes(count: count)
        let capacity = maxOutputs + 16
        let kx0 = columns.bindMemory(to: Float.self, capacity: capacity); columns += capacity * 4
        let ky0 = columns.bindMemory(to: Float.self, capacity: capacity); columns += capacity * 4
        let kx1 = columns.bindMemory(to: Float.self, capacity: capacity); columns += capacity * 4
        let ky1 = columns.bindMemory(to: Float.self, capacity: capacity); columns += capacity * 4
        let kArea = columns.bindMemory(to: Float.self, capacity: capacity); columns += capacity * 4
        let kClass = columns.bindMemory(to: Int32.self, capacity: capacity)
        DescendingOrder.largest(scores, count: count, k: count, into: order, scratch: sortScratch)

        let bound = floatBound(iouThreshold)
        let vBound = SIMD16<Float>(repeating: bound), zero = SIMD16<Float>(repeating: 0)
        var kept = 0
        for r in 0..<count {
            let i = Int(order[r])
            let score = scores[i]
            if score.isNaN { continue }  // NaNs sort first and are never candidates
            if !(score > scoreThreshold) { break }  // every later score is ≤ this one
            let x0 = boxes[4 * i], y0 = boxes[4 * i + 1], x1 = boxes[4 * i + 2], y1 = boxes[4 * i + 3]
            let area = (x1 - x0) * (y1 - y0)
            let cls = classes?[i] ?? 0
            var suppressed = false
            var j = 0
            let vx0 = SIMD16<Float>(repeating: x0), vy0 = SIMD16<Float>(repeating: y0)
            let vx1 = SIMD16<Float>(repeating: x1), vy1 = SIMD16<Float>(repeating: y1)
            let vArea = SIMD16<Float>(repeating: area), vClass = SIMD16<Int32>(repeating: cls)
            while j + 16 <= kept && !suppressed {
                let w = laneMax(laneMin(load16(kx1 + j), vx1) - laneMax(load16(kx0 + j), vx0), zero)
                let h = laneMax(laneMin(load16(ky1 + j), vy1) - laneMax(load16(ky0 + j), vy0), zero)
                let inter = w * h
                let overlap = inter / (load16(kArea + j) + vArea - inter)
                let sameClass = UnsafeRawPointer(kClass + j).loadUnaligned(as: SIMD16<Int32>.self) .== vClass
                suppressed = any((overlap .> vBound) .& sameClass)
                j += 16
            }
            while j < kept && !suppressed {
                let w = Swift.max(Swift.min(kx1[j], x1) - Swift.max(kx0[j], x0), 0)
                let h = Swift.max(Swift.min(ky1[j], y1) - Swift.max(ky0[j], y0), 0)
                let inter = w * h
                suppressed = kClass[j] == cls && inter / (kArea[j] + area - inter) > bound
                j += 1
            }
            if suppressed { continue }
            kx0[kept] = x0; ky0[kept] = y0; kx1[kept] = x1; ky1[kept] = y1; kArea[kept] = area; kClass[kept] = cls
            keep[kept] = Int32(truncatingIfNeeded: i)
            kept += 1
            if kept == maxOutputs { return }
        }
    }

    /// Naive reference in `T` following torchvision's loop (suppress every later box a kept box overlaps).
    /// `boxes` is flat (count, 4); the result has `maxOutputs` entries, −1 padded.
    public static func naive<T: BinaryFloatingPoint>(boxes: [T], scores: [T], classes: [Int]?, iouThreshold: Double,
                                                     scoreThreshold: T, maxOutputs: Int) -> [Int] {
        let count = scores.count
        let order = DescendingOrder.naiveLargest(scores, k: count)
        var suppressed = [Bool](repeating: false, count: count)
        var keep: [Int] = []
        func box(_ i: Int) -> (T, T, T, T) { (boxes[4 * i], boxes[4 * i + 1], boxes[4 * i + 2], boxes[4 * i + 3]) }
        for (r, i) in order.enumerated() where !suppressed[i] && scores[i] > scoreThreshold && keep.count < maxOutputs {
            keep.append(i)
            let a = box(i), areaA = (a.2 - a.0) * (a.3 - a.1)
            for j in order[(r + 1)...] where !suppressed[j] && (classes.map { $0[j] == $0[i] } ?? true) {
                let b = box(j), areaB = (b.2 - b.0) * (b.3 - b.1)
                let w = Swift.max(Swift.min(a.2, b.2) - Swift.max(a.0, b.0), 0)
                let h = Swift.max(Swift.min(a.3, b.3) - Swift.max(a.1, b.1), 0)
                let inter = w * h
                if Double(inter / (areaA + areaB - inter)) > iouThreshold { suppressed[j] = true }
            }
        }
        return keep + [Int](repeating: -1, count: maxOutputs - keep.count)
    }
}
