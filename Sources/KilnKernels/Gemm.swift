// Single-precision matrix multiply: C = alpha · op(A) · op(B) + beta · C, row-major, with a naive reference.
//
// `sgemm` runs OpenBLAS's `cblas_sgemm` in blocks on the thread pool (see BLASThreads for the policy). `naive` is
// the triple loop with Double accumulation that tests compare against. Leading dimensions are in elements and
// describe the matrices as stored: A is (m, k) if !transA else (k, m), B is (k, n) if !transB else (n, k).

import COpenBLAS

/// General matrix multiply on row-major f32 matrices.
public enum Gemm {
    /// C (m, n) = alpha · op(A) (m, k) · op(B) (k, n) + beta · C, on the shared pool (see `BLASThreads`).
    /// With beta == 0, C is overwritten (its previous contents, even NaN, are ignored).
    public static func sgemm(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        sgemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb,
              beta: beta, c: c, ldc: ldc, pool: .shared)
    }

    /// `sgemm` on `pool`: a large product is split into blocks of rows (or of columns, when C is wider than
    /// tall) that the pool's threads compute with single-threaded OpenBLAS calls. Called from inside a pool
    /// body, it runs on the calling thread alone. With an `epilogue` (whose output view contains C), each block
    /// is computed in slices of rows, about `epilogueSliceFloats` floats of C but at least k rows, and the
    /// epilogue runs on each slice right after OpenBLAS has written it, while it is in cache.
    public static func sgemm(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int, pool: ThreadPool, epilogue: GemmEpilogue? = nil
    ) {
        if m <= 0 || n <= 0 { return }
        if k <= 0 {
            scaleMatrix(m: m, n: n, beta: beta, c: c, ldc: ldc)
            epilogue?.apply(c, ldc: ldc, rows: m, columns: n)
            return
        }
        let call = GemmCall(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b,
                            ldb: ldb, beta: beta, c: c, ldc: ldc)
        let blocks = blockCount(m: m, n: n, k: k, threads: pool.threadCount)
        if BLASThreads.count > 1 {
            blas(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
            epilogue?.apply(c, ldc: ldc, rows: m, columns: n)
            return
        }
        if blocks == 1 {
            call.run(rows: 0..<m, columns: 0..<n, epilogue: epilogue)
            return
        }
        pool.parallelFor(blocks, (call, blocks, epilogue)) { args, block in
            let (g, blocks, epilogue) = args
            // Split the longer side of C; block edges on multiples of 16 keep OpenBLAS's micro-kernels full.
            let splitRows = g.m >= g.n
            let extent = splitRows ? g.m : g.n
            let lo = block == 0 ? 0 : (extent * block / blocks) & ~15
            let hi = block == blocks - 1 ? extent : (extent * (block + 1) / blocks) & ~15
            if hi <= lo { return }
            g.run(rows: splitRows ? lo..<hi : 0..<g.m, columns: splitRows ? 0..<g.n : lo..<hi, epilogue: epilogue)
        }
    }

    /// Floats of C per OpenBLAS call when an epilogue follows: small enough that the slice is still in L2 (512 KB
    /// per core on the development machine) when the epilogue reads it back.
    public static let epilogueSliceFloats = 1 << 15

    /// The arguments of one sgemm call, carried into pool jobs.
    struct GemmCall {
        let transA, transB: Bool
        let m, n, k: Int
        let alpha: Float
        let a: UnsafePointer<Float>
        let lda: Int
        let b: UnsafePointer<Float>
        let ldb: Int
        let beta: Float
        let c: UnsafeMutablePointer<Float>
        let ldc: Int

        /// Computes the block C[rows, columns] with one OpenBLAS call, or, with an epilogue, in slices of rows
        /// each followed by the epilogue.
        @inline(__always)
        func run(rows: Range<Int>, columns: Range<Int>, epilogue: GemmEpilogue?) {
            guard let epilogue else {
                block(rows, columns)
                return
            }
            // Each slice repacks B's columns (k × columns floats): slices of at least k rows keep that below the
            // traffic the epilogue saves (about rows × columns floats read and written again). Without that bound,
            // 16-row slices of ResNet-50's 1×1 512→2048 layer at 7×7 took 1.7× the unsliced GEMM's time.
            let step = max(16, Gemm.epilogueSliceFloats / max(columns.count, 1), k) & ~15
            var r = rows.lowerBound
            while r < rows.upperBound {
                let slice = r..<min(r + step, rows.upperBound)
                block(slice, columns)
                epilogue.apply(c + slice.lowerBound * ldc + columns.lowerBound, ldc: ldc, rows: slice.count,
                               columns: columns.count)
                r = slice.upperBound
            }
        }

        /// One OpenBLAS call for C[rows, columns].
        @inline(__always)
        func block(_ rows: Range<Int>, _ columns: Range<Int>) {
            let r = rows.lowerBound, j = columns.lowerBound
            Gemm.blas(transA, transB, rows.count, columns.count, k, alpha, transA ? a + r : a + r * lda, lda,
                      transB ? b + j * ldb : b + j, ldb, beta, c + r * ldc + j, ldc)
        }
    }

    /// Number of blocks for an m×n×k product on `threads` threads: several per thread so blocks can be handed
    /// out dynamically, but each at least 32 rows/columns and ~2 MFLOP so OpenBLAS stays efficient.
    static func blockCount(m: Int, n: Int, k: Int, threads: Int) -> Int {
        if threads <= 1 { return 1 }
        let flops = 2 * m * n * k
        let byWork = flops / 2_000_000
        let bySize = max(m, n) / 32
        return max(1, min(threads * 4, byWork, bySize))
    }

    /// Runs `body(args, i)` for independent GEMM-containing jobs: in parallel on the pool (each job's GEMMs
    /// then run single-threaded) under the default policy, serially on the calling thread when OpenBLAS is
    /// threaded. Allocation-free when `body` captures nothing (see `ThreadPool.parallelFor(_:_:_:)`).
    @inlinable
    public static func forEachIndependent<Args>(
        _ count: Int, pool: ThreadPool, _ args: Args, _ body: (Args, Int) -> Void
    ) {
        if BLASThreads.count > 1 {
            for i in 0..<count { body(args, i) }
        } else {
            pool.parallelFor(count, args, body)
        }
    }

    @usableFromInline @inline(__always)
    static func blas(
        _ transA: Bool, _ transB: Bool, _ m: Int, _ n: Int, _ k: Int, _ alpha: Float,
        _ a: UnsafePointer<Float>, _ lda: Int, _ b: UnsafePointer<Float>, _ ldb: Int,
        _ beta: Float, _ c: UnsafeMutablePointer<Float>, _ ldc: Int
    ) {
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
