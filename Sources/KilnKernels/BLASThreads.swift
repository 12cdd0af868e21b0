// The thread policy between OpenBLAS and Kiln's own pool.
//
// Policy: OpenBLAS runs single-threaded, and Kiln parallelises GEMMs itself. `Gemm.sgemm` splits a large GEMM
// into row or column blocks that the `ThreadPool` runs concurrently, each block one single-threaded OpenBLAS
// call; kernels with many small independent GEMMs (Winograd) run them side by side the same way. So there is
// one set of worker threads: OpenBLAS's own threads never spin against the pool's, blocks are handed out
// dynamically (a core briefly taken by another process slows a GEMM down instead of stalling it, which
// OpenBLAS's static split does), and small GEMMs avoid OpenBLAS's per-call thread hand-off. Measured on the
// 2-core development machine: conv-shaped GEMMs with N = 64 ran at 85–95 GFLOP/s split this way against
// 55–65 with OpenBLAS's 2 threads, and 64×64-inner GEMMs at ~58 per core against ~35 for 2 threads.
//
// The policy is applied lazily, before the first GEMM (or the first use of this enum). A caller that wants
// OpenBLAS's own threading back calls `BLASThreads.set(n)` with n > 1; `Gemm.sgemm` then makes a single
// OpenBLAS call from the calling thread and never from inside the pool.

import COpenBLAS

/// The number of threads OpenBLAS uses for one BLAS call.
public enum BLASThreads {
    /// Applies the default policy (single-threaded OpenBLAS) exactly once.
    static let defaultPolicy: Void = openblas_set_num_threads(1)

    /// Sets OpenBLAS's thread count (clamped to ≥ 1). With n > 1, GEMMs run on OpenBLAS's threads.
    public static func set(_ n: Int) {
        _ = defaultPolicy
        openblas_set_num_threads(Int32(clamping: max(n, 1)))
    }

    /// OpenBLAS's current thread count.
    public static var count: Int {
        _ = defaultPolicy
        return Int(openblas_get_num_threads())
    }
}
