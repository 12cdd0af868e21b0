// Resizing NHWC images to an arbitrary output size with PyTorch's `F.interpolate(size=...)` semantics:
// - nearest: source index floor(o · in/out) (mode="nearest", computed in Float like PyTorch), clamped;
// - bilinear, align_corners=False: source coordinate (o + 0.5) · in/out − 0.5 clamped at 0, blending the two
//   neighbours (the second is the first at the last row/column).
// Backward kernels are the exact transposes; they scatter, so jobs own (image, channel block) slices.

/// Sizes of a resize: x (batch, inH, inW, channels) → y (batch, outH, outW, channels).
public struct UpsampleGeometry: Hashable, Sendable {
    public var batch, inH, inW, channels, outH, outW: Int

    /// A resize of (batch, inH, inW, channels) images to outH × outW.
    public init(batch: Int, inH: Int, inW: Int, channels: Int, outH: Int, outW: Int) {
        self.batch = batch; self.inH = inH; self.inW = inW; self.channels = channels
        self.outH = outH; self.outW = outW
    }

    /// Element counts of x and y.
    public var inputCount: Int { batch * inH * inW * channels }
    public var outputCount: Int { batch * outH * outW * channels }
}

/// Nearest and bilinear resizing of NHWC images, forward and backward.
public enum Upsample {
    /// Nearest source index of output o (PyTorch "nearest").
    @inline(__always)
    static func nearestIndex(_ o: Int, input: Int, output: Int) -> Int {
        let scale = Float(input) / Float(output)
        return min(Int((Float(o) * scale).rounded(.down)), input - 1)
    }

    /// The two source indices of output o and their weights (PyTorch bilinear, align_corners=False).
    @inline(__always)
    static func linearTaps(_ o: Int, input: Int, output: Int) -> (i0: Int, i1: Int, l0: Float, l1: Float) {
        let scale = Float(input) / Float(output)
        let source = max(scale * (Float(o) + 0.5) - 0.5, 0)
        let i0 = Int(source)
        let i1 = i0 + (i0 < input - 1 ? 1 : 0)
        let l1 = min(max(source - Float(i0), 0), 1)
        return (i0, i1, 1 - l1, l1)
    }

    /// y = nearest-resize(x). y overwritten.
    public static func nearestForward(
        x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>, geometry g: UpsampleGeometry, pool: ThreadPool
    ) {
        pool.parallelChunks(g.batch * g.outH, minChunk: max(1, 32_768 / max(g.outW * g.channels, 1)), (x, y, g)) {
            args, lines in
            let (x, y, g) = args
            let c = g.channels
            for line in lines {
                let n = line / g.outH, oh = line % g.outH
                let row = x + (n * g.inH + Upsample.nearestIndex(oh, input: g.inH, output: g.outH)) * g.inW * c
                let out = y + line * g.outW * c
                for ow in 0..<g.outW {
                    copyFloats(row + Upsample.nearestIndex(ow, input: g.inW, output: g.outW) * c, out + ow * c, c)
                }
            }
        }
    }

    /// dx = transpose of nearest-resize applied to dy. dx overwritten.
    public static func nearestBackward(
        dy: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>, geometry g: UpsampleGeometry, pool: ThreadPool
    ) {
        let split = ImageChannelSplit(batch: g.batch, channels: g.channels, pool: pool)
        pool.parallelFor(split.jobCount(batch: g.batch), (dy, dx, g, split)) { args, job in
            let (dy, dx, g, split) = args
            let (n, channels) = split.job(job)
            let c = g.channels
            let image = dx + n * g.inH * g.inW * c + channels.lowerBound
            for pixel in 0..<(g.inH * g.inW) { zeroFloats(image + pixel * c, channels.count) }
            for oh in 0..<g.outH {
                let ih = Upsample.nearestIndex(oh, input: g.inH, output: g.outH)
                for ow in 0..<g.outW {
                    let iw = Upsample.nearestIndex(ow, input: g.inW, output: g.outW)
                    let grad = dy + ((n * g.outH + oh) * g.outW + ow) * c + channels.lowerBound
                    accumulateFloats(grad, image + (ih * g.inW + iw) * c, channels.count)
                }
            }
        }
    }

    /// y = bilinear-resize(x) (align_corners=False). y overwritten.
    public static func bilinearForward(
        x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>, geometry g: UpsampleGeometry, pool: ThreadPool
    ) {
        pool.parallelChunks(g.batch * g.outH, minChunk: max(1, 16_384 / max(g.outW * g.channels, 1)), (x, y, g)) {
            args, lines in
            let (x, y, g) = args
            let c = g.channels
            for line in lines {
                let n = line / g.outH, oh = line % g.outH
                let h = Upsample.linearTaps(oh, input: g.inH, output: g.outH)
                let image = x + n * g.inH * g.inW * c
                let top = image + h.i0 * g.inW * c, bottom = image + h.i1 * g.inW * c
                let out = y + line * g.outW * c
                for ow in 0..<g.outW {
                    let w = Upsample.linearTaps(ow, input: g.inW, output: g.outW)
                    let dst = out + ow * c
                    let a = top + w.i0 * c, b = top + w.i1 * c, d = bottom + w.i0 * c, e = bottom + w.i1 * c
                    var k = 0
                    while k + 16 <= c {
                        let upper = w.l0 * load16(a + k) + w.l1 * load16(b + k)
                        let lower = w.l0 * load16(d + k) + w.l1 * load16(e + k)
                        store16(h.l0 * upper + h.l1 * lower, dst + k)
                        k += 16
                    }
                    while k < c {
                        dst[k] = h.l0 * (w.l0 * a[k] + w.l1 * b[k]) + h.l1 * (w.l0 * d[k] + w.l1 * e[k])
                        k += 1
                    }
                }
            }
        }
    }

    /// dx = transpose of bilinear-resize applied to dy. dx overwritten.
    public static func bilinearBackward(
        dy: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>, geometry g: UpsampleGeometry, pool: ThreadPool
    ) {
        let split = ImageChannelSplit(batch: g.batch, channels: g.channels, pool: pool)
        pool.parallelFor(split.jobCount(batch: g.batch), (dy, dx, g, split)) { args, job in
            let (dy, dx, g, split) = args
            let (n, channels) = split.job(job)
            let c = g.channels
            let image = dx + n * g.inH * g.inW * c + channels.lowerBound
            for pixel in 0..<(g.inH * g.inW) { zeroFloats(image + pixel * c, channels.count) }
            for oh in 0..<g.outH {
                let h = Upsample.linearTaps(oh, input: g.inH, output: g.outH)
                for ow in 0..<g.outW {
                    let w = Upsample.linearTaps(ow, input: g.inW, output: g.outW)
                    let grad = dy + ((n * g.outH + oh) * g.outW + ow) * c + channels.lowerBound
                    Upsample.scaledAccumulate(grad, h.l0 * w.l0, image + (h.i0 * g.inW + w.i0) * c, channels.count)
                    Upsample.scaledAccumulate(grad, h.l0 * w.l1, image + (h.i0 * g.inW + w.i1) * c, channels.count)
                    Upsample.scaledAccumulate(grad, h.l1 * w.l0, image + (h.i1 * g.inW + w.i0) * c, channels.count)
                    Upsample.scaledAccumulate(grad, h.l1 * w.l1, image + (h.i1 * g.inW + w.i1) * c, channels.count)
                }
            }
        }
    }

    /// dst[0..<count] += weight · src[0..<count].
    @inline(__always)
    static func scaledAccumulate(_ src: UnsafePointer<Float>, _ weight: Float, _ dst: UnsafeMutablePointer<Float>,
                                 _ count: Int) {
        var k = 0
        while k + 16 <= count {
            store16(load16(dst + k) + weight * load16(src + k), dst + k)
            k += 16
        }
        while k < count {
            dst[k] += weight * src[k]
            k += 1
        }
    }
}
