// 2-D convolution kernels (NHWC activations, OHWI weights): forward, input gradient, weight gradient.
//
// Each pass picks an algorithm from the geometry (`ConvGeometry.algorithm(_:)`), or takes one explicitly:
// - pointwise: 1×1, stride 1, unpadded — x is already the (N·H·W, Cin) im2col matrix, one GEMM per group; on
//   PackedGemm the forward pass's scratch holds the packed weights (Conv2DGEMM.swift, PackedGemm.swift);
// - im2col: patches of a tile of output lines copied into scratch, then a GEMM per tile and group; the input
//   gradient is a GEMM into scratch followed by a col2im gather (Conv2DGEMM.swift, Im2Col.swift);
// - winograd(tile: m): F(m×m, 3×3) for 3×3 stride-1 layers, 2.25× (m = 2) or 4× (m = 4) fewer multiplies
//   (WinogradConv.swift);
// - perPixel: one GEMM over the batch per output pixel and kernel row, reading x, w and y in place and skipping
//   taps on padding — no copies, no scratch (Conv2DPerPixel.swift).
// `ConvGeometry.scratchFloats` reports the scratch each pass needs. The forward GEMMs of pointwise and im2col layers
// with a short k and many rows are Kiln's own (`PackedGemm`, see `ConvGeometry.forwardUsesPackedGemm`); the others
// are single-threaded OpenBLAS calls that the pool runs in parallel (see BLASThreads).
// The forward pass takes an optional epilogue (per-channel scale and shift, residual, ReLU; GemmEpilogue.swift)
// that every algorithm applies to each block of y right after computing it: 6-row strips (PackedGemm) or GEMM slices
// (OpenBLAS) for pointwise and im2col, the batch rows of one output pixel (perPixel), or each vector of the output
// transform (Winograd).

/// How a convolution pass is computed.
public enum ConvAlgorithm: Hashable, Sendable {
    case pointwise
    case im2col
    case winograd(tile: Int)
    case perPixel
}

/// Convolution kernels. All tensors are f32, contiguous; x (N, H, W, Cin), w (Cout, KH, KW, Cin/groups),
/// y (N, Ho, Wo, Cout).
public enum Conv2D {
    /// y = conv(x, w); y is overwritten. scratch must hold `g.scratchFloats(.forward)` floats (nil if 0).
    /// With an `epilogue` (whose output is y, with `g.outC` channels), y = epilogue(conv(x, w)), the epilogue
    /// applied to each block of y as soon as it is computed.
    public static func forward(
        x: UnsafePointer<Float>, w: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>,
        geometry g: ConvGeometry, scratch: UnsafeMutablePointer<Float>?, pool: ThreadPool,
        epilogue: GemmEpilogue? = nil
    ) {
        forward(x: x, w: w, y: y, geometry: g, algorithm: g.algorithm(.forward), scratch: scratch, pool: pool,
                epilogue: epilogue)
    }

    /// dx = ∂⟨y, dy⟩/∂x for y = conv(x, w); dx is overwritten.
    /// dy: (N, Ho, Wo, Cout); dx: (N, H, W, Cin); scratch: `g.scratchFloats(.backwardData)` floats.
    public static func backwardData(
        dy: UnsafePointer<Float>, w: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>,
        geometry g: ConvGeometry, scratch: UnsafeMutablePointer<Float>?, pool: ThreadPool
    ) {
        backwardData(dy: dy, w: w, dx: dx, geometry: g, algorithm: g.algorithm(.backwardData), scratch: scratch,
                     pool: pool)
    }

    /// dw = ∂⟨y, dy⟩/∂w for y = conv(x, w); dw is overwritten.
    /// x: (N, H, W, Cin); dy: (N, Ho, Wo, Cout); dw: (Cout, KH, KW, Cin/groups).
    public static func backwardWeights(
        x: UnsafePointer<Float>, dy: UnsafePointer<Float>, dw: UnsafeMutablePointer<Float>,
        geometry g: ConvGeometry, scratch: UnsafeMutablePointer<Float>?, pool: ThreadPool
    ) {
        backwardWeights(x: x, dy: dy, dw: dw, geometry: g, algorithm: g.algorithm(.backwardWeights),
                        scratch: scratch, pool: pool)
    }

    /// Forward with an explicit algorithm, which must satisfy `g.supports(algorithm)`; scratch must hold
    /// `g.scratchFloats(.forward, algorithm: algorithm)` floats.
    public static func forward(
        x: UnsafePointer<Float>, w: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>, geometry g: ConvGeometry,
        algorithm: ConvAlgorithm, scratch: UnsafeMutablePointer<Float>?, pool: ThreadPool,
        epilogue: GemmEpilogue? = nil
    ) {
        precondition(g.supports(algorithm), "Conv2D.forward: \(algorithm) cannot run \(g)")
        precondition(epilogue.map { $0.output == y && $0.channels == g.outC } ?? true,
                     "Conv2D.forward: the epilogue must describe y")
        switch algorithm {
        case .pointwise:
            pointwiseForward(x: x, w: w, y: y, g: g, packed: g.forwardUsesPackedGemm ? required(scratch, g) : nil,
                             pool: pool, epilogue: epilogue)
        case .perPixel: perPixelForward(x: x, w: w, y: y, g: g, pool: pool, epilogue: epilogue)
        case .im2col: im2colForward(x: x, w: w, y: y, g: g, col: required(scratch, g), pool: pool, epilogue: epilogue)
        case .winograd(let m):
            Winograd.forward(x: x, w: w, y: y, geometry: g, tile: m, scratch: required(scratch, g), pool: pool,
                             epilogue: epilogue)
        }
    }

    /// Input gradient with an explicit algorithm (see `forward(…algorithm:…)`).
    public static func backwardData(
        dy: UnsafePointer<Float>, w: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>,
        geometry g: ConvGeometry, algorithm: ConvAlgorithm, scratch: UnsafeMutablePointer<Float>?, pool: ThreadPool
    ) {
        precondition(g.supports(algorithm), "Conv2D.backwardData: \(algorithm) cannot run \(g)")
        switch algorithm {
        case .pointwise: pointwiseBackwardData(dy: dy, w: w, dx: dx, g: g, pool: pool)
        case .perPixel: perPixelBackwardData(dy: dy, w: w, dx: dx, g: g, pool: pool)
        case .im2col: im2colBackwardData(dy: dy, w: w, dx: dx, g: g, dcol: required(scratch, g), pool: pool)
        case .winograd(let m):
            Winograd.backwardData(dy: dy, w: w, dx: dx, geometry: g, tile: m, scratch: required(scratch, g),
                                  pool: pool)
        }
    }

    /// Weight gradient with an explicit algorithm (see `forward(…algorithm:…)`).
    public static func backwardWeights(
        x: UnsafePointer<Float>, dy: UnsafePointer<Float>, dw: UnsafeMutablePointer<Float>,
        geometry g: ConvGeometry, algorithm: ConvAlgorithm, scratch: UnsafeMutablePointer<Float>?, pool: ThreadPool
    ) {
        precondition(g.supports(algorithm), "Conv2D.backwardWeights: \(algorithm) cannot run \(g)")
        switch algorithm {
        case .pointwise: pointwiseBackwardWeights(x: x, dy: dy, dw: dw, g: g, pool: pool)
        case .perPixel: perPixelBackwardWeights(x: x, dy: dy, dw: dw, g: g, pool: pool)
        case .im2col: im2colBackwardWeights(x: x, dy: dy, dw: dw, g: g, col: required(scratch, g), pool: pool)
        case .winograd(let m):
            Winograd.backwardWeights(x: x, dy: dy, dw: dw, geometry: g, tile: m, scratch: required(scratch, g),
                                     pool: pool)
        }
    }

    /// Outputs of at most this many pixels (outH·outW) count as tiny: perPixel rather than Winograd.
    public static let perPixelMaxOutputs = 16
    /// Smallest batch for which perPixel is the default on larger outputs (its GEMMs have one row per image, and
    /// each of them packs the kernel row's weights again: with fewer rows that packing dominates).
    public static let perPixelMinBatch = 32

    @inline(__always)
    static func required(_ scratch: UnsafeMutablePointer<Float>?, _ g: ConvGeometry) -> UnsafeMutablePointer<Float> {
        guard let scratch else { preconditionFailure("Conv2D: scratch required for \(g)") }
        return scratch
    }
}

extension ConvGeometry {
    /// True when x viewed as (N·H·W, Cin) is the im2col matrix: 1×1 kernel, stride 1, no padding.
    var isPointwise: Bool {
        kernelH == 1 && kernelW == 1 && strideH == 1 && strideW == 1
            && padTop == 0 && padLeft == 0 && padBottom == 0 && padRight == 0
    }

    /// Whether the forward GEMMs of the pointwise and im2col algorithms run on `PackedGemm` rather than OpenBLAS:
    /// ungrouped layers with a short inner dimension (k = Cin·KH·KW ≤ 256) and long GEMMs (≥ 2048 rows: the output
    /// pixels, or one im2col tile's). Measured on ResNet-50's shapes at batch 8 (one thread, CPU time, the two
    /// interleaved; `ConvEpilogueBenchmark/gemms`): there PackedGemm took 0.69–0.95× OpenBLAS's time with the
    /// epilogue where this chooses it (k = 64–256 at 56 px, k = 128–256 at 28 px, the 7×7 stem's k = 147), 0.96–1.03×
    /// at k = 512 and 1.04–1.13× on the short GEMMs of the 14 and 7 px layers (224–1568 rows, k ≥ 256).
    public var forwardUsesPackedGemm: Bool {
        groups == 1 && patchSize <= 256 && forwardGEMMRows >= 2048
    }

    /// Rows of one forward GEMM of the pointwise or im2col algorithm: every output pixel for pointwise, the pixels of
    /// one column tile (at most) for im2col.
    public var forwardGEMMRows: Int { isPointwise ? outPixels : min(outPixels, ConvTiling(self).tileRows(self)) }

    /// Whether `algorithm` can compute this geometry (im2col can compute any valid geometry).
    public func supports(_ algorithm: ConvAlgorithm) -> Bool {
        switch algorithm {
        case .pointwise: return isPointwise
        case .im2col: return true
        case .winograd(let m): return (m == 2 || m == 4) && Winograd.supports(self)
        case .perPixel: return groups == 1 && dilationW == 1
        }
    }

    /// The algorithm `Conv2D` uses for `pass` by default:
    /// 1. pointwise for 1×1 stride-1 unpadded layers;
    /// 2. Winograd F(4×4, 3×3) for 3×3 stride-1 layers with more than `Conv2D.perPixelMaxOutputs` output
    ///    pixels and at least `Winograd.minimumTiles` tiles over the batch — F(2×2) instead when there are fewer
    ///    than 4 × `Winograd.minimumTiles` of them, they overhang the output by more than 20 % and 2×2 tiles fit
    ///    it exactly;
    /// 3. perPixel when the output is tiny, or when the batch has at least `Conv2D.perPixelMinBatch` images
    ///    (its GEMMs run over the batch) and each per-pixel GEMM is at least ~1 MFLOP;
    /// 4. im2col otherwise (grouped and horizontally dilated layers, small batches).
    ///
    /// Measured on ResNet-18 shapes at batch 32 (single-thread CPU time, so that the machine's other load does
    /// not decide): F(4×4) took 0.55–0.6× im2col's time on 16×16 and 8×8 outputs but lost on 4×4 (32 tiles:
    /// the α²·Cin·Cout filter transform and 32-row GEMMs cost as much as the saved multiplies) and 2×2;
    /// perPixel took 0.55–0.75× im2col's time on 2×2 and 4×4 outputs and 0.75–1.0× on the stride-2 layers,
    /// and its input gradient needs no col2im. On the 7×7 stem (3 input channels) its 7168 GEMMs of 86 kFLOP
    /// each were as fast as im2col on one thread but slower on two (21.8 against 12.0 ms forward).
    /// On ResNet-50 inference shapes at 224×224 (ConvEpilogueBenchmark), perPixel's forward took 1.8–2.9× im2col's
    /// time at batch 8 on every stride-2 layer and on the 3×3 layers at 7×7 (1.5–3.2× on two threads; 1.3–2.4× for
    /// the backward passes), and 1.3–1.8× at batch 16: with so few rows per GEMM, repacking the weights for every pixel
    /// costs more than im2col's copy. On the 14×14 layers (256 channels, batch 8), F(2×2) took 0.8–0.9× F(4×4)'s
    /// forward time (one and two threads), 0.9× for the input gradient and the same for the weight gradient: F(4×4)
    /// computes 16×16 outputs there, in GEMMs of only 128 tile rows. At batch 32 (512 tiles) F(4×4) was as fast
    /// forward and took 0.77× and 0.86× F(2×2)'s time for the two gradients.
    public func algorithm(_ pass: ConvPass) -> ConvAlgorithm {
        if isPointwise { return .pointwise }
        let tiny = outH * outW <= Conv2D.perPixelMaxOutputs
        let tiles4 = batch * ((outH + 3) / 4) * ((outW + 3) / 4)
        if !tiny && Winograd.supports(self) && tiles4 >= Winograd.minimumTiles {
            // Few 4×4 tiles that overhang the output by more than a fifth (14×14: 16×16 computed) lose to exact 2×2
            // ones; with more tiles F(4×4)'s larger GEMMs win again.
            let covered4 = ((outH + 3) / 4 * 4) * ((outW + 3) / 4 * 4)
            let exact2 = ((outH + 1) / 2 * 2) * ((outW + 1) / 2 * 2) == outH * outW
            let preferTwo = tiles4 < 4 * Winograd.minimumTiles && covered4 * 5 > outH * outW * 6 && exact2
            return .winograd(tile: preferTwo ? 2 : 4)
        }
        // perPixel's GEMMs are (batch × outC × kernelW·inC); below ~1 MFLOP each (the 7×7 stem on 3 channels),
        // the per-call cost of thousands of them outweighs im2col's copy.
        let pixelGEMMFlops = 2 * batch * outC * kernelW * groupInC
        if supports(.perPixel) && (tiny || (batch >= Conv2D.perPixelMinBatch && pixelGEMMFlops >= 1_000_000)) {
            return .perPixel
        }
        return .im2col
    }

    /// Floats of scratch that `Conv2D` needs for `pass` with the default algorithm (0 when none).
    public func scratchFloats(_ pass: ConvPass) -> Int {
        scratchFloats(pass, algorithm: algorithm(pass))
    }

    /// Floats of scratch for `pass` computed with `algorithm`.
    public func scratchFloats(_ pass: ConvPass, algorithm: ConvAlgorithm) -> Int {
        // Forward GEMMs on PackedGemm also hold the packed weights.
        let packedWeights = pass == .forward && forwardUsesPackedGemm
            ? PackedGemm.packedFloats(n: outC, k: patchSize) : 0
        switch algorithm {
        case .perPixel: return 0
        case .pointwise: return packedWeights
        case .im2col: return ConvTiling(self).columnFloats(self) + packedWeights
        case .winograd(let m): return Winograd.scratchFloats(self, pass, tile: m)
        }
    }
}
