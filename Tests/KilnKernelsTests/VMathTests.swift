// VMath against Foundation (glibc) on random values across the whole float range and on edge cases:
// overflow, underflow through the subnormals, zeros, infinities, NaN, and values near 1 for log.

import Foundation
import KilnKernels
import Testing

/// Distance in units in the last place between two floats (0 when both are NaN or equal).
func ulpDistance(_ a: Float, _ b: Float) -> Int {
    if a.isNaN || b.isNaN { return a.isNaN && b.isNaN ? 0 : Int.max }
    if a == b { return 0 }
    func ordered(_ v: Float) -> Int {
        let bits = Int(Int32(bitPattern: v.bitPattern))
        return bits < 0 ? Int(Int32.min) - bits : bits
    }
    return abs(ordered(a) - ordered(b))
}

/// The largest ulp error of `vector` against `reference` over `inputs` (evaluated 16 at a time).
func worstUlp(_ inputs: [Float], _ vector: (SIMD16<Float>) -> SIMD16<Float>, _ reference: (Float) -> Float)
    -> (ulp: Int, at: Float)
{
    var results = [Float](repeating: 0, count: inputs.count)
    inputs.withUnsafeBufferPointer { x in
        results.withUnsafeMutableBufferPointer { y in
            VMath.apply(vector, x: x.baseAddress!, y: y.baseAddress!, count: inputs.count)
        }
    }
    var worst = (0, Float(0))
    for (i, x) in inputs.enumerated() {
        let d = ulpDistance(results[i], reference(x))
        if d > worst.0 { worst = (d, x) }
    }
    return worst
}

/// Random floats whose magnitudes are spread over the binary exponents in `exponents`.
func logUniform(_ count: Int, seed: UInt64, exponents: ClosedRange<Int>, signed: Bool) -> [Float] {
    var stream = RandomStream(seed: seed)
    return (0..<count).map { _ in
        let e = exponents.lowerBound + stream.below(exponents.count)
        let m = 1 + stream.uniformFloat()
        let v = Float(sign: .plus, exponent: e, significand: m)
        return signed && stream.bernoulli(0.5) ? -v : v
    }
}

@Suite("VMath")
struct VMathTests {
    static let edges: [Float] = [0, -0.0, 1, -1, .infinity, -.infinity, .nan, .leastNonzeroMagnitude,
                                 .leastNormalMagnitude, .greatestFiniteMagnitude, -.greatestFiniteMagnitude,
                                 1e-30, -1e-30, 0.5, 2, 10, -10]

    @Test("exp within 2 ulp, overflow and underflow exact")
    func exp() {
        var stream = RandomStream(seed: 91)
        let uniform = (0..<200_000).map { _ in stream.uniformFloat(-104, 89) }
        let inputs = uniform + logUniform(20_000, seed: 92, exponents: -40...6, signed: true) + Self.edges
            + [88.72, 88.7228, 88.73, -87.33, -100, -103.97, -104, -150, 100]
        let worst = worstUlp(inputs, VMath.exp, Foundation.exp)
        #expect(worst.ulp <= 2, "worst \(worst.ulp) ulp at \(worst.at)")
        let special = VMath.exp(SIMD16([-100, 100, -104, .infinity, -.infinity, .nan, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0]))
        #expect(special[0] > 0 && special[0] < Float(1e-43 as Double))   // subnormal e^−100 ≈ 3.7e−44
        #expect(special[1] == .infinity && special[2] == 0 && special[3] == .infinity && special[4] == 0)
        #expect(special[5].isNaN && special[6] == 1)
    }

    @Test("log within 2 ulp, special values exact")
    func log() {
        let inputs = logUniform(200_000, seed: 93, exponents: -149...127, signed: false)
            + (0..<2000).map { 1 + Float($0 - 1000) * 1e-6 } + Self.edges + [-5, -.leastNonzeroMagnitude]
        let worst = worstUlp(inputs, VMath.log, Foundation.log)
        #expect(worst.ulp <= 2, "worst \(worst.ulp) ulp at \(worst.at)")
        let special = VMath.log(SIMD16([0, -0.0, -1, .infinity, .nan, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]))
        #expect(special[0] == -.infinity && special[1] == -.infinity && special[2].isNaN)
        #expect(special[3] == .infinity && special[4].isNaN && special[5] == 0)
    }

    @Test("tanh within 3 ulp, odd and saturating")
    func tanh() {
        var stream = RandomStream(seed: 94)
        let inputs = (0..<200_000).map { _ in stream.uniformFloat(-12, 12) }
            + logUniform(50_000, seed: 95, exponents: -149...5, signed: true) + Self.edges
        let worst = worstUlp(inputs, VMath.tanh, Foundation.tanh)
        #expect(worst.ulp <= 3, "worst \(worst.ulp) ulp at \(worst.at)")
        let special = VMath.tanh(SIMD16([-0.0, .infinity, -.infinity, .nan, 20, -20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]))
        #expect(special[0] == 0 && special[0].sign == .minus)
        #expect(special[1] == 1 && special[2] == -1 && special[3].isNaN && special[4] == 1 && special[5] == -1)
    }

    @Test("sigmoid within 3 ulp of the Double formula")
    func sigmoid() {
        var stream = RandomStream(seed: 96)
        let inputs = (0..<200_000).map { _ in stream.uniformFloat(-110, 40) }
            + logUniform(20_000, seed: 97, exponents: -149...6, signed: true) + Self.edges
        let reference = { (x: Float) -> Float in Float(1 / (1 + Foundation.exp(-Double(x)))) }
        let worst = worstUlp(inputs, VMath.sigmoid, reference)
        #expect(worst.ulp <= 3, "worst \(worst.ulp) ulp at \(worst.at)")
    }
}
