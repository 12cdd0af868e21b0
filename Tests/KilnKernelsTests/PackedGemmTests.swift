// PackedGemm (Kiln's own GEMM for convolution forward passes) against the naive triple loop: partial register tiles
// (m % 6 ≠ 0, n % 16 ≠ 0), several k blocks, padded leading dimensions, both layouts of B, splits over threads by
// rows and by panels; the epilogue in registers against the same steps applied afterwards, bit for bit.

import KilnKernels
import Testing

@Suite("PackedGemm")
struct PackedGemmTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var m, n, k: Int
        var transB: Bool
        var testDescription: String { "\(m)×\(n)×\(k) \(transB ? "Bᵀ" : "B")" }
    }

    static let cases: [Case] = [
        Case(m: 1, n: 1, k: 1, transB: true),
        Case(m: 5, n: 15, k: 3, transB: true),
        Case(m: 7, n: 17, k: 64, transB: false),
        Case(m: 13, n: 33, k: 257, transB: true),           // two k blocks of 129 and 128
        Case(m: 37, n: 64, k: 600, transB: false),          // three k blocks
        Case(m: 500, n: 70, k: 45, transB: true),           // split over row tiles
        Case(m: 8, n: 300, k: 700, transB: true),           // two tiles: panels split too
        Case(m: 97, n: 1100, k: 80, transB: false),         // several column blocks
    ]

    /// C from `PackedGemm` (every matrix stored with 3 spare columns) and from `Gemm.naive`, with the spare columns
    /// of C checked to be untouched.
    static func run(_ c: Case, pool: ThreadPool, epilogue makeEpilogue: ((UnsafeMutablePointer<Float>, Int) -> GemmEpilogue)? = nil)
        -> (fast: [Float], slow: [Float]) {
        let lda = c.k + 3, ldc = c.n + 3
        let bRows = c.transB ? c.n : c.k, ldb = (c.transB ? c.k : c.n) + 3
        let a = randomFloats(c.m * lda, seed: 11), b = randomFloats(bRows * ldb, seed: 12)
        var fast = poisoned(c.m * ldc), slow = poisoned(c.m * ldc)
        var packed = poisoned(PackedGemm.packedFloats(n: c.n, k: c.k))
        PackedGemm.pack(transB: c.transB, n: c.n, k: c.k, b: b, ldb: ldb, into: &packed, pool: pool)
        fast.withUnsafeMutableBufferPointer { out in
            PackedGemm.multiply(m: c.m, n: c.n, k: c.k, a: a, lda: lda, packed: packed, c: out.baseAddress!, ldc: ldc,
                                pool: pool, epilogue: makeEpilogue?(out.baseAddress!, ldc))
        }
        Gemm.naive(transA: false, transB: c.transB, m: c.m, n: c.n, k: c.k, alpha: 1, a: a, lda: lda, b: b, ldb: ldb,
                   beta: 0, c: &slow, ldc: ldc)
        for i in 0..<c.m {
            for j in c.n..<ldc { #expect(fast[i * ldc + j].isNaN, "spare column \(j) of row \(i) was written") }
        }
        return (fast, slow)
    }

    /// The stored part (n of every ldc columns) of a matrix.
    static func used(_ v: [Float], _ c: Case) -> [Float] {
        (0..<c.m).flatMap { i in v[i * (c.n + 3) ..< i * (c.n + 3) + c.n] }
    }

    @Test("multiply matches the naive reference", arguments: cases)
    func matchesNaive(c: Case) {
        let (fast, slow) = Self.run(c, pool: .shared)
        #expect(relativeError(Self.used(fast, c), Self.used(slow, c)) < 1e-5)
    }

    @Test("the result does not depend on the thread count", arguments: cases)
    func threadCountInvariant(c: Case) {
        let one = ThreadPool(threadCount: 1), three = ThreadPool(threadCount: 3)
        defer { one.shutdown(); three.shutdown() }
        let single = Self.run(c, pool: one).fast, many = Self.run(c, pool: three).fast
        #expect(zip(Self.used(single, c), Self.used(many, c)).allSatisfy { $0.bitPattern == $1.bitPattern })
    }

    @Test("the epilogue in registers equals the same steps applied afterwards, bit for bit", arguments: cases)
    func epilogueInRegisters(c: Case) {
        // The output view is the n stored columns of each ldc-wide row: channels = ldc, so scale, shift and the
        // residual are indexed by position in the padded row, as for a convolution writing a slice of channels.
        let ldc = c.n + 3
        let scale = randomFloats(ldc, seed: 21, low: 0.5, high: 2), shift = randomFloats(ldc, seed: 22)
        let residual = randomFloats(c.m * ldc, seed: 23)
        let plain = Self.run(c, pool: .shared).fast
        let fused = scale.withUnsafeBufferPointer { s in
            shift.withUnsafeBufferPointer { b in
                residual.withUnsafeBufferPointer { r in
                    Self.run(c, pool: .shared) { out, channels in
                        GemmEpilogue(output: out, channels: channels, scale: s.baseAddress, shift: b.baseAddress,
                                     residual: r.baseAddress, relu: true)
                    }.fast
                }
            }
        }
        var expected = plain
        for i in 0..<c.m {
            for j in 0..<c.n {
                var v = expected[i * ldc + j]
                v *= scale[j]
                v += shift[j]
                v += residual[i * ldc + j]
                expected[i * ldc + j] = v > 0 ? v : 0
            }
        }
        #expect(zip(Self.used(fused, c), Self.used(expected, c)).allSatisfy { $0.bitPattern == $1.bitPattern })
    }

    @Test("k = 0 writes zeros and then the epilogue")
    func emptyInnerDimension() {
        var c = poisoned(6 * 5)
        let shift: [Float] = [1, -2, 3, -4, 5]
        shift.withUnsafeBufferPointer { s in
            c.withUnsafeMutableBufferPointer { out in
                PackedGemm.multiply(m: 6, n: 5, k: 0, a: [], lda: 1, packed: [], c: out.baseAddress!, ldc: 5,
                                    pool: .shared,
                                    epilogue: GemmEpilogue(output: out.baseAddress!, channels: 5, shift: s.baseAddress,
                                                           relu: true))
            }
        }
        #expect(c == (0..<6).flatMap { _ in [1, 0, 3, 0, 5] as [Float] })
    }
}
