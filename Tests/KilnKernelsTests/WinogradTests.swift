// Winograd F(2×2, 3×3) and F(4×4, 3×3) against the naive convolution references for all three passes:
// padding 0, 1, 2 and asymmetric, sizes that do not divide into tiles, channel counts with a 16-lane tail,
// batch 1 and 3, and a problem large enough to be processed in several tile chunks.

import KilnKernels
import Testing

let winogradCases: [ConvCase] = [
    .make("pad1 7x9 C5→19 batch3", n: 3, h: 7, w: 9, cin: 5, cout: 19, k: (3, 3), pad: (1, 1, 1, 1)),
    .make("pad0 6x6 C16→16", n: 1, h: 6, w: 6, cin: 16, cout: 16, k: (3, 3)),
    .make("pad2 5x4 C3→7", n: 2, h: 5, w: 4, cin: 3, cout: 7, k: (3, 3), pad: (2, 2, 2, 2)),
    .make("asymmetric pad 8x5 C33→17", n: 1, h: 8, w: 5, cin: 33, cout: 17, k: (3, 3), pad: (0, 1, 2, 1)),
    .make("2x2 image C64→48", n: 3, h: 2, w: 2, cin: 64, cout: 48, k: (3, 3), pad: (1, 1, 1, 1)),
    .make("1x1 image", n: 2, h: 1, w: 1, cin: 8, cout: 4, k: (3, 3), pad: (1, 1, 1, 1)),
    .make("several chunks 24x24 C64→64", n: 8, h: 24, w: 24, cin: 64, cout: 64, k: (3, 3), pad: (1, 1, 1, 1)),
]

struct WinogradCase: Sendable, CustomTestStringConvertible {
    var conv: ConvCase
    var tile: Int
    var testDescription: String { "F(\(tile)×\(tile)) \(conv.name)" }
}

@Suite("Winograd")
struct WinogradTests {
    static let cases = winogradCases.flatMap { c in [2, 4].map { WinogradCase(conv: c, tile: $0) } }

    @Test("all passes match the naive references", arguments: cases)
    func matchesNaive(c: WinogradCase) throws {
        let g = c.conv.g
        let algorithm = ConvAlgorithm.winograd(tile: c.tile)
        try #require(g.supports(algorithm))
        let x = randomFloats(g.inputCount, seed: 111), w = randomFloats(g.weightCount, seed: 112)
        let dy = randomFloats(g.outputCount, seed: 113)
        var y = poisoned(g.outputCount), dx = poisoned(g.inputCount), dw = poisoned(g.weightCount)
        withScratch(g.scratchFloats(.forward, algorithm: algorithm)) { s in
            Conv2D.forward(x: x, w: w, y: &y, geometry: g, algorithm: algorithm, scratch: s, pool: .shared)
        }
        withScratch(g.scratchFloats(.backwardData, algorithm: algorithm)) { s in
            Conv2D.backwardData(dy: dy, w: w, dx: &dx, geometry: g, algorithm: algorithm, scratch: s, pool: .shared)
        }
        withScratch(g.scratchFloats(.backwardWeights, algorithm: algorithm)) { s in
            Conv2D.backwardWeights(x: x, dy: dy, dw: &dw, geometry: g, algorithm: algorithm, scratch: s,
                                   pool: .shared)
        }
        var ry = poisoned(g.outputCount), rdx = poisoned(g.inputCount), rdw = poisoned(g.weightCount)
        Conv2D.naiveForward(x: x, w: w, y: &ry, geometry: g)
        Conv2D.naiveBackwardData(dy: dy, w: w, dx: &rdx, geometry: g)
        Conv2D.naiveBackwardWeights(x: x, dy: dy, dw: &rdw, geometry: g)
        #expect(relativeError(y, ry) < 1e-4, "forward")
        #expect(relativeError(dx, rdx) < 1e-4, "backwardData")
        #expect(relativeError(dw, rdw) < 1e-4, "backwardWeights")
    }

    @Test("the large case really uses several chunks")
    func chunked() {
        let g = winogradCases[winogradCases.count - 1].g
        for m in [2, 4] {
            let alpha = m + 2, tiles = g.batch * ((g.outH + m - 1) / m) * ((g.outW + m - 1) / m)
            let unchunked = alpha * alpha * (g.inC * g.outC + tiles * (g.inC + g.outC))
            #expect(g.scratchFloats(.forward, algorithm: .winograd(tile: m)) < unchunked)
        }
    }

    @Test("support is limited to 3×3 stride-1 undilated ungrouped layers with padding ≤ 2")
    func support() {
        #expect(!convCases[1].g.supports(.winograd(tile: 4)))   // stride 2
        #expect(!convCases[2].g.supports(.winograd(tile: 4)))   // groups
        #expect(!convCases[4].g.supports(.winograd(tile: 2)))   // dilation
        #expect(!winogradCases[0].g.supports(.winograd(tile: 3)))
        // The default picks F(4×4) only with enough tiles to amortise the filter transform.
        #expect(winogradCases[winogradCases.count - 1].g.algorithm(.forward) == .winograd(tile: 4))
        #expect(winogradCases[0].g.algorithm(.backwardWeights) == .im2col)
    }
}
