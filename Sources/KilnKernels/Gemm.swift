// Single-precision matrix multiply: C = alpha · op(A) · op(B) + beta · C, row-major, with a naive reference.
//
// `sgemm` forwards to OpenBLAS's `cblas_sgemm` (call it from the main thread; see BLASThreads). `naive` is the
// triple loop with Double accumulation that tests compare against. Leading dimensions are in elements and
// describe the matrices as stored: A is (m, k) if !transA else (k, m), B is (k, n) if !transB else (n, k).

import COpenBLAS

/// General matrix multiply on row-major f32 matrices.
public enum Gemm {
    /// C (m, n) = alpha · op(A) (m, k) · op(B) (k, n) + beta · C, computed by OpenBLAS.
    /// With beta == 0, C is overwritten (its previous contents, even NaN, are ignored).
    @inline(__always)
    public static func sgemm(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        if m <= 0 || n <= 0 { return }
        if k <= 0 {
            scaleMatrix(m: m, n: n, beta: beta, c: c, ldc: ldc)
            return
        }
        cblas_sgemm(
            CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
            Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// The reference: same contract as `sgemm`, a triple loop accumulating in Double.
    public static func naive(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        for i in 0..<m {
            for j in 0..<n {
                var sum = 0.0
                for p in 0..<k {
                    let av = transA ? a[p * lda + i] : a[i * lda + p]
                    let bv = transB ? b[j * ldb + p] : b[p * ldb + j]
                    sum += Double(av) * Double(bv)
                }
                let previous = beta == 0 ? 0 : Double(beta) * Double(c[i * ldc + j])
                c[i * ldc + j] = Float(Double(alpha) * sum + previous)
            }
        }
    }

    /// C *= beta (C = 0 when beta == 0): what a GEMM with an empty inner dimension computes.
    private static func scaleMatrix(m: Int, n: Int, beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        for i in 0..<m {
            let row = c + i * ldc
            if beta == 0 {
                row.update(repeating: 0, count: n)
            } else {
                for j in 0..<n { row[j] *= beta }
            }
        }
    }
}
