// Strided reductions for `Reduce`: the (outer, reduced, inner > 1) column case and the general case with
// several reduced groups, plus the coalesced layout both start from.

extension Reduce {
    /// y[o, i] = reduce over r of x[o, r, i], for inner > 1. Jobs are (outer, block of 16 inner lanes); each
    /// sums `partialRows` rows in f32 before adding to a Double accumulator per lane.
    static func columnReduce(
        x: UnsafePointer<Float>, outer: Int, reduced: Int, inner: Int, y: UnsafeMutablePointer<Float>,
        pool: ThreadPool, sum: Bool
    ) {
        let blocks = (inner + 15) / 16
        pool.parallelFor(outer * blocks, (x, y, reduced, inner, sum)) { args, job in
            let (x, y, reduced, inner, sum) = args
            let blocks = (inner + 15) / 16, partialRows = Reduce.partialRows
            let o = job / blocks, lane0 = (job % blocks) * 16
            let base = x + o * reduced * inner + lane0
            let out = y + o * inner + lane0
            if lane0 + 16 <= inner {
                if sum {
                    var total = SIMD16<Double>()
                    var r = 0
                    while r < reduced {
                        let end = Swift.min(r + partialRows, reduced)
                        var partial = SIMD16<Float>()
                        while r < end {
                            partial += load16(base + r * inner)
                            r += 1
                        }
                        total += SIMD16<Double>(partial)
                    }
                    store16(SIMD16<Float>(total), out)
                } else {
                    var best = SIMD16<Float>(repeating: -.infinity)
                    for r in 0..<reduced {
                        let v = load16(base + r * inner)
                        best.replace(with: v, where: (v .> best) .| (v .!= v))
                    }
                    store16(best, out)
                }
                return
            }
            for lane in 0..<(inner - lane0) {
                if sum {
                    var total = 0.0
                    for r in 0..<reduced { total += Double(base[r * inner + lane]) }
                    out[lane] = Float(total)
                } else {
                    var best = -Float.infinity
                    for r in 0..<reduced { best = Reduce.maxPropagatingNaN(best, base[r * inner + lane]) }
                    out[lane] = best
                }
            }
        }
    }

    /// Any layout: each output walks its reduced index space with an odometer.
    static func general(
        x: UnsafePointer<Float>, layout: ReductionLayout, y: UnsafeMutablePointer<Float>, pool: ThreadPool,
        sum: Bool
    ) {
        // Strides of every coalesced dimension in x.
        var strides = InlineArray<16, Int>(repeating: 0)
        var running = 1
        for d in stride(from: layout.count - 1, through: 0, by: -1) {
            strides[d] = running
            running *= layout.extents[d]
        }
        let perOutput = layout.reducedCount
        pool.parallelChunks(layout.outputCount, minChunk: Swift.max(1, chunkElements / perOutput),
                            (x, y, layout, strides, sum)) { args, outputs in
            let (x, y, layout, strides, sum) = args
            let perOutput = layout.reducedCount
            for output in outputs {
                // Offset of this output's first element: decompose `output` over the kept dimensions.
                var rest = output, base = 0
                for d in stride(from: layout.count - 1, through: 0, by: -1) where !layout.reduced[d] {
                    base += (rest % layout.extents[d]) * strides[d]
                    rest /= layout.extents[d]
                }
                var total = 0.0, best = -Float.infinity
                for k in 0..<perOutput {
                    var rest = k, offset = base
                    for d in stride(from: layout.count - 1, through: 0, by: -1) where layout.reduced[d] {
                        offset += (rest % layout.extents[d]) * strides[d]
                        rest /= layout.extents[d]
                    }
                    if sum { total += Double(x[offset]) } else { best = Reduce.maxPropagatingNaN(best, x[offset]) }
                }
                y[output] = sum ? Float(total) : best
            }
        }
    }
}

/// A shape coalesced for reduction: size-1 dimensions dropped, neighbours with the same role merged.
struct ReductionLayout {
    static let maxRank = 16
    var extents = InlineArray<16, Int>(repeating: 1)
    var reduced = InlineArray<16, Bool>(repeating: false)
    var count = 0
    /// Elements of x per output (product of reduced extents) and the number of outputs.
    var reducedCount = 1
    var outputCount = 1

    init(shape: [Int], axes: [Int]) {
        precondition(shape.count <= Self.maxRank, "Reduce: rank \(shape.count) exceeds \(Self.maxRank)")
        var isAxis = InlineArray<16, Bool>(repeating: false)
        for axis in axes {
            precondition(axis >= 0 && axis < shape.count, "Reduce: axis \(axis) out of range for \(shape)")
            isAxis[axis] = true
        }
        for d in 0..<shape.count {
            let extent = shape[d]
            if isAxis[d] { reducedCount *= extent } else { outputCount *= extent }
            if extent == 1 { continue }
            if count > 0 && reduced[count - 1] == isAxis[d] {
                extents[count - 1] *= extent
            } else {
                extents[count] = extent
                reduced[count] = isAxis[d]
                count += 1
            }
        }
    }

    /// (outer, reduced, inner) when at most one coalesced group is reduced.
    var outerReducedInner: (Int, Int, Int)? {
        var groups = 0, position = -1
        for d in 0..<count where reduced[d] {
            groups += 1
            position = d
        }
        if groups > 1 { return nil }
        if groups == 0 { return (outputCount, 1, 1) }
        var outer = 1, inner = 1
        for d in 0..<position { outer *= extents[d] }
        for d in (position + 1)..<count { inner *= extents[d] }
        return (outer, extents[position], inner)
    }
}
