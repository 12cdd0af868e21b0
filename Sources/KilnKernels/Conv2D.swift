// 2-D convolution kernels (NHWC activations, OHWI weights): forward, input gradient, weight gradient.
//
// Algorithms, chosen per geometry:
// - 1×1, stride 1, unpadded: x is already the (N·H·W, Cin) im2col matrix, so each pass is one GEMM per group
//   (no scratch).
// - Otherwise: im2col over tiles of output lines into `scratch`, then a GEMM per tile and group; the input
//   gradient uses GEMM into scratch and a col2im gather. The tile height is chosen by `ConvTiling` so that the
//   column buffer stays around `ConvTiling.targetFloats` floats; `ConvGeometry.scratchFloats` reports its size.
// GEMMs run on OpenBLAS from the calling thread; the pool does im2col / col2im between them (see BLASThreads).

/// Convolution kernels. All tensors are f32, contiguous; x (N, H, W, Cin), w (Cout, KH, KW, Cin/groups),
/// y (N, Ho, Wo, Cout).
public enum Conv2D {
    /// y = conv(x, w); y is overwritten. scratch must hold `g.scratchFloats(.forward)` floats (nil if 0).
    public static func forward(
        x: UnsafePointer<Float>, w: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>,
        geometry g: ConvGeometry, scratch: UnsafeMutablePointer<Float>?, pool: ThreadPool
    ) {
        let cg = g.groupInC, cog = g.groupOutC, patch = g.patchSize
        if g.isPointwise {
            for group in 0..<g.groups {
                // y_g (M, Cog) = x_g (M, Cg) · W_gᵀ
                Gemm.sgemm(transA: false, transB: true, m: g.outPixels, n: cog, k: cg, alpha: 1,
                           a: x + group * cg, lda: g.inC, b: w + group * cog * patch, ldb: patch,
                           beta: 0, c: y + group * cog, ldc: g.outC)
            }
            return
        }
        guard let col = scratch else { preconditionFailure("Conv2D.forward: scratch required for \(g)") }
        let tiling = ConvTiling(g)
        for lines in tiling.tiles {
            let rows = lines.count * g.outW, firstRow = lines.lowerBound * g.outW
            for group in 0..<g.groups {
                Im2Col.im2col(x: x, geometry: g, group: group, lines: lines, col: col, pool: pool)
                // y_tile,g (rows, Cog) = col (rows, patch) · W_gᵀ
                Gemm.sgemm(transA: false, transB: true, m: rows, n: cog, k: patch, alpha: 1,
                           a: col, lda: patch, b: w + group * cog * patch, ldb: patch,
                           beta: 0, c: y + firstRow * g.outC + group * cog, ldc: g.outC)
            }
        }
    }

    /// dx = ∂⟨y, dy⟩/∂x for y = conv(x, w); dx is overwritten.
    /// dy: (N, Ho, Wo, Cout); dx: (N, H, W, Cin); scratch: `g.scratchFloats(.backwardData)` floats.
    public static func backwardData(
        dy: UnsafePointer<Float>, w: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>,
        geometry g: ConvGeometry, scratch: UnsafeMutablePointer<Float>?, pool: ThreadPool
    ) {
        let cg = g.groupInC, cog = g.groupOutC, patch = g.patchSize
        if g.isPointwise {
            for group in 0..<g.groups {
                // dx_g (M, Cg) = dy_g (M, Cog) · W_g (Cog, Cg)
                Gemm.sgemm(transA: false, transB: false, m: g.outPixels, n: cg, k: cog, alpha: 1,
                           a: dy + group * cog, lda: g.outC, b: w + group * cog * patch, ldb: patch,
                           beta: 0, c: dx + group * cg, ldc: g.inC)
            }
            return
        }
        guard let dcol = scratch else { preconditionFailure("Conv2D.backwardData: scratch required for \(g)") }
        zeroFloats(dx, count: g.inputCount, pool: pool)
        let tiling = ConvTiling(g)
        for lines in tiling.tiles {
            let rows = lines.count * g.outW, firstRow = lines.lowerBound * g.outW
            for group in 0..<g.groups {
                // dcol (rows, patch) = dy_tile,g (rows, Cog) · W_g (Cog, patch)
                Gemm.sgemm(transA: false, transB: false, m: rows, n: patch, k: cog, alpha: 1,
                           a: dy + firstRow * g.outC + group * cog, lda: g.outC,
                           b: w + group * cog * patch, ldb: patch, beta: 0, c: dcol, ldc: patch)
                Im2Col.col2im(dcol: dcol, geometry: g, group: group, lines: lines, dx: dx, pool: pool)
            }
        }
    }

    /// dw = ∂⟨y, dy⟩/∂w for y = conv(x, w); dw is overwritten.
    /// x: (N, H, W, Cin); dy: (N, Ho, Wo, Cout); dw: (Cout, KH, KW, Cin/groups).
    public static func backwardWeights(
        x: UnsafePointer<Float>, dy: UnsafePointer<Float>, dw: UnsafeMutablePointer<Float>,
        geometry g: ConvGeometry, scratch: UnsafeMutablePointer<Float>?, pool: ThreadPool
    ) {
        let cg = g.groupInC, cog = g.groupOutC, patch = g.patchSize
        if g.isPointwise {
            for group in 0..<g.groups {
                // dW_g (Cog, Cg) = dy_gᵀ (Cog, M) · x_g (M, Cg)
                Gemm.sgemm(transA: true, transB: false, m: cog, n: cg, k: g.outPixels, alpha: 1,
                           a: dy + group * cog, lda: g.outC, b: x + group * cg, ldb: g.inC,
                           beta: 0, c: dw + group * cog * patch, ldc: patch)
            }
            return
        }
        guard let col = scratch else { preconditionFailure("Conv2D.backwardWeights: scratch required for \(g)") }
        let tiling = ConvTiling(g)
        var first = true
        for lines in tiling.tiles {
            let rows = lines.count * g.outW, firstRow = lines.lowerBound * g.outW
            for group in 0..<g.groups {
                Im2Col.im2col(x: x, geometry: g, group: group, lines: lines, col: col, pool: pool)
                // dW_g (Cog, patch) += dy_tile,gᵀ (Cog, rows) · col (rows, patch)
                Gemm.sgemm(transA: true, transB: false, m: cog, n: patch, k: rows, alpha: 1,
                           a: dy + firstRow * g.outC + group * cog, lda: g.outC, b: col, ldb: patch,
                           beta: first ? 0 : 1, c: dw + group * cog * patch, ldc: patch)
            }
            first = false
        }
    }
}

extension ConvGeometry {
    /// True when x viewed as (N·H·W, Cin) is the im2col matrix: 1×1 kernel, stride 1, no padding.
    var isPointwise: Bool {
        kernelH == 1 && kernelW == 1 && strideH == 1 && strideW == 1
            && padTop == 0 && padLeft == 0 && padBottom == 0 && padRight == 0
    }

    /// Floats of scratch that `Conv2D`'s kernel for `pass` needs (0 when it needs none).
    public func scratchFloats(_ pass: ConvPass) -> Int {
        if isPointwise { return 0 }
        return ConvTiling(self).tileLines * outW * patchSize
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

    /// The tiles in order; each is a range of line indices.
    var tiles: some Sequence<Range<Int>> {
        stride(from: 0, to: totalLines, by: tileLines).lazy.map { [totalLines, tileLines] start in
            start ..< min(start + tileLines, totalLines)
        }
    }
}
