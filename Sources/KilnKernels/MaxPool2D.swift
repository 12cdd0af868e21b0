// Max pooling over NHWC activations (PyTorch semantics): padding acts as −∞, the gradient of a window goes to
// its first maximal element in row-major window order, and NaN counts as maximal (the first NaN wins).
//
// Channels are contiguous, so every window is scanned with SIMD16 vectors across 16 channels at a time; the
// arg-max is tracked per lane as a pixel index within the image (stored as Float: exact below 2^24 pixels).

extension Pooling {
    /// y = maxpool(x). x: (N, H, W, C); y: (N, Ho, Wo, C), overwritten.
    public static func maxPoolForward(
        x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>, geometry g: Pool2DGeometry, pool: ThreadPool
    ) {
        let lineFloats = g.outW * g.channels * g.kernelH * g.kernelW
        pool.parallelChunks(g.batch * g.outH, minChunk: max(1, 32_768 / max(lineFloats, 1)), (x, y, g)) { args, lines in
            let (x, y, g) = args
            for line in lines {
                let n = line / g.outH, oh = line % g.outH
                for ow in 0..<g.outW {
                    let out = y + ((n * g.outH + oh) * g.outW + ow) * g.channels
                    var c = 0
                    while c + 16 <= g.channels {
                        store16(Pooling.windowMax16(x, g, n: n, oh: oh, ow: ow, c: c).value, out + c)
                        c += 16
                    }
                    while c < g.channels {
                        out[c] = Pooling.windowMax1(x, g, n: n, oh: oh, ow: ow, c: c).value
                        c += 1
                    }
                }
            }
        }
    }

    /// dx = ∂⟨maxpool(x), dy⟩/∂x: each dy goes to its window's first maximal x. dx: (N, H, W, C), overwritten.
    public static func maxPoolBackward(
        x: UnsafePointer<Float>, dy: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>,
        geometry g: Pool2DGeometry, pool: ThreadPool
    ) {
        // Windows overlap when stride < kernel, so jobs own (image, channel block) slices of dx.
        let split = ImageChannelSplit(batch: g.batch, channels: g.channels, pool: pool)
        pool.parallelFor(split.jobCount(batch: g.batch), (x, dy, dx, g, split)) { args, job in
            let (x, dy, dx, g, split) = args
            let (n, channels) = split.job(job)
            let imageSize = g.inH * g.inW
            let image = dx + n * imageSize * g.channels
            for pixel in 0..<imageSize {
                (image + pixel * g.channels + channels.lowerBound).update(repeating: 0, count: channels.count)
            }
            for oh in 0..<g.outH {
                for ow in 0..<g.outW {
                    let grad = dy + ((n * g.outH + oh) * g.outW + ow) * g.channels
                    var c = channels.lowerBound
                    while c + 16 <= channels.upperBound {
                        let pixels = Pooling.windowMax16(x, g, n: n, oh: oh, ow: ow, c: c).pixel
                        for lane in 0..<16 {
                            image[Int(pixels[lane]) * g.channels + c + lane] += grad[c + lane]
                        }
                        c += 16
                    }
                    while c < channels.upperBound {
                        image[Pooling.windowMax1(x, g, n: n, oh: oh, ow: ow, c: c).pixel * g.channels + c] += grad[c]
                        c += 1
                    }
                }
            }
        }
    }

    /// out[window] = g[position of the window's first max in x]: the transpose of `maxPoolBackward` (the
    /// backward of the backward). x, g: (N, H, W, C); out: (N, Ho, Wo, C), overwritten.
    public static func maxPoolGather(
        x: UnsafePointer<Float>, g source: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>,
        geometry g: Pool2DGeometry, pool: ThreadPool
    ) {
        let lineFloats = g.outW * g.channels * g.kernelH * g.kernelW
        pool.parallelChunks(g.batch * g.outH, minChunk: max(1, 32_768 / max(lineFloats, 1)),
                            (x, source, out, g)) { args, lines in
            let (x, source, out, g) = args
            for line in lines {
                let n = line / g.outH, oh = line % g.outH
                let image = source + n * g.inH * g.inW * g.channels
                for ow in 0..<g.outW {
                    let dst = out + ((n * g.outH + oh) * g.outW + ow) * g.channels
                    var c = 0
                    while c + 16 <= g.channels {
                        let pixels = Pooling.windowMax16(x, g, n: n, oh: oh, ow: ow, c: c).pixel
                        for lane in 0..<16 { dst[c + lane] = image[Int(pixels[lane]) * g.channels + c + lane] }
                        c += 16
                    }
                    while c < g.channels {
                        dst[c] = image[Pooling.windowMax1(x, g, n: n, oh: oh, ow: ow, c: c).pixel * g.channels + c]
                        c += 1
                    }
                }
            }
        }
    }

    /// Max and first arg-max (pixel index within the image) of window (oh, ow) for channels c..<c+16.
    @inline(__always)
    static func windowMax16(
        _ x: UnsafePointer<Float>, _ g: Pool2DGeometry, n: Int, oh: Int, ow: Int, c: Int
    ) -> (value: SIMD16<Float>, pixel: SIMD16<Float>) {
        let w = g.window(oh: oh, ow: ow)
        var best = SIMD16<Float>(repeating: -.infinity)
        var pixel = SIMD16<Float>(repeating: Float(w.h0 * g.inW + w.w0))
        for ih in w.h0..<w.h1 {
            for iw in w.w0..<w.w1 {
                let p = ih * g.inW + iw
                let v = load16(x + ((n * g.inH + ih) * g.inW + iw) * g.channels + c)
                // v > best keeps the first maximum; a NaN replaces a non-NaN best (NaN is maximal).
                let take = (v .> best) .| ((v .!= v) .& (best .== best))
                best.replace(with: v, where: take)
                pixel.replace(with: Float(p), where: take)
            }
        }
        return (best, pixel)
    }

    /// Scalar version of `windowMax16` for one channel.
    @inline(__always)
    static func windowMax1(
        _ x: UnsafePointer<Float>, _ g: Pool2DGeometry, n: Int, oh: Int, ow: Int, c: Int
    ) -> (value: Float, pixel: Int) {
        let w = g.window(oh: oh, ow: ow)
        var best = -Float.infinity, pixel = w.h0 * g.inW + w.w0
        for ih in w.h0..<w.h1 {
            for iw in w.w0..<w.w1 {
                let v = x[((n * g.inH + ih) * g.inW + iw) * g.channels + c]
                if v > best || (v.isNaN && !best.isNaN) {
                    best = v
                    pixel = ih * g.inW + iw
                }
            }
        }
        return (best, pixel)
    }
}
