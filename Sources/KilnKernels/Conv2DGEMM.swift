// The GEMM-based convolution algorithms: `pointwise` (1×1 stride-1 unpadded, x is already the im2col
// matrix) and `im2col` (patches of a tile of output lines into scratch, GEMM per tile and group; col2im gather
// for the input gradient). Tiles keep the column buffer near `ConvTiling.targetFloats` floats.
// Forward GEMMs of the shapes where it is faster (`ConvGeometry.forwardUsesPackedGemm`) run on `PackedGemm`, with
// the weights packed into scratch once per call (after the column tile, for im2col); the others and the backward
// passes use OpenBLAS (`Gemm.sgemm`).

extension Conv2D {
    /// `packed`: scratch for the packed weights when the layer runs on PackedGemm (`forwardUsesPackedGemm`), else nil.
    static func pointwiseForward(x: UnsafePointer<Float>, w: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>,
                                 g: ConvGeometry, packed: UnsafeMutablePointer<Float>?, pool: ThreadPool,
                                 epilogue: GemmEpilogue?) {
        if let packed {
            // y (M, Cout) = x (M, Cin) · Wᵀ, W packed once, the epilogue on each finished strip of 6 rows.
            PackedGemm.pack(transB: true, n: g.outC, k: g.inC, b: w, ldb: g.inC, into: packed, pool: pool)
            PackedGemm.multiply(m: g.outPixels, n: g.outC, k: g.inC, a: x, lda: g.inC, packed: packed, c: y,
                                ldc: g.outC, pool: pool, epilogue: epilogue)
            return
        }
        let cg = g.groupInC, cog = g.groupOutC
        for group in 0..<g.groups {
            // y_g (M, Cog) = x_g (M, Cg) · W_gᵀ
            Gemm.sgemm(transA: false, transB: true, m: g.outPixels, n: cog, k: cg, alpha: 1,
                       a: x + group * cg, lda: g.inC, b: w + group * cog * cg, ldb: cg,
                       beta: 0, c: y + group * cog, ldc: g.outC, pool: pool, epilogue: epilogue)
        }
    }

    static func pointwiseBackwardData(dy: UnsafePointer<Float>, w: UnsafePointer<Float>,
                                      dx: UnsafeMutablePointer<Float>, g: ConvGeometry, pool: ThreadPool) {
        let cg = g.groupInC, cog = g.groupOutC
        for group in 0..<g.groups {
            // dx_g (M, Cg) = dy_g (M, Cog) · W_g (Cog, Cg)
            Gemm.sgemm(transA: false, transB: false, m: g.outPixels, n: cg, k: cog, alpha: 1,
                       a: dy + group * cog, lda: g.outC, b: w + group * cog * cg, ldb: cg,
                       beta: 0, c: dx + group * cg, ldc: g.inC, pool: pool)
        }
    }

    static func pointwiseBackwardWeights(x: UnsafePointer<Float>, dy: UnsafePointer<Float>,
                                         dw: UnsafeMutablePointer<Float>, g: ConvGeometry, pool: ThreadPool) {
        let cg = g.groupInC, cog = g.groupOutC
        for group in 0..<g.groups {
            // dW_g (Cog, Cg) = dy_gᵀ (Cog, M) · x_g (M, Cg)
            Gemm.sgemm(transA: true, transB: false, m: cog, n: cg, k: g.outPixels, alpha: 1,
                       a: dy + group * cog, lda: g.outC, b: x + group * cg, ldb: g.inC,
                       beta: 0, c: dw + group * cog * cg, ldc: cg, pool: pool)
        }
    }

    static func im2colForward(x: UnsafePointer<Float>, w: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>,
                              g: ConvGeometry, col: UnsafeMutablePointer<Float>, pool: ThreadPool,
                              epilogue: GemmEpilogue?) {
        let cog = g.groupOutC, patch = g.patchSize
        let tiling = ConvTiling(g)
        // With PackedGemm, W is packed once, after the column tile in scratch, and every tile's GEMM uses it.
        let packed: UnsafeMutablePointer<Float>? = g.forwardUsesPackedGemm ? col + tiling.columnFloats(g) : nil
        if let packed {
            PackedGemm.pack(transB: true, n: g.outC, k: patch, b: w, ldb: patch, into: packed, pool: pool)
        }
        for index in 0..<tiling.count {
            let lines = tiling.tile(index)
            let rows = lines.count * g.outW, firstRow = lines.lowerBound * g.outW
            for group in 0..<g.groups {
                Im2Col.im2col(x: x, geometry: g, group: group, lines: lines, col: col, pool: pool)
                // y_tile,g (rows, Cog) = col (rows, patch) · W_gᵀ
                if let packed {
                    PackedGemm.multiply(m: rows, n: cog, k: patch, a: col, lda: patch, packed: packed,
                                        c: y + firstRow * g.outC, ldc: g.outC, pool: pool, epilogue: epilogue)
                } else {
                    Gemm.sgemm(transA: false, transB: true, m: rows, n: cog, k: patch, alpha: 1,
                               a: col, lda: patch, b: w + group * cog * patch, ldb: patch,
                               beta: 0, c: y + firstRow * g.outC + group * cog, ldc: g.outC, pool: pool,
                               epilogue: epilogue)
                }
            }
        }
    }

    static func im2colBackwardData(dy: UnsafePointer<Float>, w: UnsafePointer<Float>,
                                   dx: UnsafeMutablePointer<Float>, g: ConvGeometry,
                                   dcol: UnsafeMutablePointer<Float>, pool: ThreadPool) {
        let cog = g.groupOutC, patch = g.patchSize
        zeroFloats(dx, count: g.inputCount, pool: pool)
        let tiling = ConvTiling(g)
        for index in 0..<tiling.count {
            let lines = tiling.tile(index)
            let rows = lines.count * g.outW, firstRow = lines.lowerBound * g.outW
            for group in 0..<g.groups {
                // dcol (rows, patch) = dy_tile,g (rows, Cog) · W_g (Cog, patch)
                Gemm.sgemm(transA: false, transB: false, m: rows, n: patch, k: cog, alpha: 1,
                           a: dy + firstRow * g.outC + group * cog, lda: g.outC,
                           b: w + group * cog * patch, ldb: patch, beta: 0, c: dcol, ldc: patch, pool: pool)
                Im2Col.col2im(dcol: dcol, geometry: g, group: group, lines: lines, dx: dx, pool: pool)
            }
        }
    }

    static func im2colBackwardWeights(x: UnsafePointer<Float>, dy: UnsafePointer<Float>,
                                      dw: UnsafeMutablePointer<Float>, g: ConvGeometry,
                                      col: UnsafeMutablePointer<Float>, pool: ThreadPool) {
        let cog = g.groupOutC, patch = g.patchSize
        var first = true
        let tiling = ConvTiling(g)
        for index in 0..<tiling.count {
            let lines = tiling.tile(index)
            let rows = lines.count * g.outW, firstRow = lines.lowerBound * g.outW
            for group in 0..<g.groups {
                Im2Col.im2col(x: x, geometry: g, group: group, lines: lines, col: col, pool: pool)
                // dW_g (Cog, patch) += dy_tile,gᵀ (Cog, rows) · col (rows, patch)
                Gemm.sgemm(transA: true, transB: false, m: cog, n: patch, k: rows, alpha: 1,
                           a: dy + firstRow * g.outC + group * cog, lda: g.outC, b: col, ldb: patch,
                           beta: first ? 0 : 1, c: dw + group * cog * patch, ldc: patch, pool: pool)
            }
            first = false
        }
    }
}

/// How the im2col path splits the output lines (n, oh) into tiles.
struct ConvTiling {
    /// Target size of one column tile: large enough for efficient GEMMs, small enough to stay in cache.
    static let targetFloats = 1 << 20

    let totalLines: Int
    let tileLines: Int

    init(_ g: ConvGeometry) {
        totalLines = g.batch * g.outH
        let lineFloats = max(g.outW * g.patchSize, 1)
        tileLines = min(max(Self.targetFloats / lineFloats, 1), totalLines)
    }

    /// Rows of one tile's GEMM (the last tile may have fewer).
    func tileRows(_ g: ConvGeometry) -> Int { tileLines * g.outW }

    /// Floats of one column tile (the im2col scratch).
    func columnFloats(_ g: ConvGeometry) -> Int { tileRows(g) * g.patchSize }

    /// Number of tiles.
    var count: Int { (totalLines + tileLines - 1) / tileLines }

    /// Tile `index` as a range of line indices.
    func tile(_ index: Int) -> Range<Int> {
        index * tileLines ..< min((index + 1) * tileLines, totalLines)
    }
}
