// Max and average pooling against the naive references (ties, NaN, asymmetric padding, channel tails),
// the transpose identities of the backward kernels, and hand-computed PyTorch values.

import KilnKernels
import Testing

struct PoolCase: Sendable, CustomTestStringConvertible {
    var name: String
    var g: Pool2DGeometry
    var testDescription: String { name }

    static func make(
        _ name: String, n: Int, h: Int, w: Int, c: Int, k: (Int, Int), s: (Int, Int),
        pad: (Int, Int, Int, Int) = (0, 0, 0, 0)
    ) -> PoolCase {
        PoolCase(name: name, g: Pool2DGeometry(
            batch: n, inH: h, inW: w, channels: c, kernelH: k.0, kernelW: k.1, strideH: s.0, strideW: s.1,
            padTop: pad.0, padLeft: pad.1, padBottom: pad.2, padRight: pad.3))
    }
}

let poolCases: [PoolCase] = [
    .make("3x3 s2 p1 (ResNet) C19 batch3", n: 3, h: 9, w: 8, c: 19, k: (3, 3), s: (2, 2), pad: (1, 1, 1, 1)),
    .make("2x2 s2 C16 batch1", n: 1, h: 6, w: 7, c: 16, k: (2, 2), s: (2, 2)),
    .make("3x3 s1 p1 C5", n: 2, h: 5, w: 4, c: 5, k: (3, 3), s: (1, 1), pad: (1, 1, 1, 1)),
    .make("3x2 asymmetric pad C33", n: 2, h: 7, w: 6, c: 33, k: (3, 2), s: (2, 1), pad: (1, 0, 1, 1)),
    .make("4x4 s3 p2 C48", n: 1, h: 11, w: 10, c: 48, k: (4, 4), s: (3, 3), pad: (2, 2, 2, 2)),
    .make("global 5x5 C3", n: 2, h: 5, w: 5, c: 3, k: (5, 5), s: (1, 1)),
]

@Suite("Pooling")
struct PoolingTests {
    @Test("max pooling matches the reference, ties included", arguments: poolCases)
    func maxPool(c: PoolCase) throws {
        let g = c.g
        try g.validate()
        // Values from a small set make ties common, so the first-maximum rule is exercised.
        let x = randomFloats(g.inputCount, seed: 51).map { ($0 * 3).rounded() }
        let dy = randomFloats(g.outputCount, seed: 52), source = randomFloats(g.inputCount, seed: 53)
        var y = poisoned(g.outputCount), dx = poisoned(g.inputCount), gathered = poisoned(g.outputCount)
        Pooling.maxPoolForward(x: x, y: &y, geometry: g, pool: .shared)
        Pooling.maxPoolBackward(x: x, dy: dy, dx: &dx, geometry: g, pool: .shared)
        Pooling.maxPoolGather(x: x, g: source, out: &gathered, geometry: g, pool: .shared)
        var ry = poisoned(g.outputCount), rdx = poisoned(g.inputCount), rgathered = poisoned(g.outputCount)
        Pooling.naiveMaxPoolForward(x: x, y: &ry, geometry: g)
        Pooling.naiveMaxPoolBackward(x: x, dy: dy, dx: &rdx, geometry: g)
        Pooling.naiveMaxPoolGather(x: x, g: source, out: &rgathered, geometry: g)
        #expect(y == ry)
        #expect(relativeError(dx, rdx) < 1e-6)
        #expect(gathered == rgathered)
        // maxPoolGather is the transpose of maxPoolBackward.
        let lhs = dot(dx, source), rhs = dot(dy, gathered)
        #expect(abs(lhs - rhs) <= 1e-5 * max(abs(lhs), 1))
    }

    @Test("max pooling propagates NaN like PyTorch")
    func maxPoolNaN() {
        let g = poolCases[0].g
        var x = randomFloats(g.inputCount, seed: 54)
        for i in stride(from: 5, to: x.count, by: 97) { x[i] = .nan }
        let dy = randomFloats(g.outputCount, seed: 55)
        var y = poisoned(g.outputCount), ry = poisoned(g.outputCount)
        var dx = poisoned(g.inputCount), rdx = poisoned(g.inputCount)
        Pooling.maxPoolForward(x: x, y: &y, geometry: g, pool: .shared)
        Pooling.naiveMaxPoolForward(x: x, y: &ry, geometry: g)
        Pooling.maxPoolBackward(x: x, dy: dy, dx: &dx, geometry: g, pool: .shared)
        Pooling.naiveMaxPoolBackward(x: x, dy: dy, dx: &rdx, geometry: g)
        #expect(y.map(\.bitPattern) == ry.map(\.bitPattern))
        #expect(y.contains { $0.isNaN })
        #expect(relativeError(dx, rdx) < 1e-6)
    }

    @Test("average pooling matches the reference", arguments: poolCases, [true, false])
    func avgPool(c: PoolCase, includePad: Bool) {
        let g = c.g
        let x = randomFloats(g.inputCount, seed: 56), dy = randomFloats(g.outputCount, seed: 57)
        var y = poisoned(g.outputCount), dx = poisoned(g.inputCount)
        var ry = poisoned(g.outputCount), rdx = poisoned(g.inputCount)
        Pooling.avgPoolForward(x: x, y: &y, geometry: g, countIncludePad: includePad, pool: .shared)
        Pooling.avgPoolBackward(dy: dy, dx: &dx, geometry: g, countIncludePad: includePad, pool: .shared)
        Pooling.naiveAvgPoolForward(x: x, y: &ry, geometry: g, countIncludePad: includePad)
        Pooling.naiveAvgPoolBackward(dy: dy, dx: &rdx, geometry: g, countIncludePad: includePad)
        #expect(relativeError(y, ry) < 1e-6)
        #expect(relativeError(dx, rdx) < 1e-6)
        let lhs = dot(y, dy), rhs = dot(x, dx)
        #expect(abs(lhs - rhs) <= 1e-5 * max(abs(lhs), 1))
    }

    @Test("PyTorch values: avg_pool2d(ones(4×4), 3, 2, 1) with and without count_include_pad")
    func torchValues() {
        let g = Pool2DGeometry(batch: 1, inH: 4, inW: 4, channels: 1, kernelH: 3, kernelW: 3, strideH: 2,
                               strideW: 2, padTop: 1, padLeft: 1, padBottom: 1, padRight: 1)
        let x = [Float](repeating: 1, count: 16)
        var y = poisoned(4)
        Pooling.avgPoolForward(x: x, y: &y, geometry: g, countIncludePad: true, pool: .shared)
        // torch: [[4/9, 6/9], [6/9, 9/9]]
        let expected: [Float] = [4.0 / 9.0, 6.0 / 9.0, 6.0 / 9.0, 1]
        #expect(y == expected)
        Pooling.avgPoolForward(x: x, y: &y, geometry: g, countIncludePad: false, pool: .shared)
        #expect(y == [1, 1, 1, 1])
        // max_pool2d(arange(16).view(4, 4), 3, 2, 1) = [[5, 7], [13, 15]]
        let ramp = (0..<16).map { Float($0) }
        Pooling.maxPoolForward(x: ramp, y: &y, geometry: g, pool: .shared)
        #expect(y == [5, 7, 13, 15])
    }

    @Test("padding larger than half the kernel is rejected")
    func invalid() {
        var g = poolCases[0].g
        g.padLeft = 2
        #expect(throws: Pool2DGeometryError.self) { try g.validate() }
    }
}
