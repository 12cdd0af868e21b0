// Kiln's own single-precision GEMM for convolution forward passes: C (m, n) = A (m, k) · op(B) (k, n), with the
// convolution epilogue applied to each strip of 6 rows of C as soon as it is finished, while it is in L1.
//
// Why not OpenBLAS everywhere: the 1×1 convolutions of ResNet-50 inference at 56 and 28 px are GEMMs with a short k
// (64–256) and a long m (N·H·W). OpenBLAS packs both operands on every call and reaches only 30–45 GFLOP/s per core
// at k = 64; applying the epilogue to slices of C while they are in cache means calling it per slice, which packs B
// again each time. Here B (the weights, small) is packed once per call and shared by the threads; A is read in place;
// the epilogue reads C back from L1. With the epilogue, on one core, this took 0.69–0.81× OpenBLAS's time at k = 64,
// 0.83× on the 7×7 stem (k = 147) and 0.89–0.90× at k = 128–256; on the short GEMMs of the 14 and 7 px layers
// (≤ 1568 rows, k ≥ 256) OpenBLAS was 5–12 % faster, so `ConvGeometry.forwardUsesPackedGemm` keeps it there
// (docs/performance.md, "Kiln's own GEMM for convolutions").
//
// Blocking (BLIS's loop nest without packing A): k is cut into blocks of at most `maxKBlock`; n into column blocks
// whose packed B fits half of L2 (`columnBlockFloats`); inside, each 6-row A sliver (≤ 6 KB, in L1) meets every
// 16-column panel of the block (streamed from L2) in `microKernel`. Threads take chunks of row tiles (and of panels
// when m is short); each element of C is summed in the same order whatever the split, so the result does not depend
// on the thread count.
//
// Packed layout of B for an n × k product: k blocks one after another; block starting at row pc is `kc` rows long
// (`kc` = min(kBlock, k − pc)), starts at pc · paddedColumns, and holds the panels of 16 columns in order, each
// kc × 16 floats (row p = B[pc + p, 16 columns]); columns past n are zero.

/// A GEMM with the weights packed once per call and the epilogue fused into its row loop.
public enum PackedGemm {
    /// Rows of C per register tile.
    public static let tileRows = 6
    /// Columns of C per register tile, and per packed panel of B.
    public static let panelColumns = 16
    /// Longest k block: the 6-row A sliver (6 KB) stays in L1 while it meets every panel of a column block.
    static let maxKBlock = 256
    /// Packed-B floats per column block: 256 KB, half the 512 KB L2 of the development machine's cores.
    static let columnBlockFloats = 1 << 16
    /// Multiply-adds below which a product is not split over threads (~1 MFLOP per task).
    static let minTaskMACs = 500_000

    /// n rounded up to whole panels.
    @inline(__always)
    static func paddedColumns(_ n: Int) -> Int { (n + panelColumns - 1) / panelColumns * panelColumns }

    /// The k block length for an inner dimension k: at most `maxKBlock`, the blocks as equal as possible.
    @inline(__always)
    static func kBlock(_ k: Int) -> Int {
        let blocks = (k + maxKBlock - 1) / maxKBlock
        return (k + blocks - 1) / max(blocks, 1)
    }

    /// Floats `pack` writes for an n × k B.
    public static func packedFloats(n: Int, k: Int) -> Int { paddedColumns(n) * k }

    /// Packs op(B) (k × n) into `packed` (`packedFloats(n:k:)` floats). B is stored (n, k) with rows `ldb` apart if
    /// `transB` (convolution weights: one row per output channel), else (k, n).
    public static func pack(
        transB: Bool, n: Int, k: Int, b: UnsafePointer<Float>, ldb: Int,
        into packed: UnsafeMutablePointer<Float>, pool: ThreadPool
    ) {
        if n <= 0 || k <= 0 { return }
        let panels = paddedColumns(n) / panelColumns
        pool.parallelChunks(panels, minChunk: max(1, 16_384 / k), (transB, n, k, b, ldb, packed)) { args, range in
            let (transB, n, k, b, ldb, packed) = args
            for panel in range { packPanel(panel, transB: transB, n: n, k: k, b: b, ldb: ldb, packed: packed) }
        }
    }

    /// Packs the 16 columns of panel `panel` for every k block.
    static func packPanel(
        _ panel: Int, transB: Bool, n: Int, k: Int, b: UnsafePointer<Float>, ldb: Int,
        packed: UnsafeMutablePointer<Float>
    ) {
        let kc = kBlock(k), padded = paddedColumns(n)
        let first = panel * panelColumns, columns = min(panelColumns, n - first)
        var pc = 0
        while pc < k {
            let rows = min(kc, k - pc)
            let dst = packed + pc * padded + panel * panelColumns * rows
            for p in 0..<rows {
                let out = dst + p * panelColumns
                if transB {
                    // One float from each of the panel's weight rows; those rows stream through the cache in order.
                    // (Scalar stores: inserting lanes into a SIMD16 at run-time indices goes through memory.)
                    let src = b + first * ldb + pc + p
                    if columns == panelColumns {
                        for j in 0..<panelColumns { out[j] = src[j * ldb] }
                    } else {
                        for j in 0..<panelColumns { out[j] = j < columns ? src[j * ldb] : 0 }
                    }
                } else {
                    let src = b + (pc + p) * ldb + first
                    if columns == panelColumns {
                        store16(load16(src), out)
                    } else {
                        for j in 0..<panelColumns { out[j] = j < columns ? src[j] : 0 }
                    }
                }
            }
            pc += rows
        }
    }

    /// C (m, n) = A (m, k) · B, B packed by `pack`; C is overwritten, then the epilogue (whose output view
    /// contains C) is applied to it. A is row-major with rows `lda` apart, C with rows `ldc` apart.
    public static func multiply(
        m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int, packed: UnsafePointer<Float>,
        c: UnsafeMutablePointer<Float>, ldc: Int, pool: ThreadPool, epilogue: GemmEpilogue? = nil
    ) {
        if m <= 0 || n <= 0 { return }
        if k <= 0 {
            for i in 0..<m { (c + i * ldc).update(repeating: 0, count: n) }
            epilogue?.apply(c, ldc: ldc, rows: m, columns: n)
            return
        }
        let product = Product(m: m, n: n, k: k, a: a, lda: lda, packed: packed, c: c, ldc: ldc, epilogue: epilogue)
        let tiles = (m + tileRows - 1) / tileRows, panels = paddedColumns(n) / panelColumns
        let tasks = min(pool.threadCount * 4, max(1, m * n * k / minTaskMACs))
        if pool.threadCount == 1 || tasks == 1 {
            product.run(tiles: 0..<tiles, panels: 0..<panels)
            return
        }
        // Chunks of row tiles; when m has too few tiles for that many tasks, the panels are split as well.
        let rowChunks = min(tiles, tasks)
        let panelChunks = min(panels, (tasks + rowChunks - 1) / rowChunks)
        pool.parallelFor(rowChunks * panelChunks, (product, tiles, panels, rowChunks, panelChunks)) { args, task in
            let (product, tiles, panels, rowChunks, panelChunks) = args
            let r = task / panelChunks, p = task % panelChunks
            product.run(tiles: tiles * r / rowChunks ..< tiles * (r + 1) / rowChunks,
                        panels: panels * p / panelChunks ..< panels * (p + 1) / panelChunks)
        }
    }

    /// The operands of one `multiply`, carried into pool jobs.
    struct Product {
        let m, n, k: Int
        let a: UnsafePointer<Float>
        let lda: Int
        let packed: UnsafePointer<Float>
        let c: UnsafeMutablePointer<Float>
        let ldc: Int
        let epilogue: GemmEpilogue?

        /// Computes the row tiles `tiles` × the panels `panels` of C.
        func run(tiles: Range<Int>, panels: Range<Int>) {
            if tiles.isEmpty || panels.isEmpty { return }
            let kc = PackedGemm.kBlock(k), padded = PackedGemm.paddedColumns(n)
            let panelsPerBlock = max(1, PackedGemm.columnBlockFloats / (PackedGemm.panelColumns * kc))
            let firstRow = tiles.lowerBound * PackedGemm.tileRows
            let endRow = min(m, tiles.upperBound * PackedGemm.tileRows)
            var block = panels.lowerBound
            while block < panels.upperBound {
                let blockEnd = min(panels.upperBound, block + panelsPerBlock)
                var pc = 0
                while pc < k {
                    let depth = min(kc, k - pc)
                    let last = pc + depth == k
                    var i = firstRow
                    while i < endRow {
                        let rows = min(PackedGemm.tileRows, endRow - i)
                        for panel in block..<blockEnd {
                            let column = panel * PackedGemm.panelColumns
                            PackedGemm.microKernel(
                                kc: depth, a: a + i * lda + pc, lda: lda, rows: rows,
                                panel: packed + pc * padded + column * depth, c: c + i * ldc + column, ldc: ldc,
                                columns: min(PackedGemm.panelColumns, n - column), accumulate: pc > 0)
                        }
                        // The epilogue runs on the tile rows just finished, while they are in L1: its residual is
                        // then read in order (applied per register tile, the scattered residual reads of 1×1
                        // layers at 56 px missed the prefetchers and took 2× the GEMM's time).
                        if last, let epilogue {
                            let column = block * PackedGemm.panelColumns
                            epilogue.apply(c + i * ldc + column, ldc: ldc, rows: rows,
                                           columns: min(blockEnd * PackedGemm.panelColumns, n) - column)
                        }
                        i += rows
                    }
                    pc += depth
                }
                block = blockEnd
            }
        }
    }
}
