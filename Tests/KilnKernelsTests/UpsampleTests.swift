// Nearest and bilinear resizing against the naive references (up, down, non-integer ratios, channel tails),
// backward as the exact transpose, and hand-computed PyTorch values.

import KilnKernels
import Testing

let upsampleCases: [UpsampleGeometry] = [
    UpsampleGeometry(batch: 2, inH: 4, inW: 5, channels: 19, outH: 8, outW: 10),   // ×2
    UpsampleGeometry(batch: 1, inH: 5, inW: 3, channels: 16, outH: 7, outW: 11),   // non-integer up
    UpsampleGeometry(batch: 3, inH: 9, inW: 8, channels: 5, outH: 4, outW: 3),     // down
    UpsampleGeometry(batch: 1, inH: 1, inW: 6, channels: 33, outH: 3, outW: 6),    // single row, same width
]

@Suite("Upsample")
struct UpsampleTests {
    @Test("nearest matches the reference and backward is its transpose", arguments: upsampleCases)
    func nearest(g: UpsampleGeometry) {
        let x = randomFloats(g.inputCount, seed: 61), dy = randomFloats(g.outputCount, seed: 62)
        var y = poisoned(g.outputCount), dx = poisoned(g.inputCount)
        var ry = poisoned(g.outputCount), rdx = poisoned(g.inputCount)
        Upsample.nearestForward(x: x, y: &y, geometry: g, pool: .shared)
        Upsample.nearestBackward(dy: dy, dx: &dx, geometry: g, pool: .shared)
        Upsample.naiveNearestForward(x: x, y: &ry, geometry: g)
        Upsample.naiveNearestBackward(dy: dy, dx: &rdx, geometry: g)
        #expect(y == ry)
        #expect(relativeError(dx, rdx) < 1e-6)
        let lhs = dot(y, dy), rhs = dot(x, dx)
        #expect(abs(lhs - rhs) <= 1e-5 * max(abs(lhs), 1))
    }

    @Test("bilinear matches the reference and backward is its transpose", arguments: upsampleCases)
    func bilinear(g: UpsampleGeometry) {
        let x = randomFloats(g.inputCount, seed: 63), dy = randomFloats(g.outputCount, seed: 64)
        var y = poisoned(g.outputCount), dx = poisoned(g.inputCount)
        var ry = poisoned(g.outputCount), rdx = poisoned(g.inputCount)
        Upsample.bilinearForward(x: x, y: &y, geometry: g, pool: .shared)
        Upsample.bilinearBackward(dy: dy, dx: &dx, geometry: g, pool: .shared)
        Upsample.naiveBilinearForward(x: x, y: &ry, geometry: g)
        Upsample.naiveBilinearBackward(dy: dy, dx: &rdx, geometry: g)
        #expect(relativeError(y, ry) < 1e-6)
        #expect(relativeError(dx, rdx) < 1e-6)
        let lhs = dot(y, dy), rhs = dot(x, dx)
        #expect(abs(lhs - rhs) <= 1e-5 * max(abs(lhs), 1))
    }

    @Test("PyTorch values for a 1×2 → 1×4 and 3 → 2 resize")
    func torchValues() {
        // F.interpolate(tensor([[[[1., 3.]]]]), size=(1, 4), mode="bilinear") = [1, 1.5, 2.5, 3]
        let g = UpsampleGeometry(batch: 1, inH: 1, inW: 2, channels: 1, outH: 1, outW: 4)
        var y = poisoned(4)
        Upsample.bilinearForward(x: [1, 3], y: &y, geometry: g, pool: .shared)
        #expect(y == [1, 1.5, 2.5, 3])
        // mode="nearest" picks floor(o · 2/4): [1, 1, 3, 3]
        Upsample.nearestForward(x: [1, 3], y: &y, geometry: g, pool: .shared)
        #expect(y == [1, 1, 3, 3])
        // Downsampling 3 → 2 bilinear: sources 0.25 and 1.75 → [1.5, 8.25] for x = [1, 3, 10]
        let down = UpsampleGeometry(batch: 1, inH: 1, inW: 3, channels: 1, outH: 1, outW: 2)
        var z = poisoned(2)
        Upsample.bilinearForward(x: [1, 3, 10], y: &z, geometry: down, pool: .shared)
        #expect(z == [1.5, 8.25])
    }
}
