// 3×3 stride-1 convolutions by Winograd F(m×m, 3×3) (m = 2 or 4), all three passes, over NHWC / OHWI.
//
// Forward: U_ξ = (G g Gᵀ)_ξ per (out, in) channel pair, V_ξ = (Bᵀ d B)_ξ per tile and input channel, then one
// GEMM per transformed position ξ (α² of them): M_ξ (tiles, Cout) = V_ξ (tiles, Cin) · U_ξᵀ, and
// y = Aᵀ M A per tile. That is (m + 2)² / (9 m²) of the im2col multiplies: 0.44 for m = 2, 0.25 for m = 4.
// Backward data is the same algorithm on dy with the filter flipped and its channel roles swapped (a stride-1
// convolution's input gradient is a convolution with padding 2 − pad).
// Backward weights uses the transposed identity dW = Gᵀ [(A dY Aᵀ) ⊙ (Bᵀ D B)] G summed over tiles, so the
// sum over tiles becomes α² GEMMs P_ξ (Cout, Cin) = (A dY Aᵀ)_ξᵀ · V_ξ.
// Tiles are processed in chunks so the transformed buffers stay bounded. Transforms run on the pool, and the
// α² independent GEMMs of a chunk run side by side on it (see BLASThreads). Transforms vectorise over 16
// channels, with a masked tail.

/// The tiling of one Winograd problem: a 3×3 stride-1 convolution from `source` (N, H, W, C) to `target`
/// (N, outH, outW, outC) with the given top/left padding.
struct WinogradPlan {
    let batch, inH, inW, inC, outH, outW, outC, padTop, padLeft: Int
    let m, alpha: Int
    let tilesH, tilesW, tiles: Int
    let chunkTiles: Int

    /// Floats of transformed data per chunk of tiles is kept near this.
    static let chunkTargetFloats = 1 << 20

    init(batch: Int, inH: Int, inW: Int, inC: Int, outH: Int, outW: Int, outC: Int, padTop: Int, padLeft: Int,
         m: Int) {
        self.batch = batch; self.inH = inH; self.inW = inW; self.inC = inC
        self.outH = outH; self.outW = outW; self.outC = outC; self.padTop = padTop; self.padLeft = padLeft
        self.m = m
        alpha = m + 2
        tilesH = (outH + m - 1) / m
        tilesW = (outW + m - 1) / m
        tiles = batch * tilesH * tilesW
        let perTile = alpha * alpha * (inC + outC)
        let chunks = max(1, (tiles * perTile + Self.chunkTargetFloats - 1) / Self.chunkTargetFloats)
        chunkTiles = (tiles + chunks - 1) / chunks
    }

    /// The plan of each pass of geometry g (which must satisfy `Winograd.supports`).
    static func forPass(_ pass: ConvPass, _ g: ConvGeometry, m: Int) -> WinogradPlan {
        switch pass {
        case .forward, .backwardWeights:
            return WinogradPlan(batch: g.batch, inH: g.inH, inW: g.inW, inC: g.inC, outH: g.outH, outW: g.outW,
                                outC: g.outC, padTop: g.padTop, padLeft: g.padLeft, m: m)
        case .backwardData:
            return WinogradPlan(batch: g.batch, inH: g.outH, inW: g.outW, inC: g.outC, outH: g.inH, outW: g.inW,
                                outC: g.inC, padTop: 2 - g.padTop, padLeft: 2 - g.padLeft, m: m)
        }
    }

    /// Scratch floats: the α²·Cout·Cin filter transform plus one chunk of input and output transforms.
    var scratchFloats: Int { alpha * alpha * (inC * outC + chunkTiles * (inC + outC)) }

    @inline(__always)
    func tileOrigin(_ tile: Int) -> (n: Int, row: Int, column: Int) {
        let perImage = tilesH * tilesW
        let n = tile / perImage, rest = tile % perImage
        return (n, (rest / tilesW) * m, (rest % tilesW) * m)
    }
}

/// Winograd F(m×m, 3×3) convolution kernels; `Conv2D` dispatches here for 3×3 stride-1 layers.
public enum Winograd {
    /// Fewest F(4×4) output tiles (over the batch) for which `Conv2D` picks Winograd by default.
    public static let minimumTiles = 64

    /// True when geometry g can use Winograd for all passes: 3×3, stride 1, no dilation, one group, and
    /// padding ≤ 2 on every side.
    public static func supports(_ g: ConvGeometry) -> Bool {
        g.kernelH == 3 && g.kernelW == 3 && g.strideH == 1 && g.strideW == 1 && g.dilationH == 1
            && g.dilationW == 1 && g.groups == 1
            && g.padTop >= 0 && g.padTop <= 2 && g.padLeft >= 0 && g.padLeft <= 2
            && g.padBottom >= 0 && g.padBottom <= 2 && g.padRight >= 0 && g.padRight <= 2
    }

    /// Scratch floats for `pass` with output tiles of m×m (m = 2 or 4).
    public static func scratchFloats(_ g: ConvGeometry, _ pass: ConvPass, tile m: Int) -> Int {
        WinogradPlan.forPass(pass, g, m: m).scratchFloats
    }

    /// y = conv(x, w) with m×m output tiles. scratch: `scratchFloats(g, .forward, tile: m)` floats. An epilogue
    /// (on y) is applied by the output transform as it stores each tile.
    public static func forward(
        x: UnsafePointer<Float>, w: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>, geometry g: ConvGeometry,
        tile m: Int, scratch: UnsafeMutablePointer<Float>, pool: ThreadPool, epilogue: GemmEpilogue? = nil
    ) {
        run(source: x, w: w, target: y, plan: .forPass(.forward, g, m: m), flip: false, scratch: scratch, pool: pool,
            epilogue: epilogue)
    }

    /// dx = input gradient of conv(x, w) given dy, with m×m tiles. scratch: `scratchFloats(g, .backwardData, …)`.
    public static func backwardData(
        dy: UnsafePointer<Float>, w: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>,
        geometry g: ConvGeometry, tile m: Int, scratch: UnsafeMutablePointer<Float>, pool: ThreadPool
    ) {
        run(source: dy, w: w, target: dx, plan: .forPass(.backwardData, g, m: m), flip: true, scratch: scratch,
            pool: pool)
    }

    /// dw = weight gradient of conv(x, w) given dy, with m×m tiles. scratch: `scratchFloats(g, .backwardWeights, …)`.
    public static func backwardWeights(
        x: UnsafePointer<Float>, dy: UnsafePointer<Float>, dw: UnsafeMutablePointer<Float>,
        geometry g: ConvGeometry, tile m: Int, scratch: UnsafeMutablePointer<Float>, pool: ThreadPool
    ) {
        runWeights(x: x, dy: dy, dw: dw, plan: .forPass(.backwardWeights, g, m: m), scratch: scratch, pool: pool)
    }

    // MARK: - Drivers

    /// target = conv(source, filter) for a plan; the filter is w (OHWI) used as (outC = Cout, inC = Cin) when
    /// !flip, or flipped with the roles of its channels swapped when flip (the input-gradient convolution).
    static func run(
        source: UnsafePointer<Float>, w: UnsafePointer<Float>, target: UnsafeMutablePointer<Float>,
        plan p: WinogradPlan, flip: Bool, scratch: UnsafeMutablePointer<Float>, pool: ThreadPool,
        epilogue: GemmEpilogue? = nil
    ) {
        let positions = p.alpha * p.alpha
        // U: (α², filterRows, filterCols) with filterRows = Cout of w, filterCols = Cin of w.
        let filterRows = flip ? p.inC : p.outC, filterCols = flip ? p.outC : p.inC
        let u = scratch
        let v = u + positions * p.inC * p.outC
        let products = v + positions * p.chunkTiles * p.inC
        transformFilter(m: p.m, w: w, rows: filterRows, cols: filterCols, flip: flip, u: u, pool: pool)
        var first = 0
        while first < p.tiles {
            let count = min(p.chunkTiles, p.tiles - first)
            transformInput(source: source, plan: p, tiles: first..<(first + count), v: v, pool: pool)
            Gemm.forEachIndependent(positions, pool: pool, (p, u, v, products, count, flip)) { args, position in
                let (p, u, v, products, count, flip) = args
                let positions = p.alpha * p.alpha
                // M_ξ (tiles, outC) = V_ξ (tiles, inC) · U_ξᵀ (forward: U_ξ is (outC, inC))
                //                     V_ξ (tiles, inC) · U_ξ  (input gradient: U_ξ is (inC, outC))
                Gemm.blas(false, !flip, count, p.outC, p.inC, 1,
                          v + position * p.inC, positions * p.inC,
                          u + position * p.inC * p.outC, flip ? p.outC : p.inC,
                          0, products + position * p.outC, positions * p.outC)
            }
            transformOutput(products: products, plan: p, tiles: first..<(first + count), target: target, pool: pool,
                            epilogue: epilogue)
            first += count
        }
    }

    static func runWeights(
        x: UnsafePointer<Float>, dy: UnsafePointer<Float>, dw: UnsafeMutablePointer<Float>,
        plan p: WinogradPlan, scratch: UnsafeMutablePointer<Float>, pool: ThreadPool
    ) {
        let positions = p.alpha * p.alpha
        let sums = scratch                                   // P: (α², Cout, Cin)
        let v = sums + positions * p.inC * p.outC            // (chunk, α², Cin)
        let gradients = v + positions * p.chunkTiles * p.inC // (chunk, α², Cout)
        var first = 0
        while first < p.tiles {
            let count = min(p.chunkTiles, p.tiles - first)
            let range = first..<(first + count)
            transformInput(source: x, plan: p, tiles: range, v: v, pool: pool)
            transformGradient(dy: dy, plan: p, tiles: range, gradients: gradients, pool: pool)
            let beta: Float = first == 0 ? 0 : 1
            Gemm.forEachIndependent(positions, pool: pool, (p, sums, v, gradients, count, beta)) { args, position in
                let (p, sums, v, gradients, count, beta) = args
                let positions = p.alpha * p.alpha
                // P_ξ (Cout, Cin) += Gd_ξᵀ (Cout, tiles) · V_ξ (tiles, Cin)
                Gemm.blas(true, false, p.outC, p.inC, count, 1,
                          gradients + position * p.outC, positions * p.outC,
                          v + position * p.inC, positions * p.inC,
                          beta, sums + position * p.outC * p.inC, p.inC)
            }
            first += count
        }
        transformFilterGradient(m: p.m, sums: sums, rows: p.outC, cols: p.inC, dw: dw, pool: pool)
    }
}
