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
        let (outer, reduced, inner) = (layout.outer, layout.reduced, layout.inner)
        if inner == 1 {
            // Row reductions (softmax denominators, per-sample losses): workers take whole rows.
            let workers = max(1, min(pool.threadCount, outer, max(1, outer * reduced / 8192)))
            let job = RowReductionJob(program: program, op: op, layout: layout, inputTypes: inputTypes, domain: domain,
                                      buffers: buffers, workers: workers)
            return { [job, pool] in
                if job.workers <= 1 { job.run(0) } else { pool.parallelFor(job.workers, job) { job, w in job.run(w) } }
            }
        }
        // Column reductions (BN statistics over N·H·W per channel): workers split the reduced rows and keep partial
        // results per column, merged in worker order (deterministic for a given thread count).
        let workers = max(1, min(pool.threadCount, reduced, max(1, reduced * inner / 16384)))
        let job = ColumnReductionJob(program: program, op: op, layout: layout, inputTypes: inputTypes, domain: domain,
                                     buffers: buffers, workers: workers)
        return { [job, pool] in
            for o in 0..<job.layout.outer {
                job.block = o
                if job.workers <= 1 { job.run(0) } else { pool.parallelFor(job.workers, job) { job, w in job.run(w) } }
                job.merge(o)
            }
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

/// A bound row reduction: worker w reduces rows [outer·w/workers, outer·(w+1)/workers).
final class RowReductionJob {
    let evaluator: TileEvaluator
    let output: UnsafeMutablePointer<Float>
    let layout: ReductionLayout
    let isMax: Bool
    let scale: Float
    let workers: Int

    init(program: TileProgram, op: String, layout: ReductionLayout, inputTypes: [TensorType], domain: [Int],
         buffers: KernelBuffers, workers: Int) {
        evaluator = TileEvaluator(program: program, inputTypes: inputTypes, domain: domain, buffers: buffers.inputs, workers: workers)
        output = buffers.output.assumingMemoryBound(to: Float.self)
        self.layout = layout
        isMax = op == ReduceMax.name
        scale = op == ReduceMean.name ? 1 / Float(max(layout.reduced, 1)) : 1
        self.workers = workers
    }

    func run(_ w: Int) {
        let t = ElementwiseEngine.tileSize
        let (outer, reduced) = (layout.outer, layout.reduced)
        for row in (outer * w / workers)..<(outer * (w + 1) / workers) {
            var acc: Double = isMax ? -.infinity : 0
            var offset = 0
            while offset < reduced {
                let n = min(t, reduced - offset)
                let tile = evaluator.evaluate(start: row * reduced + offset, count: n, worker: w, into: nil)
                acc = isMax ? FusedReduction.combineMax(acc, Double(FusedReduction.maxTile(tile, n)))
                    : acc + Double(FusedReduction.sumTile(tile, n))
                offset += n
            }
            output[row] = Float(acc) * scale
        }
    }
}

/// A bound column reduction over one outer block at a time: worker w reduces its share of the rows into Float
/// partials (flushed to Double every 64 rows); `merge` adds the workers' results in order.
final class ColumnReductionJob {
    let evaluator: TileEvaluator
    let output: UnsafeMutablePointer<Float>
    let layout: ReductionLayout
    let isMax: Bool
    let scale: Float
    let workers: Int
    let partial: UnsafeMutablePointer<Double>
    let rowsum: UnsafeMutablePointer<Float>
    /// The outer block being reduced.
    var block = 0
    static let flushRows = 64

    init(program: TileProgram, op: String, layout: ReductionLayout, inputTypes: [TensorType], domain: [Int],
         buffers: KernelBuffers, workers: Int) {
        evaluator = TileEvaluator(program: program, inputTypes: inputTypes, domain: domain, buffers: buffers.inputs, workers: workers)
        output = buffers.output.assumingMemoryBound(to: Float.self)
        self.layout = layout
        isMax = op == ReduceMax.name
        scale = op == ReduceMean.name ? 1 / Float(max(layout.reduced, 1)) : 1
        self.workers = workers
        partial = .allocate(capacity: workers * layout.inner)
        rowsum = .allocate(capacity: workers * layout.inner)
    }

    deinit {
        partial.deallocate()
        rowsum.deallocate()
    }

    func run(_ w: Int) {
        let t = ElementwiseEngine.tileSize
        let (reduced, inner, o) = (layout.reduced, layout.inner, block)
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
                if isMax { FusedReduction.maxInto(part + col, tile + j, segment) } else { FusedReduction.addInto(part + col, tile + j, segment) }
                j += segment
                col += segment
                if col == inner {
                    col = 0
                    rows += 1
                    if rows == Self.flushRows { FusedReduction.flush(part, acc, inner, isMax); rows = 0 }
                }
            }
            position += n
        }
        FusedReduction.flush(part, acc, inner, isMax)
    }

    func merge(_ o: Int) {
        let inner = layout.inner
        for i in 0..<inner {
            var v: Double = isMax ? -.infinity : 0
            for w in 0..<workers { v = isMax ? FusedReduction.combineMax(v, partial[w * inner + i]) : v + partial[w * inner + i] }
            output[o * inner + i] = Float(v) * scale
        }
    }
}
