// The shape of a 2-D pooling window over NHWC activations, shared by max and average pooling.
//
// x: (batch, inH, inW, channels) → y: (batch, outH, outW, channels), outH = (inH + padTop + padBottom − kernelH)
// / strideH + 1 (PyTorch's floor mode). Padding may be asymmetric. Like PyTorch, padding may be at most half
// the kernel, so every window holds at least one real input element (`validate()` checks it).

/// Errors for a pooling geometry no kernel can run.
public struct Pool2DGeometryError: Error, CustomStringConvertible, Sendable {
    public let description: String
}

/// Every size of a 2-D pooling (NHWC).
public struct Pool2DGeometry: Hashable, Sendable {
    public var batch, inH, inW, channels: Int
    public var kernelH, kernelW: Int
    public var strideH, strideW: Int
    public var padTop, padLeft, padBottom, padRight: Int

    /// A pooling window over (batch, inH, inW, channels) activations.
    public init(
        batch: Int, inH: Int, inW: Int, channels: Int, kernelH: Int, kernelW: Int, strideH: Int, strideW: Int,
        padTop: Int, padLeft: Int, padBottom: Int, padRight: Int
    ) {
        self.batch = batch; self.inH = inH; self.inW = inW; self.channels = channels
        self.kernelH = kernelH; self.kernelW = kernelW; self.strideH = strideH; self.strideW = strideW
        self.padTop = padTop; self.padLeft = padLeft; self.padBottom = padBottom; self.padRight = padRight
    }

    /// Output height and width (floor mode).
    public var outH: Int { (inH + padTop + padBottom - kernelH) / strideH + 1 }
    public var outW: Int { (inW + padLeft + padRight - kernelW) / strideW + 1 }
    /// Element counts of x and y.
    public var inputCount: Int { batch * inH * inW * channels }
    public var outputCount: Int { batch * outH * outW * channels }

    /// Throws a message naming the bad field when no kernel can run this geometry.
    public func validate() throws {
        func fail(_ why: String) -> Pool2DGeometryError {
            Pool2DGeometryError(description: "Pool2DGeometry: \(why) in \(self)")
        }
        for (name, v) in [("batch", batch), ("inH", inH), ("inW", inW), ("channels", channels),
                          ("kernelH", kernelH), ("kernelW", kernelW), ("strideH", strideH),
                          ("strideW", strideW)] where v < 1 {
            throw fail("\(name) = \(v) must be ≥ 1")
        }
        for (name, v, kernel) in [("padTop", padTop, kernelH), ("padBottom", padBottom, kernelH),
                                  ("padLeft", padLeft, kernelW), ("padRight", padRight, kernelW)]
        where v < 0 || 2 * v > kernel {
            throw fail("\(name) = \(v) must be between 0 and half the kernel (\(kernel))")
        }
        if outH < 1 || outW < 1 { throw fail("empty output \(outH)×\(outW)") }
    }

    /// The window of output (oh, ow) clipped to the input: rows h0..<h1, columns w0..<w1.
    @inline(__always)
    func window(oh: Int, ow: Int) -> (h0: Int, h1: Int, w0: Int, w1: Int) {
        let hs = oh * strideH - padTop, ws = ow * strideW - padLeft
        return (max(hs, 0), min(hs + kernelH, inH), max(ws, 0), min(ws + kernelW, inW))
    }

    /// The average-pool divisor of output (oh, ow) (PyTorch): with countIncludePad, the window clipped to the
    /// padded input; otherwise the number of real input elements in the window.
    @inline(__always)
    func avgDivisor(oh: Int, ow: Int, countIncludePad: Bool) -> Int {
        if countIncludePad {
            let hs = oh * strideH - padTop, ws = ow * strideW - padLeft
            let he = min(hs + kernelH, inH + padBottom), we = min(ws + kernelW, inW + padRight)
            return (he - hs) * (we - ws)
        }
        let w = window(oh: oh, ow: ow)
        return (w.h1 - w.h0) * (w.w1 - w.w0)
    }
}

/// Pooling kernels (NHWC). Forward and backward of max and average pooling, and their naive references.
public enum Pooling {}

/// A split of (image, channel) work into jobs: every image, with its channels cut into blocks (multiples of 16)
/// so that there are enough jobs to occupy the pool. Jobs own disjoint (image, channel) slices, so scatter-style
/// backward kernels can accumulate without races.
struct ImageChannelSplit {
    let channels: Int
    let vectors: Int
    let blocksPerImage: Int

    init(batch: Int, channels: Int, pool: ThreadPool) {
        self.channels = channels
        vectors = (channels + 15) / 16
        blocksPerImage = max(1, min(vectors, (pool.threadCount * 2 + batch - 1) / max(batch, 1)))
    }

    func jobCount(batch: Int) -> Int { batch * blocksPerImage }

    /// The image and channel range of job `job` (the range may be empty).
    @inline(__always)
    func job(_ job: Int) -> (n: Int, channels: Range<Int>) {
        let n = job / blocksPerImage, block = job % blocksPerImage
        let lo = min(vectors * block / blocksPerImage * 16, channels)
        let hi = min(vectors * (block + 1) / blocksPerImage * 16, channels)
        return (n, lo..<max(lo, hi))
    }
}
