// Sum, max and arg-max reductions over any subset of axes of a contiguous f32 tensor.
//
// The shape is first coalesced: size-1 dimensions are dropped and adjacent dimensions that are both reduced or
// both kept are merged. Most reductions then have the form (outer, reduced, inner):
// - inner == 1: each output is the reduction of a contiguous run (softmax-style rows, global sums);
// - inner > 1: each output block is a column reduction over strided rows — NHWC batch-norm statistics
//   (reduce all but the last axis) and global average pooling are of this form.
// Anything else (several separate reduced groups) takes a general odometer loop.
// Sums are accurate for millions of elements: f32 SIMD partial sums over short blocks, accumulated in Double,
// with a fixed blocking so results do not depend on the thread count. Max propagates NaN (like PyTorch).

/// Reductions over axes of a row-major tensor. `y` has the shape of `x` with the reduced axes removed.
public enum Reduce {
    /// Rows reduced per f32 partial before it is added to a Double accumulator.
    static let partialRows = 128
    /// Elements per parallel chunk of a long contiguous reduction (fixed, so results are deterministic).
    static let chunkElements = 1 << 16

    /// y = Σ over `axes` of x.
    public static func sum(
        x: UnsafePointer<Float>, shape: [Int], axes: [Int], y: UnsafeMutablePointer<Float>, pool: ThreadPool
    ) {
        let layout = ReductionLayout(shape: shape, axes: axes)
        if layout.outputCount == 0 { return }
        if layout.reducedCount == 0 { y.update(repeating: 0, count: layout.outputCount); return }
        guard let (outer, reduced, inner) = layout.outerReducedInner else {
            general(x: x, layout: layout, y: y, pool: pool, sum: true)
            return
        }
        if inner == 1 {
            sumRows(x: x, rows: outer, length: reduced, y: y, pool: pool)
        } else {
            columnReduce(x: x, outer: outer, reduced: reduced, inner: inner, y: y, pool: pool, sum: true)
        }
    }

    /// y = max over `axes` of x (NaN if any element is NaN; −∞ for an empty reduction).
    public static func max(
        x: UnsafePointer<Float>, shape: [Int], axes: [Int], y: UnsafeMutablePointer<Float>, pool: ThreadPool
    ) {
        let layout = ReductionLayout(shape: shape, axes: axes)
        if layout.outputCount == 0 { return }
        if layout.reducedCount == 0 { y.update(repeating: -.infinity, count: layout.outputCount); return }
        guard let (outer, reduced, inner) = layout.outerReducedInner else {
            general(x: x, layout: layout, y: y, pool: pool, sum: false)
            return
        }
        if inner == 1 {
            pool.parallelChunks(outer, minChunk: Swift.max(1, chunkElements / reduced), (x, y, reduced)) { args, rows in
                let (x, y, reduced) = args
                for row in rows { y[row] = Reduce.maxContiguous(x + row * reduced, reduced) }
            }
        } else {
            columnReduce(x: x, outer: outer, reduced: reduced, inner: inner, y: y, pool: pool, sum: false)
        }
    }

    /// y = index of the first maximum along `axis` (NaN counts as maximal, like PyTorch).
    /// y has the shape of x without `axis`.
    public static func argmax(
        x: UnsafePointer<Float>, shape: [Int], axis: Int, y: UnsafeMutablePointer<Int64>, pool: ThreadPool = .shared
    ) {
        precondition(axis >= 0 && axis < shape.count, "Reduce.argmax: axis \(axis) out of range for \(shape)")
        var outer = 1, inner = 1
        for d in 0..<axis { outer *= shape[d] }
        for d in (axis + 1)..<shape.count { inner *= shape[d] }
        let length = shape[axis]
        if outer * inner == 0 { return }
        pool.parallelChunks(outer, minChunk: Swift.max(1, chunkElements / Swift.max(length * inner, 1)),
                            (x, y, length, inner)) { args, rows in
            let (x, y, length, inner) = args
            for o in rows {
                let base = x + o * length * inner
                for i in 0..<inner {
                    var best = -Float.infinity, index = 0
                    for r in 0..<length {
                        let v = base[r * inner + i]
                        if best.isNaN { break }
                        if v > best || v.isNaN { best = v; index = r }
                    }
                    y[o * inner + i] = Int64(index)
                }
            }
        }
    }

    // MARK: - Contiguous rows

    /// y[r] = Σ x[r, 0..<length]. A row is summed as `rowChunks(length)` fixed chunks whose partial sums are
    /// added in order, whether the chunks run in parallel (few long rows) or serially (many rows), so the
    /// result does not depend on the thread count.
    static func sumRows(x: UnsafePointer<Float>, rows: Int, length: Int, y: UnsafeMutablePointer<Float>,
                        pool: ThreadPool) {
        let chunks = rowChunks(length)
        if chunks == 1 || rows >= pool.threadCount {
            pool.parallelChunks(rows, minChunk: Swift.max(1, chunkElements / Swift.max(length, 1)),
                                (x, y, length, chunks)) { args, range in
                let (x, y, length, chunks) = args
                for row in range {
                    var total = 0.0
                    for c in 0..<chunks {
                        let lo = length * c / chunks, hi = length * (c + 1) / chunks
                        total += Reduce.sumContiguous(x + row * length + lo, hi - lo)
                    }
                    y[row] = Float(total)
                }
            }
            return
        }
        withUnsafeTemporaryAllocation(of: Double.self, capacity: 64) { buffer in
            guard let partials = buffer.baseAddress else { return }
            for row in 0..<rows {
                let base = x + row * length
                pool.parallelFor(chunks, (base, length, chunks, partials)) { args, c in
                    let (base, length, chunks, partials) = args
                    let lo = length * c / chunks, hi = length * (c + 1) / chunks
                    partials[c] = Reduce.sumContiguous(base + lo, hi - lo)
                }
                var total = 0.0
                for c in 0..<chunks { total += partials[c] }
                y[row] = Float(total)
            }
        }
    }

    /// Number of chunks a contiguous run of `length` elements is summed in (1...64, from the length only).
    @inline(__always)
    static func rowChunks(_ length: Int) -> Int { Swift.min(Swift.max(length / chunkElements, 1), 64) }

    /// Σ p[0..<count], f32 SIMD partials over blocks of 1024 added into a Double.
    @inline(__always)
    static func sumContiguous(_ p: UnsafePointer<Float>, _ count: Int) -> Double {
        var total = 0.0
        var i = 0
        while i < count {
            let end = Swift.min(i + 1024, count)
            var lanes = SIMD16<Float>()
            while i + 16 <= end {
                lanes += load16(p + i)
                i += 16
            }
            var tail: Float = 0
            while i < end {
                tail += p[i]
                i += 1
            }
            total += Double(lanes.sum()) + Double(tail)
        }
        return total
    }

    /// max p[0..<count], propagating NaN.
    @inline(__always)
    static func maxContiguous(_ p: UnsafePointer<Float>, _ count: Int) -> Float {
        var lanes = SIMD16<Float>(repeating: -.infinity)
        var i = 0
        while i + 16 <= count {
            let v = load16(p + i)
            lanes.replace(with: v, where: (v .> lanes) .| (v .!= v))
            i += 16
        }
        var best = -Float.infinity
        for lane in 0..<16 { best = maxPropagatingNaN(best, lanes[lane]) }
        while i < count {
            best = maxPropagatingNaN(best, p[i])
            i += 1
        }
        return best
    }

    @inline(__always)
    static func maxPropagatingNaN(_ a: Float, _ b: Float) -> Float {
        (b > a || b.isNaN) && !a.isNaN ? b : a
    }
}
