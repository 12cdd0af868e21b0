// Deterministic random numbers shared by parameter initialisation, random ops and data augmentation.
//
// Two flavours, both reproducible from an explicit seed on every platform:
// - `SplitMix64.mix(_:)` is a stateless hash: random ops hash (seed, stream, element index) so a kernel's result
//   does not depend on how its elements are split across threads (counter-based, like Philox in JAX).
// - `RandomStream` is a sequential xoshiro256** generator for code that draws numbers one after another
//   (initialisers, augmentations); `RandomStream(seed:stream:)` derives independent streams, e.g. one per sample.

import Foundation

/// SplitMix64 finaliser (Steele, Lea, Flood 2014): a bijective 64-bit mixer with good avalanche behaviour.
public enum SplitMix64 {
    @inline(__always)
    public static func mix(_ value: UInt64) -> UInt64 {
        var z = value &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A 64-bit value for element `index` of stream `stream` under `seed`; independent across all three.
    @inline(__always)
    public static func hash(seed: UInt64, stream: UInt64, index: UInt64) -> UInt64 {
        mix(mix(seed ^ mix(stream &+ 0x632B_E59B_D9B4_E019)) &+ index)
    }

    /// Uniform in [0, 1) with 24 random bits (exactly representable in Float).
    @inline(__always)
    public static func unitFloat(_ bits: UInt64) -> Float { Float(bits >> 40) * 0x1p-24 }

    /// Uniform in [0, 1) with 53 random bits.
    @inline(__always)
    public static func unitDouble(_ bits: UInt64) -> Double { Double(bits >> 11) * 0x1p-53 }

    /// A standard normal sample from two hashed words (Box–Muller); deterministic per (seed, stream, index).
    @inline(__always)
    public static func normal(seed: UInt64, stream: UInt64, index: UInt64) -> Double {
        let a = hash(seed: seed, stream: stream, index: index &* 2)
        let b = hash(seed: seed, stream: stream, index: index &* 2 &+ 1)
        let u1 = 1.0 - unitDouble(a)  // (0, 1]: log stays finite
        let u2 = unitDouble(b)
        return (-2.0 * _log(u1)).squareRoot() * _cos(2.0 * Double.pi * u2)
    }
}

/// A sequential xoshiro256** generator. Value type: copying it forks the sequence.
public struct RandomStream: RandomNumberGenerator, Sendable {
    private var s0, s1, s2, s3: UInt64

    /// A stream determined by `seed`; different `stream` values give independent sequences.
    public init(seed: UInt64, stream: UInt64 = 0) {
        var x = SplitMix64.mix(seed) ^ SplitMix64.mix(stream &+ 0xD1B5_4A32_D192_ED03)
        func next() -> UInt64 { x = x &+ 0x9E37_79B9_7F4A_7C15; return SplitMix64.mix(x) }
        s0 = next(); s1 = next(); s2 = next(); s3 = next()
    }

    @inline(__always)
    public mutating func next() -> UInt64 {
        let result = rotl(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3
        s2 ^= t
        s3 = rotl(s3, 45)
        return result
    }

    @inline(__always)
    private func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    /// Uniform in [low, high).
    public mutating func uniform(_ low: Double = 0, _ high: Double = 1) -> Double {
        low + (high - low) * SplitMix64.unitDouble(next())
    }

    /// Uniform Float in [low, high).
    public mutating func uniformFloat(_ low: Float = 0, _ high: Float = 1) -> Float {
        low + (high - low) * SplitMix64.unitFloat(next())
    }

    /// Standard normal (Box–Muller, one sample per call for simplicity and determinism).
    public mutating func normal(mean: Double = 0, std: Double = 1) -> Double {
        let u1 = 1.0 - SplitMix64.unitDouble(next())
        let u2 = SplitMix64.unitDouble(next())
        return mean + std * (-2.0 * _log(u1)).squareRoot() * _cos(2.0 * Double.pi * u2)
    }

    /// Uniform integer in 0..<bound (bound > 0), without modulo bias.
    public mutating func below(_ bound: Int) -> Int { Int.random(in: 0..<max(bound, 1), using: &self) }

    /// True with probability p.
    public mutating func bernoulli(_ p: Double) -> Bool { uniform() < p }

    /// In-place Fisher–Yates shuffle.
    public mutating func shuffle<T>(_ array: inout [T]) {
        guard array.count > 1 else { return }
        for i in stride(from: array.count - 1, to: 0, by: -1) {
            array.swapAt(i, below(i + 1))
        }
    }
}

@inline(__always) private func _log(_ x: Double) -> Double { Foundation.log(x) }
@inline(__always) private func _cos(_ x: Double) -> Double { Foundation.cos(x) }
