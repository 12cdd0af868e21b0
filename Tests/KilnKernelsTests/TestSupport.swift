// Shared helpers for the kernel tests: deterministic random tensors, error measures, scratch buffers,
// and the `slow` tag / `KILN_SLOW` switch for benchmarks.

import Foundation
import KilnKernels
import Testing

extension Tag {
    /// Benchmarks and other long tests; they run only with `KILN_SLOW=1`.
    @Tag static var slow: Self
}

/// True when the environment asks for slow tests (`KILN_SLOW=1`).
let slowTestsEnabled = ProcessInfo.processInfo.environment["KILN_SLOW"] == "1"

/// `count` floats uniform in [low, high), reproducible from `seed`.
func randomFloats(_ count: Int, seed: UInt64, low: Float = -1, high: Float = 1) -> [Float] {
    var stream = RandomStream(seed: seed)
    return (0..<count).map { _ in stream.uniformFloat(low, high) }
}

/// max |a − b| / max(max |b|, tiny): the error relative to the reference's scale.
func relativeError(_ a: [Float], _ reference: [Float]) -> Float {
    precondition(a.count == reference.count, "relativeError: \(a.count) vs \(reference.count) elements")
    var worst: Float = 0, scale: Float = 0
    for i in 0..<a.count {
        let diff = abs(a[i] - reference[i])
        worst = diff.isNaN ? .infinity : max(worst, diff)
        scale = max(scale, abs(reference[i]))
    }
    return worst / max(scale, 1e-30)
}

/// ⟨a, b⟩ in Double.
func dot(_ a: [Float], _ b: [Float]) -> Double {
    precondition(a.count == b.count)
    var sum = 0.0
    for i in 0..<a.count { sum += Double(a[i]) * Double(b[i]) }
    return sum
}

/// A buffer of `count` floats filled with NaN, so a kernel that reads scratch or output it should overwrite
/// shows up as a NaN in the result.
func poisoned(_ count: Int) -> [Float] { [Float](repeating: .nan, count: count) }

/// Runs `body` with a NaN-filled scratch buffer of `count` floats (nil when count is 0).
func withScratch<R>(_ count: Int, _ body: (UnsafeMutablePointer<Float>?) -> R) -> R {
    if count == 0 { return body(nil) }
    var scratch = poisoned(count)
    return scratch.withUnsafeMutableBufferPointer { body($0.baseAddress) }
}

/// Bytes currently allocated by malloc (glibc `mallinfo2().uordblks`, all arenas).
/// mallinfo2 is not in the Glibc module map, so it is looked up with dlsym; its 80-byte result struct is
/// returned through a hidden pointer argument on x86-64 SysV, which is how it is declared here.
func mallocBytesInUse() -> Int? {
    #if os(Linux) && arch(x86_64)
    typealias MallInfo2 = @convention(c) (UnsafeMutableRawPointer) -> UnsafeMutableRawPointer?
    guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallinfo2") else { return nil }
    let function = unsafeBitCast(symbol, to: MallInfo2.self)
    var fields: (Int, Int, Int, Int, Int, Int, Int, Int, Int, Int) = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    withUnsafeMutableBytes(of: &fields) { raw in
        if let base = raw.baseAddress { _ = function(base) }
    }
    return fields.7
    #else
    return nil
    #endif
}
