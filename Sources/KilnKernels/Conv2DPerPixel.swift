// The `perPixel` convolution algorithm for layers with very few output pixels (ResNet's last stage: 2×2).
//
// For one output pixel p, the valid taps form a rectangle kh ∈ [kh0, kh1) × kw ∈ [kw0, kw1) (the rest fall on
// padding), and for one kernel row kh the inputs x[n, ih, iw0 ..< iw0 + #kw, :] are contiguous in NHWC, as are
// the weights w[:, kh, kw0 ..< kw1, :] in OHWI. So every (p, kh) is one GEMM over the batch, reading x, w and y
// in place with strided rows — no im2col, no scratch, and no multiplies by padding (at 2×2 with padding 1,
// 56% of im2col's work). Requires one group and no horizontal dilation.
//   forward:  y[:, p, :]                 += x[:, ih, iw0.., :]  · w[:, kh, kw0.., :]ᵀ   (M = N, K = #kw·Cin)
//   data:     dx[:, ih, iw0.., :]        += dy[:, p, :]        · w[:, kh, kw0.., :]    (M = N, K = Cout)
//   weights:  dw[:, kh, kw0.., :]        += dy[:, p, :]ᵀ       · x[:, ih, iw0.., :]    (M = Cout, K = N)
// Forward runs pixels side by side (they write disjoint outputs); the backward passes accumulate into shared
// regions, so their jobs own disjoint rows instead: blocks of images (input gradient) or of output channels
// (weight gradient), each running all of the pixel GEMMs for its rows.

extension Conv2D {
    /// The valid tap rectangle of output pixel (oh, ow): kernel rows kh0..<kh1, columns kw0..<kw1.
    @inline(__always)
    static func validTaps(_ g: ConvGeometry, oh: Int, ow: Int) -> (kh0: Int, kh1: Int, kw0: Int, kw1: Int) {
        func range(_ o: Int, _ stride: Int, _ pad: Int, _ dilation: Int, _ kernel: Int, _ input: Int) -> (Int, Int) {
            let start = o * stride - pad  // input index of tap 0
            // Smallest k with start + k·d ≥ 0, and one past the largest with start + k·d ≤ input − 1.
            let lo = start >= 0 ? 0 : (-start + dilation - 1) / dilation
            let hi = input - 1 - start < 0 ? 0 : (input - 1 - start) / dilation + 1
            return (min(lo, kernel), max(min(hi, kernel), min(lo, kernel)))
        }
        let (kh0, kh1) = range(oh, g.strideH, g.padTop, g.dilationH, g.kernelH, g.inH)
        let (kw0, kw1) = range(ow, g.strideW, g.padLeft, g.dilationW, g.kernelW, g.inW)
        return (kh0, kh1, kw0, kw1)
    }

    static func perPixelForward(x: UnsafePointer<Float>, w: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>,
                                g: ConvGeometry, pool: ThreadPool, epilogue: GemmEpilogue?) {
        Gemm.forEachIndependent(g.outH * g.outW, pool: pool, (x, w, y, g, epilogue)) { args, p in
            let (x, w, y, g, epilogue) = args
            let pixels = g.outH * g.outW, rowTaps = g.kernelH * g.kernelW * g.inC
            let oh = p / g.outW, ow = p % g.outW
            let t = Conv2D.validTaps(g, oh: oh, ow: ow)
            let out = y + p * g.outC
            // The pixel's rows (one per image) are complete after its last GEMM: apply the epilogue then.
            defer { epilogue?.apply(out, ldc: pixels * g.outC, rows: g.batch, columns: g.outC) }
            if t.kh0 == t.kh1 || t.kw0 == t.kw1 {
                for n in 0..<g.batch { zeroFloats(out + n * pixels * g.outC, g.outC) }
                return
            }
            let iw0 = ow * g.strideW - g.padLeft + t.kw0
            for kh in t.kh0..<t.kh1 {
                let ih = oh * g.strideH - g.padTop + kh * g.dilationH
                Gemm.blas(false, true, g.batch, g.outC, (t.kw1 - t.kw0) * g.inC, 1,
                          x + (ih * g.inW + iw0) * g.inC, g.inH * g.inW * g.inC,
                          w + (kh * g.kernelW + t.kw0) * g.inC, rowTaps,
                          kh == t.kh0 ? 0 : 1, out, pixels * g.outC)
            }
        }
    }

    static func perPixelBackwardData(dy: UnsafePointer<Float>, w: UnsafePointer<Float>,
                                     dx: UnsafeMutablePointer<Float>, g: ConvGeometry, pool: ThreadPool) {
        zeroFloats(dx, count: g.inputCount, pool: pool)
        // Pixels accumulate into overlapping parts of dx, so jobs own blocks of images instead.
        let blocks = rowBlocks(g.batch, pool: pool)
        Gemm.forEachIndependent(blocks, pool: pool, (dy, w, dx, g, blocks)) { args, block in
            let (dy, w, dx, g, blocks) = args
            let n0 = g.batch * block / blocks, n1 = g.batch * (block + 1) / blocks
            if n1 == n0 { return }
            let pixels = g.outH * g.outW, rowTaps = g.kernelH * g.kernelW * g.inC
            let imageIn = g.inH * g.inW * g.inC
            for p in 0..<pixels {
                let oh = p / g.outW, ow = p % g.outW
                let t = Conv2D.validTaps(g, oh: oh, ow: ow)
                if t.kw0 == t.kw1 { continue }
                let iw0 = ow * g.strideW - g.padLeft + t.kw0
                for kh in t.kh0..<t.kh1 {
                    let ih = oh * g.strideH - g.padTop + kh * g.dilationH
                    Gemm.blas(false, false, n1 - n0, (t.kw1 - t.kw0) * g.inC, g.outC, 1,
                              dy + (n0 * pixels + p) * g.outC, pixels * g.outC,
                              w + (kh * g.kernelW + t.kw0) * g.inC, rowTaps,
                              1, dx + n0 * imageIn + (ih * g.inW + iw0) * g.inC, imageIn)
                }
            }
        }
    }

    static func perPixelBackwardWeights(x: UnsafePointer<Float>, dy: UnsafePointer<Float>,
                                        dw: UnsafeMutablePointer<Float>, g: ConvGeometry, pool: ThreadPool) {
        zeroFloats(dw, count: g.weightCount, pool: pool)
        // Pixels accumulate into overlapping taps of dw, so jobs own blocks of output channels instead.
        let blocks = rowBlocks(g.outC, pool: pool)
        Gemm.forEachIndependent(blocks, pool: pool, (x, dy, dw, g, blocks)) { args, block in
            let (x, dy, dw, g, blocks) = args
            let o0 = g.outC * block / blocks, o1 = g.outC * (block + 1) / blocks
            if o1 == o0 { return }
            let pixels = g.outH * g.outW, rowTaps = g.kernelH * g.kernelW * g.inC
            for p in 0..<pixels {
                let oh = p / g.outW, ow = p % g.outW
                let t = Conv2D.validTaps(g, oh: oh, ow: ow)
                if t.kw0 == t.kw1 { continue }
                let iw0 = ow * g.strideW - g.padLeft + t.kw0
                for kh in t.kh0..<t.kh1 {
                    let ih = oh * g.strideH - g.padTop + kh * g.dilationH
                    Gemm.blas(true, false, o1 - o0, (t.kw1 - t.kw0) * g.inC, g.batch, 1,
                              dy + p * g.outC + o0, pixels * g.outC,
                              x + (ih * g.inW + iw0) * g.inC, g.inH * g.inW * g.inC,
                              1, dw + o0 * rowTaps + (kh * g.kernelW + t.kw0) * g.inC, rowTaps)
                }
            }
        }
    }

    /// Blocks of `rows` for the backward passes: one per thread, but at least 8 rows each so the GEMMs stay
    /// efficient.
    static func rowBlocks(_ rows: Int, pool: ThreadPool) -> Int {
        max(1, min(pool.threadCount, rows / 8))
    }
}
