// Gemm.sgemm (OpenBLAS) against the naive triple loop: every transpose combination, odd sizes, padded
// leading dimensions, alpha/beta, and beta = 0 overwriting NaN.

import KilnKernels
import Testing

@Suite("Gemm")
struct GemmTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var transA, transB: Bool
        var m, n, k: Int
        var alpha, beta: Float
        var testDescription: String { "\(transA ? "T" : "N")\(transB ? "T" : "N") \(m)×\(n)×\(k) α\(alpha) β\(beta)" }
    }

    static let cases: [Case] = [
        Case(transA: false, transB: false, m: 17, n: 33, k: 29, alpha: 1, beta: 0),
        Case(transA: false, transB: true, m: 31, n: 18, k: 45, alpha: 1, beta: 0),
        Case(transA: true, transB: false, m: 9, n: 65, k: 130, alpha: 0.5, beta: 1),
        Case(transA: true, transB: true, m: 1, n: 3, k: 7, alpha: -2, beta: 0.25),
        Case(transA: false, transB: false, m: 100, n: 1, k: 300, alpha: 1, beta: 0),
        // Large enough to be split over the pool: by rows (m ≥ n) and by columns (m < n).
        Case(transA: false, transB: false, m: 301, n: 203, k: 400, alpha: 1, beta: 0),
        Case(transA: true, transB: true, m: 333, n: 97, k: 250, alpha: 1, beta: 0.5),
        Case(transA: true, transB: false, m: 90, n: 357, k: 500, alpha: -1, beta: 0),
        Case(transA: false, transB: true, m: 77, n: 410, k: 333, alpha: 2, beta: 1),
    ]

    @Test("sgemm matches the naive reference", arguments: cases)
    func matchesNaive(c: Case) {
        // Padded leading dimensions: every matrix is stored with 3 spare columns.
        let aRows = c.transA ? c.k : c.m, aCols = c.transA ? c.m : c.k
        let bRows = c.transB ? c.n : c.k, bCols = c.transB ? c.k : c.n
        let lda = aCols + 3, ldb = bCols + 3, ldc = c.n + 3
        let a = randomFloats(aRows * lda, seed: 1)
        let b = randomFloats(bRows * ldb, seed: 2)
        let c0 = c.beta == 0 ? poisoned(c.m * ldc) : randomFloats(c.m * ldc, seed: 3)
        var fast = c0, slow = c0
        Gemm.sgemm(transA: c.transA, transB: c.transB, m: c.m, n: c.n, k: c.k, alpha: c.alpha,
                   a: a, lda: lda, b: b, ldb: ldb, beta: c.beta, c: &fast, ldc: ldc)
        Gemm.naive(transA: c.transA, transB: c.transB, m: c.m, n: c.n, k: c.k, alpha: c.alpha,
                   a: a, lda: lda, b: b, ldb: ldb, beta: c.beta, c: &slow, ldc: ldc)
        // Compare only the stored columns; the padding must be untouched.
        var fastUsed: [Float] = [], slowUsed: [Float] = []
        for i in 0..<c.m {
            for j in 0..<ldc {
                if j < c.n {
                    fastUsed.append(fast[i * ldc + j]); slowUsed.append(slow[i * ldc + j])
                } else {
                    #expect(fast[i * ldc + j].bitPattern == c0[i * ldc + j].bitPattern)
                }
            }
        }
        #expect(relativeError(fastUsed, slowUsed) < 1e-5)
    }

    @Test("split GEMMs are identical on one thread and on many")
    func splitMatchesSingleThread() {
        let single = ThreadPool(threadCount: 1)
        defer { single.shutdown() }
        for (m, n, k) in [(301, 203, 400), (90, 357, 500)] {
            let a = randomFloats(m * k, seed: 4), b = randomFloats(k * n, seed: 5)
            var one = poisoned(m * n), many = poisoned(m * n)
            Gemm.sgemm(transA: false, transB: false, m: m, n: n, k: k, alpha: 1, a: a, lda: k, b: b, ldb: n,
                       beta: 0, c: &one, ldc: n, pool: single)
            Gemm.sgemm(transA: false, transB: false, m: m, n: n, k: k, alpha: 1, a: a, lda: k, b: b, ldb: n,
                       beta: 0, c: &many, ldc: n, pool: .shared)
            #expect(relativeError(many, one) < 1e-6)
        }
    }

    @Test("k = 0 scales C by beta")
    func emptyInnerDimension() {
        var c: [Float] = [1, 2, 3, 4]
        let none: [Float] = [0]
        Gemm.sgemm(transA: false, transB: false, m: 2, n: 2, k: 0, alpha: 1,
                   a: none, lda: 1, b: none, ldb: 2, beta: 0.5, c: &c, ldc: 2)
        #expect(c == [0.5, 1, 1.5, 2])
    }
}
