// The kernel of a fused reduction: an elementwise prologue evaluated tile by tile (TileEvaluator) and reduced on
// the fly, so the prologue's result is never stored — BN statistics, softmax denominators and loss sums read their
// inputs once. The domain is viewed as (outer, reduced, inner) with the reduced axes contiguous.

import KilnIR
import KilnKernels

/// (outer, reduced, inner) view of a reduction over contiguous axes of a row-major domain.
public struct ReductionLayout: Equatable {
    public var outer: Int
    public var reduced: Int
    public var inner: Int

    /// nil when the reduced axes (ignoring size-1 dimensions) are not contiguous.
    public init?(domain: [Int], axes: [Int]) {
        let significant = axes.filter { domain[$0] != 1 }
        if let first = significant.first, let last = significant.last {
            for d in first...last where domain[d] != 1 && !axes.contains(d) { return nil }
            outer = domain[..<first].reduce(1, *)
            reduced = significant.reduce(1) { $0 * domain[$1] }
            inner = domain[(last + 1)...].reduce(1, *)
        } else {
            outer = domain.reduce(1, *)
            reduced = 1
            inner = 1
        }
    }
}

enum FusedReduction {
    static func kernel(_ program: TileProgram, op: String, layout: ReductionLayout, inputTypes: [TensorType], domain: [Int],
                       buffers: KernelBuffers, pool: ThreadPool) -> KernelThunk {
        let isMax = op == ReduceMax.name
        let scale: Float = op == ReduceMean.name ? 1 / Float(max(layout.reduced, 1)) : 1
        let output = buffers.output.assumingMemoryBound(to: Float.self)
        let (outer, reduced, inner) = (layout.outer, layout.reduced, layout.inner)
        let t = ElementwiseEngine.tileSize
        if inner == 1 {
            // Row reductions (softmax denominators, per-sample losses): workers take whole rows.
            let workers = max(1, min(pool.threadCount, outer, max(1, outer * reduced / 8192)))
            let evaluator = TileEvaluator(program: program, inputTypes: inputTypes, domain: domain,
                                          buffers: buffers.inputs, workers: workers)
            let run: (Int) -> Void = { w in
                for row in (outer * w / workers)..<(outer * (w + 1) / workers) {
                    var acc: Double = isMax ? -.infinity : 0
                    var offset = 0
                    while offset < reduced {
                        let n = min(t, reduced - offset)
                        let tile = evaluator.evaluate(start: row * reduced + offset, count: n, worker: w, into: nil)
                        acc = isMax ? combineMax(acc, Double(maxTile(tile, n))) : acc + Double(sumTile(tile, n))
                        offset += n
                    }
                    output[row] = Float(acc) * scale
                }
            }
            return { [evaluator, pool] in
                _ = evaluator
                if workers <= 1 { run(0) } else { pool.parallelFor(workers, run) }
            }
        }
        // Column reductions (BN statistics over N·H·W per channel): workers split the reduced rows and keep partial
        // results per column, merged in worker order (deterministic for a given thread count).
        let workers = max(1, min(pool.threadCount, reduced, max(1, reduced * inner / 16384)))
        let evaluator = TileEvaluator(program: program, inputTypes: inputTypes, domain: domain,
                                      buffers: buffers.inputs, workers: workers)
        let partial = UnsafeMutablePointer<Double>.allocate(capacity: workers * inner)
        let rowsum = UnsafeMutablePointer<Float>.allocate(capacity: workers * inner)
        let holder = Deallocator { partial.deallocate(); rowsum.deallocate() }
        let flushRows = 64
        return { [evaluator, pool, holder] in
            _ = (evaluator, holder)
            for o in 0..<outer {
                if workers <= 1 { runBlock(0, o) } else { pool.parallelFor(workers) { w in runBlock(w, o) } }
                for i in 0..<inner {
                    var v: Double = isMax ? -.infinity : 0
                    for w in 0..<workers { v = isMax ? combineMax(v, partial[w * inner + i]) : v + partial[w * inner + i] }
                    output[o * inner + i] = Float(v) * scale
                }
            }
        }

        /// Reduces worker w's share of the rows of outer block o into its partial results.
        func runBlock(_ w: Int, _ o: Int) {
            let acc = partial + w * inner, part = rowsum + w * inner
            acc.update(repeating: isMax ? -.infinity : 0, count: inner)
            part.update(repeating: isMax ? -.infinity : 0, count: inner)
            let first = reduced * w / workers, last = reduced * (w + 1) / workers
            var col = 0, rows = 0
            var position = (o * reduced + first) * inner
            let end = (o * reduced + last) * inner
            while position < end {
                let n = min(t, end - position)
                let tile = evaluator.evaluate(start: position, count: n, worker: w, into: nil)
                var j = 0
                while j < n {
                    let segment = min(n - j, inner - col)
                    if isMax { maxInto(part + col, tile + j, segment) } else { addInto(part + col, tile + j, segment) }
                    j += segment
                    col += segment
                    if col == inner {
                        col = 0
                        rows += 1
                        if rows == flushRows { flush(part, acc, inner, isMax); rows = 0 }
                    }
                }
                position += n
            }
            flush(part, acc, inner, isMax)
        }
    }

    /// Moves Float partial sums (or maxima) into the Double accumulators and resets them.
    @inline(__always)
    static func flush(_ part: UnsafeMutablePointer<Float>, _ acc: UnsafeMutablePointer<Double>, _ n: Int, _ isMax: Bool) {
        if isMax {
            for i in 0..<n { acc[i] = combineMax(acc[i], Double(part[i])); part[i] = -.infinity }
        } else {
            for i in 0..<n { acc[i] += Double(part[i]); part[i] = 0 }
        }
    }

    @inline(__always)
    static func combineMax(_ a: Double, _ b: Double) -> Double { a.isNaN || b.isNaN ? .nan : Swift.max(a, b) }

    @inline(__always)
    static func addInto(_ dst: UnsafeMutablePointer<Float>, _ src: UnsafePointer<Float>, _ n: Int) {
        var i = 0
        while i + 16 <= n { store16(load16(UnsafePointer(dst), i) + load16(src, i), dst, i); i += 16 }
        while i < n { dst[i] += src[i]; i += 1 }
    }

    @inline(__always)
    static func maxInto(_ dst: UnsafeMutablePointer<Float>, _ src: UnsafePointer<Float>, _ n: Int) {
        for i in 0..<n {
            let a = dst[i], b = src[i]
            dst[i] = a.isNaN || b.isNaN ? .nan : Swift.max(a, b)
        }
    }

    @inline(__always)
    static func sumTile(_ p: UnsafePointer<Float>, _ n: Int) -> Float {
        var v = F16(repeating: 0)
        var i = 0
        while i + 16 <= n { v += load16(p, i); i += 16 }
        var s = v.sum()
        while i < n { s += p[i]; i += 1 }
        return s
    }

    @inline(__always)
    static func maxTile(_ p: UnsafePointer<Float>, _ n: Int) -> Float {
        var m = -Float.infinity
        for i in 0..<n {
            if p[i].isNaN { return .nan }
            m = Swift.max(m, p[i])
        }
        return m
    }
}

/// Frees kernel-owned memory when the last thunk referencing it goes away.
final class Deallocator {
    let free: () -> Void
    init(_ free: @escaping () -> Void) { self.free = free }
    deinit { free() }
}
