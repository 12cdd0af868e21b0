// Conv2D.forward with an epilogue (per-channel scale and shift, residual add, ReLU) against the naive convolution
// followed by the same steps done one by one, for every algorithm a geometry supports: odd channel counts (a
// 16-lane tail), stride 2, padding, 1×1 and 3×3, grouped layers, and GEMMs big enough to be split into blocks and
// slices.

import KilnKernels
import Testing

/// Which steps an epilogue test applies.
struct EpilogueVariant: Sendable, CustomStringConvertible {
    var scale = false, shift = false, residual = false, relu = false
    var description: String {
        [("scale", scale), ("shift", shift), ("residual", residual), ("relu", relu)].filter(\.1).map(\.0)
            .joined(separator: "+")
    }

    static let all = EpilogueVariant(scale: true, shift: true, residual: true, relu: true)
    static let biasReLU = EpilogueVariant(shift: true, relu: true)
    static let scaleShift = EpilogueVariant(scale: true, shift: true)
}

let epilogueCases: [ConvCase] = convCases + winogradCases + [
    .make("1x1 pointwise, row blocks in slices", n: 4, h: 32, w: 32, cin: 35, cout: 97, k: (1, 1)),
    .make("3x3 im2col tiles on PackedGemm", n: 6, h: 40, w: 40, cin: 17, cout: 21, k: (3, 3), pad: (1, 1, 1, 1)),
    .make("1x1 pointwise, column blocks", n: 4, h: 5, w: 5, cin: 50, cout: 1000, k: (1, 1)),
    .make("1x1 stride2 batch 8", n: 8, h: 8, w: 8, cin: 40, cout: 33, k: (1, 1), s: (2, 2)),
    .make("3x3 stride2 pad1 batch 8", n: 8, h: 9, w: 9, cin: 24, cout: 40, k: (3, 3), s: (2, 2), pad: (1, 1, 1, 1)),
]

/// Every forward algorithm geometry g supports.
func forwardAlgorithms(_ g: ConvGeometry) -> [ConvAlgorithm] {
    [ConvAlgorithm.pointwise, .im2col, .perPixel, .winograd(tile: 2), .winograd(tile: 4)].filter { g.supports($0) }
}

/// The steps applied one at a time in Float, in the order and with the rounding of the separate ops.
func applyEpilogueSteps(_ y: [Float], channels: Int, scale: [Float], shift: [Float], residual: [Float],
                        _ v: EpilogueVariant) -> [Float] {
    y.indices.map { i in
        var value = y[i]
        if v.scale { value *= scale[i % channels] }
        if v.shift { value += shift[i % channels] }
        if v.residual { value += residual[i] }
        if v.relu { value = value > 0 ? value : 0 }
        return value
    }
}

/// The fused forward pass with `algorithm` and the epilogue `v`.
func fusedForward(_ g: ConvGeometry, x: [Float], w: [Float], scale: [Float], shift: [Float], residual: [Float],
                  _ v: EpilogueVariant, algorithm: ConvAlgorithm, pool: ThreadPool = .shared) -> [Float] {
    var y = poisoned(g.outputCount)
    scale.withUnsafeBufferPointer { s in
        shift.withUnsafeBufferPointer { b in
            residual.withUnsafeBufferPointer { r in
                y.withUnsafeMutableBufferPointer { out in
                    let epilogue = GemmEpilogue(
                        output: out.baseAddress!, channels: g.outC, scale: v.scale ? s.baseAddress : nil,
                        shift: v.shift ? b.baseAddress : nil, residual: v.residual ? r.baseAddress : nil, relu: v.relu)
                    withScratch(g.scratchFloats(.forward, algorithm: algorithm)) { scratch in
                        Conv2D.forward(x: x, w: w, y: out.baseAddress!, geometry: g, algorithm: algorithm,
                                       scratch: scratch, pool: pool, epilogue: epilogue)
                    }
                }
            }
        }
    }
    return y
}

@Suite("Conv2D epilogue")
struct ConvEpilogueTests {
    @Test("fused epilogue matches conv then elementwise, every algorithm", arguments: epilogueCases)
    func matchesUnfused(c: ConvCase) {
        let g = c.g
        let x = randomFloats(g.inputCount, seed: 51), w = randomFloats(g.weightCount, seed: 52)
        let scale = randomFloats(g.outC, seed: 53, low: 0.5, high: 2), shift = randomFloats(g.outC, seed: 54)
        let residual = randomFloats(g.outputCount, seed: 55)
        var conv = poisoned(g.outputCount)
        Conv2D.naiveForward(x: x, w: w, y: &conv, geometry: g)
        for v in [EpilogueVariant.all, .biasReLU, .scaleShift] {
            let expected = applyEpilogueSteps(conv, channels: g.outC, scale: scale, shift: shift, residual: residual, v)
            for algorithm in forwardAlgorithms(g) {
                let y = fusedForward(g, x: x, w: w, scale: scale, shift: shift, residual: residual, v,
                                     algorithm: algorithm)
                #expect(relativeError(y, expected) < 1e-4, "\(algorithm), \(v)")
            }
        }
    }

    @Test("ReLU output is never negative and maps NaN to 0, as the relu op does")
    func reluOfNaN() {
        let g = ConvCase.make("1x1", n: 1, h: 2, w: 3, cin: 4, cout: 19, k: (1, 1)).g
        var x = randomFloats(g.inputCount, seed: 61)
        x[0] = .nan   // poisons every channel of the first pixel
        let w = randomFloats(g.weightCount, seed: 62)
        for algorithm in forwardAlgorithms(g) {
            let y = fusedForward(g, x: x, w: w, scale: [], shift: [], residual: [], EpilogueVariant(relu: true),
                                 algorithm: algorithm)
            #expect(y.allSatisfy { $0 >= 0 && !$0.isNaN }, "\(algorithm)")
            #expect(y.prefix(g.outC).allSatisfy { $0 == 0 }, "\(algorithm)")
        }
    }

    @Test("single-threaded pool gives the same fused results")
    func singleThread() {
        let pool = ThreadPool(threadCount: 1)
        defer { pool.shutdown() }
        let g = epilogueCases.first { $0.name.hasPrefix("1x1 pointwise, row blocks") }!.g
        let x = randomFloats(g.inputCount, seed: 71), w = randomFloats(g.weightCount, seed: 72)
        let scale = randomFloats(g.outC, seed: 73), shift = randomFloats(g.outC, seed: 74)
        let residual = randomFloats(g.outputCount, seed: 75)
        let one = fusedForward(g, x: x, w: w, scale: scale, shift: shift, residual: residual, .all,
                               algorithm: .pointwise, pool: pool)
        let many = fusedForward(g, x: x, w: w, scale: scale, shift: shift, residual: residual, .all,
                                algorithm: .pointwise)
        #expect(relativeError(one, many) < 1e-6)
    }
}
