// Vectorised transcendental functions on SIMD16<Float> for the fused elementwise evaluator and row kernels.
//
// Accuracy: within a few ulp of the correctly rounded result over the whole float range, including overflow
// (exp(100) = inf), underflow through the subnormals (exp(−100) ≈ 3.7e−44, exp(−104) = 0), log(0) = −inf,
// log(negative) = NaN, and NaN propagation. Methods (textbook derivations; coefficients are Taylor series):
// - exp: x = n·ln2 + r with |r| ≤ ln2/2 (ln2 split in two for an exact reduction), e^r by its degree-7 Taylor
//   polynomial (truncation < 1e−8 relative), then · 2^n applied as two power-of-two factors so subnormal
//   results are rounded once.
// - log: x = 2^e · m with m in [√½, √2), f = m − 1, s = f / (2 + f); log(1 + f) = 2·atanh(s) written as
//   f − (f²/2 − s·(f²/2 + R)) with R = Σ 2s^(2k)/(2k+1), which keeps the rounding error below an ulp of f.
// - tanh(x) = sign(x) · E / (E + 2) with E = expm1(2|x|) for |x| ≥ 0.625, an odd polynomial below, 1 beyond 9.1.
// - sigmoid(x) = 1 / (1 + e^−x) for x ≥ 0 and e^x / (1 + e^x) for x < 0.

/// Vectorised exp, log, tanh and sigmoid.
public enum VMath {
    @usableFromInline static let ln2Hi: Float = 0.693_145_751_953_125    // 11 significant bits: n·ln2Hi is exact
    @usableFromInline static let ln2Lo: Float = 1.428_606_765_330_187e-6
    @usableFromInline static let log2e: Float = 1.442_695_040_888_963
    @usableFromInline static let roundingMagic: Float = 12_582_912        // 1.5 · 2^23

    /// Splits x (already clamped to a safe range) as n·ln2 + r; returns n (integral Float), n as Int32, r.
    @inlinable @inline(__always)
    static func reduce(_ x: SIMD16<Float>) -> (n: SIMD16<Float>, bits: SIMD16<Int32>, r: SIMD16<Float>) {
        // Adding 1.5·2^23 rounds x·log2e to an integer that lands in the low mantissa bits.
        let shifted = x * log2e + roundingMagic
        let n = shifted - roundingMagic
        let bits = unsafeBitCast(shifted, to: SIMD16<Int32>.self) &- 0x4B40_0000
        let r = (x - n * ln2Hi) - n * ln2Lo
        return (n, bits, r)
    }

    /// 2^k for integer k in [−126, 127], built from the exponent bits.
    @inlinable @inline(__always)
    static func powerOfTwo(_ k: SIMD16<Int32>) -> SIMD16<Float> {
        unsafeBitCast((k &+ 127) &<< 23, to: SIMD16<Float>.self)
    }

    /// e^x.
    @inlinable
    public static func exp(_ x: SIMD16<Float>) -> SIMD16<Float> {
        // Beyond these bounds the result is inf or rounds to 0; clamping keeps n within two exponent factors.
        // (`clamped(lowerBound:upperBound:)` is not vectorised; select instead.)
        var clamped = x
        clamped.replace(with: -104, where: x .< -104)
        clamped.replace(with: 89, where: x .> 89)
        let (_, n, r) = reduce(clamped)
        var p = SIMD16<Float>(repeating: 1 / 5040)
        p = p * r + 1 / 720
        p = p * r + 1 / 120
        p = p * r + 1 / 24
        p = p * r + 1 / 6
        p = p * r + 0.5
        p = p * r + 1
        p = p * r + 1
        let half = n &>> 1
        var result = p * powerOfTwo(half) * powerOfTwo(n &- half)
        result.replace(with: x, where: x .!= x)
        return result
    }

    /// e^y − 1 for y in [0, 19] (used by tanh), accurate near 0.
    @inlinable @inline(__always)
    static func expm1NonNegative(_ y: SIMD16<Float>) -> SIMD16<Float> {
        let (_, n, r) = reduce(y)
        // q = e^r − 1 = r + r²/2! + … + r⁸/8!
        var q = SIMD16<Float>(repeating: 1 / 40320)
        q = q * r + 1 / 5040
        q = q * r + 1 / 720
        q = q * r + 1 / 120
        q = q * r + 1 / 24
        q = q * r + 1 / 6
        q = q * r + 0.5
        q = q * r + 1
        q = q * r
        // e^y − 1 = 2^n·q + (2^n − 1); both terms are exact to an ulp and 2^n − 1 is exact for n ≤ 24.
        let scale = powerOfTwo(n)
        return scale * q + (scale - 1)
    }

    /// Natural logarithm.
    @inlinable
    public static func log(_ x: SIMD16<Float>) -> SIMD16<Float> {
        // Subnormals: scale into the normal range first.
        let subnormal = x .< Float.leastNormalMagnitude
        let scaled = x.replacing(with: x * 8_388_608, where: subnormal)  // · 2^23
        let bits = unsafeBitCast(scaled, to: SIMD16<Int32>.self)
        var exponent = (bits &>> 23) &- 127
        exponent.replace(with: exponent &- 23, where: subnormal)
        // Mantissa in [1, 2); fold the upper part to [√½, 1) so |f| ≤ 0.42.
        var m = unsafeBitCast((bits & 0x007F_FFFF) | 0x3F80_0000, to: SIMD16<Float>.self)
        let high = m .> 1.414_213_5
        m.replace(with: m * 0.5, where: high)
        exponent.replace(with: exponent &+ 1, where: high)
        let f = m - 1
        let s = f / (2 + f)
        let z = s * s
        var r = SIMD16<Float>(repeating: 2.0 / 11)
        r = r * z + 2.0 / 9
        r = r * z + 2.0 / 7
        r = r * z + 2.0 / 5
        r = r * z + 2.0 / 3
        r = r * z
        let halfSquare = 0.5 * f * f
        let e = SIMD16<Float>(exponent)
        let logM = f - (halfSquare - s * (halfSquare + r))
        var result = e * ln2Hi + (logM + e * ln2Lo)
        result.replace(with: -.infinity, where: x .== 0)
        result.replace(with: .infinity, where: x .== .infinity)
        result.replace(with: .nan, where: (x .< 0) .| (x .!= x))
        return result
    }

    /// Hyperbolic tangent.
    @inlinable
    public static func tanh(_ x: SIMD16<Float>) -> SIMD16<Float> {
        let bits = unsafeBitCast(x, to: SIMD16<UInt32>.self)
        let sign = bits & 0x8000_0000
        var a = unsafeBitCast(bits & 0x7FFF_FFFF, to: SIMD16<Float>.self)
        let saturated = a .> 9.1
        a.replace(with: 9.1, where: saturated)  // tanh rounds to 1 beyond 9.1; keeps expm1 finite
        // |x| < 0.625: tanh(a) = a + a³·P(a²), P a least-squares (Lawson-minimax) fit of degree 5 made for
        // this file (relative error 2e−10 on the interval).
        let z = a * a
        var p = SIMD16<Float>(repeating: 0.002_138_560_9)
        p = p * z - 0.008_172_081_4
        p = p * z + 0.021_698_284
        p = p * z - 0.053_946_254
        p = p * z + 0.133_332_01
        p = p * z - 0.333_333_31
        let small = a + a * z * p
        let e = expm1NonNegative(2 * a)
        var t = e / (e + 2)
        t.replace(with: small, where: a .< 0.625)
        t.replace(with: 1, where: saturated)
        var result = unsafeBitCast(unsafeBitCast(t, to: SIMD16<UInt32>.self) | sign, to: SIMD16<Float>.self)
        result.replace(with: x, where: x .!= x)
        return result
    }

    /// Logistic sigmoid 1 / (1 + e^−x).
    @inlinable
    public static func sigmoid(_ x: SIMD16<Float>) -> SIMD16<Float> {
        let magnitude = unsafeBitCast(unsafeBitCast(x, to: SIMD16<UInt32>.self) & 0x7FFF_FFFF, to: SIMD16<Float>.self)
        let t = exp(-magnitude)  // in (0, 1]: no overflow
        let s = 1 / (1 + t)
        return s.replacing(with: t * s, where: x .< 0)
    }
}

extension VMath {
    /// y[i] = f(x[i]) for i in 0..<count, 16 at a time; the tail is padded with zeros. x and y may alias.
    @inlinable @inline(__always)
    public static func apply(
        _ f: (SIMD16<Float>) -> SIMD16<Float>, x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>, count: Int
    ) {
        var i = 0
        while i + 16 <= count {
            let v = UnsafeRawPointer(x + i).loadUnaligned(as: SIMD16<Float>.self)
            UnsafeMutableRawPointer(y + i).storeBytes(of: f(v), as: SIMD16<Float>.self)
            i += 16
        }
        if i < count {
            var v = SIMD16<Float>()
            for lane in 0..<(count - i) { v[lane] = x[i + lane] }
            let r = f(v)
            for lane in 0..<(count - i) { y[i + lane] = r[lane] }
        }
    }
}
