// The thread policy between OpenBLAS and Kiln's own pool.
//
// Policy: every `cblas_sgemm` is called from the calling (main) thread, and OpenBLAS uses all cores for it with
// its own threads. `ThreadPool` runs everything else (im2col, col2im, elementwise, reductions, pooling). A kernel
// never calls sgemm from inside a pool body and never runs pool work while an sgemm is in flight, so the two sets
// of threads take turns instead of competing for the same cores. The pool's workers block when idle, and
// OpenBLAS's threads park themselves after a short spin, so each side gets the cores during its turn.

import COpenBLAS

/// The number of threads OpenBLAS uses for one BLAS call.
public enum BLASThreads {
    /// Sets OpenBLAS's thread count (clamped to ≥ 1).
    public static func set(_ n: Int) {
        openblas_set_num_threads(Int32(clamping: max(n, 1)))
    }

    /// OpenBLAS's current thread count.
    public static var count: Int { Int(openblas_get_num_threads()) }
}
