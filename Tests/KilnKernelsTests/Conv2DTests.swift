// Conv2D forward / backwardData / backwardWeights against the naive references on awkward geometry, and the
// adjointness identities ⟨conv(x, w), dy⟩ = ⟨x, bwdData(dy, w)⟩ = ⟨w, bwdWeights(x, dy)⟩.

import KilnKernels
import Testing

/// A named convolution geometry for parameterised tests.
struct ConvCase: Sendable, CustomTestStringConvertible {
    var name: String
    var g: ConvGeometry
    var testDescription: String { name }

    static func make(
        _ name: String, n: Int, h: Int, w: Int, cin: Int, cout: Int, k: (Int, Int), s: (Int, Int) = (1, 1),
        pad: (Int, Int, Int, Int) = (0, 0, 0, 0), d: (Int, Int) = (1, 1), groups: Int = 1
    ) -> ConvCase {
        ConvCase(name: name, g: ConvGeometry(
            batch: n, inH: h, inW: w, inC: cin, outC: cout, kernelH: k.0, kernelW: k.1,
            strideH: s.0, strideW: s.1, padTop: pad.0, padLeft: pad.1, padBottom: pad.2, padRight: pad.3,
            dilationH: d.0, dilationW: d.1, groups: groups))
    }
}

let convCases: [ConvCase] = [
    .make("3x3 pad1 Cin3 batch1", n: 1, h: 7, w: 9, cin: 3, cout: 5, k: (3, 3), pad: (1, 1, 1, 1)),
    .make("3x3 stride2 asymmetric pad batch3", n: 3, h: 8, w: 7, cin: 4, cout: 6, k: (3, 3), s: (2, 2),
          pad: (1, 0, 2, 1)),
    .make("3x3 groups2", n: 2, h: 6, w: 5, cin: 6, cout: 4, k: (3, 3), pad: (1, 1, 1, 1), groups: 2),
    .make("3x3 depthwise stride2", n: 2, h: 9, w: 8, cin: 5, cout: 5, k: (3, 3), s: (2, 2),
          pad: (1, 1, 1, 1), groups: 5),
    .make("3x3 dilation2", n: 1, h: 9, w: 10, cin: 3, cout: 7, k: (3, 3), pad: (2, 2, 2, 2), d: (2, 2)),
    .make("1x1 pointwise", n: 3, h: 5, w: 3, cin: 17, cout: 19, k: (1, 1)),
    .make("1x1 pointwise groups2", n: 1, h: 4, w: 5, cin: 6, cout: 10, k: (1, 1), groups: 2),
    .make("1x1 stride2", n: 3, h: 7, w: 6, cin: 18, cout: 33, k: (1, 1), s: (2, 2)),
    .make("7x7 stride2 stem", n: 2, h: 13, w: 11, cin: 3, cout: 8, k: (7, 7), s: (2, 2), pad: (3, 3, 3, 3)),
    .make("2x3 mixed stride and dilation", n: 2, h: 8, w: 9, cin: 5, cout: 3, k: (2, 3), s: (1, 2),
          pad: (0, 1, 1, 0), d: (2, 1)),
    .make("3x3 wide channels", n: 2, h: 5, w: 6, cin: 37, cout: 33, k: (3, 3), pad: (1, 1, 1, 1)),
    .make("3x3 stride2 pad1 64ch", n: 1, h: 6, w: 6, cin: 64, cout: 20, k: (3, 3), s: (2, 2), pad: (1, 1, 1, 1)),
    .make("5x5 valid", n: 1, h: 6, w: 7, cin: 2, cout: 3, k: (5, 5)),
    .make("kernel larger than padded input edge", n: 1, h: 2, w: 3, cin: 4, cout: 2, k: (3, 3),
          pad: (2, 2, 2, 2)),
    .make("2x2 output, 3x3 pad1 (ResNet stage 4)", n: 5, h: 2, w: 2, cin: 40, cout: 24, k: (3, 3), pad: (1, 1, 1, 1)),
    .make("3x3 stride2 to 1x2 output", n: 3, h: 2, w: 4, cin: 9, cout: 6, k: (3, 3), s: (2, 2), pad: (1, 1, 1, 1)),
]

/// Runs the three fast kernels on (x, w, dy) with `algorithm` (the default when nil) and returns (y, dx, dw).
func runFastConv(_ g: ConvGeometry, x: [Float], w: [Float], dy: [Float], algorithm: ConvAlgorithm? = nil,
                 pool: ThreadPool = .shared) -> (y: [Float], dx: [Float], dw: [Float]) {
    var y = poisoned(g.outputCount), dx = poisoned(g.inputCount), dw = poisoned(g.weightCount)
    let forward = algorithm ?? g.algorithm(.forward), data = algorithm ?? g.algorithm(.backwardData)
    let weights = algorithm ?? g.algorithm(.backwardWeights)
    withScratch(g.scratchFloats(.forward, algorithm: forward)) { s in
        Conv2D.forward(x: x, w: w, y: &y, geometry: g, algorithm: forward, scratch: s, pool: pool)
    }
    withScratch(g.scratchFloats(.backwardData, algorithm: data)) { s in
        Conv2D.backwardData(dy: dy, w: w, dx: &dx, geometry: g, algorithm: data, scratch: s, pool: pool)
    }
    withScratch(g.scratchFloats(.backwardWeights, algorithm: weights)) { s in
        Conv2D.backwardWeights(x: x, dy: dy, dw: &dw, geometry: g, algorithm: weights, scratch: s, pool: pool)
    }
    return (y, dx, dw)
}

/// The GEMM-based algorithms (Winograd has its own suite) that geometry g supports.
func gemmAlgorithms(_ g: ConvGeometry) -> [ConvAlgorithm] {
    [ConvAlgorithm.pointwise, .im2col, .perPixel].filter { g.supports($0) }
}

@Suite("Conv2D")
struct Conv2DTests {
    @Test("geometries are valid", arguments: convCases)
    func valid(c: ConvCase) throws {
        try c.g.validate()
    }

    @Test("every algorithm matches the naive references", arguments: convCases)
    func matchesNaive(c: ConvCase) {
        let g = c.g
        let x = randomFloats(g.inputCount, seed: 11), w = randomFloats(g.weightCount, seed: 12)
        let dy = randomFloats(g.outputCount, seed: 13)
        var y = poisoned(g.outputCount), dx = poisoned(g.inputCount), dw = poisoned(g.weightCount)
        Conv2D.naiveForward(x: x, w: w, y: &y, geometry: g)
        Conv2D.naiveBackwardData(dy: dy, w: w, dx: &dx, geometry: g)
        Conv2D.naiveBackwardWeights(x: x, dy: dy, dw: &dw, geometry: g)
        for algorithm in gemmAlgorithms(g) {
            let fast = runFastConv(g, x: x, w: w, dy: dy, algorithm: algorithm)
            #expect(relativeError(fast.y, y) < 1e-4, "forward \(algorithm)")
            #expect(relativeError(fast.dx, dx) < 1e-4, "backwardData \(algorithm)")
            #expect(relativeError(fast.dw, dw) < 1e-4, "backwardWeights \(algorithm)")
        }
        let byDefault = runFastConv(g, x: x, w: w, dy: dy)
        #expect(relativeError(byDefault.y, y) < 1e-4, "forward, default algorithm")
        #expect(relativeError(byDefault.dx, dx) < 1e-4, "backwardData, default algorithm")
        #expect(relativeError(byDefault.dw, dw) < 1e-4, "backwardWeights, default algorithm")
    }

    @Test("backward kernels are the transposes of forward", arguments: convCases)
    func adjoint(c: ConvCase) {
        let g = c.g
        let x = randomFloats(g.inputCount, seed: 21), w = randomFloats(g.weightCount, seed: 22)
        let dy = randomFloats(g.outputCount, seed: 23)
        for algorithm in gemmAlgorithms(g) {
            let fast = runFastConv(g, x: x, w: w, dy: dy, algorithm: algorithm)
            let viaOutput = dot(fast.y, dy), viaInput = dot(x, fast.dx), viaWeights = dot(w, fast.dw)
            let scale = max(abs(viaOutput), 1) * 1e-4
            #expect(abs(viaOutput - viaInput) <= scale, "\(algorithm): ⟨y, dy⟩ \(viaOutput) vs ⟨x, dx⟩ \(viaInput)")
            #expect(abs(viaOutput - viaWeights) <= scale, "\(algorithm): ⟨y, dy⟩ \(viaOutput) vs ⟨w, dw⟩ \(viaWeights)")
        }
    }

    @Test("tiled im2col path (several tiles) matches the references")
    func severalTiles() {
        let g = ConvCase.make("tiled", n: 2, h: 40, w: 40, cin: 64, cout: 16, k: (3, 3), pad: (1, 1, 1, 1)).g
        let fullColumn = g.outPixels * g.patchSize
        #expect(g.scratchFloats(.forward) < fullColumn, "the geometry should need more than one tile")
        let x = randomFloats(g.inputCount, seed: 31), w = randomFloats(g.weightCount, seed: 32)
        let dy = randomFloats(g.outputCount, seed: 33)
        let fast = runFastConv(g, x: x, w: w, dy: dy)
        var y = poisoned(g.outputCount), dx = poisoned(g.inputCount), dw = poisoned(g.weightCount)
        Conv2D.naiveForward(x: x, w: w, y: &y, geometry: g)
        Conv2D.naiveBackwardData(dy: dy, w: w, dx: &dx, geometry: g)
        Conv2D.naiveBackwardWeights(x: x, dy: dy, dw: &dw, geometry: g)
        #expect(relativeError(fast.y, y) < 1e-4)
        #expect(relativeError(fast.dx, dx) < 1e-4)
        #expect(relativeError(fast.dw, dw) < 1e-4)
    }

    @Test("forward GEMMs on PackedGemm (k ≤ 256, ≥ 2048 rows): pointwise, im2col over several tiles, stride 2")
    func packedForward() {
        let cases = [
            ConvCase.make("1x1 on PackedGemm", n: 3, h: 31, w: 29, cin: 35, cout: 97, k: (1, 1)),
            ConvCase.make("3x3 im2col tiles on PackedGemm", n: 6, h: 40, w: 40, cin: 17, cout: 21, k: (3, 3),
                          pad: (1, 1, 1, 1)),
            ConvCase.make("1x1 stride2 im2col on PackedGemm", n: 8, h: 35, w: 36, cin: 19, cout: 23, k: (1, 1),
                          s: (2, 2)),
        ]
        for c in cases {
            let g = c.g
            #expect(g.forwardUsesPackedGemm, "\(c.name) should run on PackedGemm")
            let algorithm: ConvAlgorithm = g.supports(.pointwise) ? .pointwise : .im2col
            if c.name.contains("tiles") {
                #expect(g.forwardGEMMRows < g.outPixels, "\(c.name) should need more than one tile")
            }
            let x = randomFloats(g.inputCount, seed: 35), w = randomFloats(g.weightCount, seed: 36)
            var y = poisoned(g.outputCount), expected = poisoned(g.outputCount)
            withScratch(g.scratchFloats(.forward, algorithm: algorithm)) { s in
                Conv2D.forward(x: x, w: w, y: &y, geometry: g, algorithm: algorithm, scratch: s, pool: .shared)
            }
            Conv2D.naiveForward(x: x, w: w, y: &expected, geometry: g)
            #expect(relativeError(y, expected) < 1e-5, "\(c.name)")
        }
    }

    @Test("single-threaded pool gives the same results")
    func singleThread() {
        let pool = ThreadPool(threadCount: 1)
        defer { pool.shutdown() }
        let g = convCases[1].g
        let x = randomFloats(g.inputCount, seed: 41), w = randomFloats(g.weightCount, seed: 42)
        let dy = randomFloats(g.outputCount, seed: 43)
        let one = runFastConv(g, x: x, w: w, dy: dy, pool: pool)
        let many = runFastConv(g, x: x, w: w, dy: dy)
        #expect(one.y == many.y)
        #expect(one.dx == many.dx)
        #expect(one.dw == many.dw)
    }

    @Test("default algorithms for ResNet-18 shapes at batch 32, for batch 1, and for ResNet-50 at batch 8")
    func defaults() {
        let convs = resnet18Convs(batch: 32, size: 64)
        func algorithm(_ prefix: String) -> ConvAlgorithm? {
            convs.first { $0.name.hasPrefix(prefix) }?.g.algorithm(.forward)
        }
        #expect(algorithm("stem") == .im2col)
        #expect(algorithm("3x3 64→64") == .winograd(tile: 4))
        #expect(algorithm("3x3 128→128") == .winograd(tile: 4))
        #expect(algorithm("3x3 256→256") == .perPixel)   // 4×4 output
        #expect(algorithm("3x3 512→512") == .perPixel)   // 2×2 output
        #expect(algorithm("3x3/2 64→128") == .perPixel)
        #expect(algorithm("1x1/2 64→128") == .im2col)     // 0.5 MFLOP per pixel GEMM
        #expect(algorithm("1x1/2 128→256") == .perPixel)
        var single = convs[1].g
        single.batch = 1
        #expect(single.algorithm(.forward) == .im2col)
        // ResNet-50 inference at batch 8, 224×224: stride-2 layers and the 3×3 layers at 7×7 use im2col.
        let r50 = resnet50Convs(batch: 8, size: 224).map(\.conv)
        #expect(r50.filter { $0.g.strideH == 2 || $0.g.outH == 7 && $0.g.kernelH == 3 }
            .allSatisfy { $0.g.algorithm(.forward) == .im2col })
        // 3×3 stride-1 layers: F(4×4) where 4×4 tiles fit (56×56, 28×28), F(2×2) at 14×14.
        let threes = r50.filter { $0.g.kernelH == 3 && $0.g.strideH == 1 }
        #expect(threes.map { "\($0.g.outH):\($0.g.algorithm(.forward))" }
                == ["56:winograd(tile: 4)", "56:winograd(tile: 4)", "28:winograd(tile: 4)", "14:winograd(tile: 2)",
                    "7:im2col"])
        // At batch 32 the 14×14 layers have 512 tiles of 4×4: F(4×4) again.
        var batch32 = threes[3].g
        batch32.batch = 32
        #expect(batch32.algorithm(.backwardData) == .winograd(tile: 4))
        #expect(convCases[2].g.algorithm(.forward) == .im2col)          // groups
        #expect(convCases[5].g.algorithm(.backwardData) == .pointwise)  // 1×1
    }

    @Test("invalid geometry is rejected with the field named")
    func invalid() {
        var g = convCases[0].g
        g.groups = 2
        #expect(throws: ConvGeometryError.self) { try g.validate() }
        g = convCases[0].g
        g.padTop = -1
        #expect(throws: ConvGeometryError.self) { try g.validate() }
        g = convCases[0].g
        g.kernelH = 20
        #expect(throws: ConvGeometryError.self) { try g.validate() }
    }
}
