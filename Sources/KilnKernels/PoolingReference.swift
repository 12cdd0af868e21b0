// Naive pooling references: per output element, walk the full padded window (padding is −∞ for max and
// skipped or counted for average) and scatter gradients directly. Tests compare the SIMD kernels to these.

extension Pooling {
    /// Index of x[n, h, w, c] in NHWC storage.
    @inline(__always)
    static func nhwc(_ g: Pool2DGeometry, _ n: Int, _ h: Int, _ w: Int, _ c: Int, height: Int, width: Int) -> Int {
        ((n * height + h) * width + w) * g.channels + c
    }

    /// For output (n, oh, ow, c): the max value and the flat x index of its first maximal element.
    static func naiveWindowMax(
        _ x: UnsafePointer<Float>, _ g: Pool2DGeometry, _ n: Int, _ oh: Int, _ ow: Int, _ c: Int
    ) -> (Float, Int) {
        var best = -Float.infinity, index = -1
        for kh in 0..<g.kernelH {
            for kw in 0..<g.kernelW {
                let ih = oh * g.strideH - g.padTop + kh, iw = ow * g.strideW - g.padLeft + kw
                if ih < 0 || ih >= g.inH || iw < 0 || iw >= g.inW { continue }  // padding: −∞, never chosen
                let i = nhwc(g, n, ih, iw, c, height: g.inH, width: g.inW)
                if index < 0 || x[i] > best || (x[i].isNaN && !best.isNaN) { best = x[i]; index = i }
            }
        }
        return (best, index)
    }

    /// Reference for `maxPoolForward`.
    public static func naiveMaxPoolForward(x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>, geometry g: Pool2DGeometry) {
        for n in 0..<g.batch { for oh in 0..<g.outH { for ow in 0..<g.outW { for c in 0..<g.channels {
            y[nhwc(g, n, oh, ow, c, height: g.outH, width: g.outW)] = naiveWindowMax(x, g, n, oh, ow, c).0
        } } } }
    }

    /// Reference for `maxPoolBackward`.
    public static func naiveMaxPoolBackward(
        x: UnsafePointer<Float>, dy: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>, geometry g: Pool2DGeometry
    ) {
        dx.update(repeating: 0, count: g.inputCount)
        for n in 0..<g.batch { for oh in 0..<g.outH { for ow in 0..<g.outW { for c in 0..<g.channels {
            dx[naiveWindowMax(x, g, n, oh, ow, c).1] += dy[nhwc(g, n, oh, ow, c, height: g.outH, width: g.outW)]
        } } } }
    }

    /// Reference for `maxPoolGather`.
    public static func naiveMaxPoolGather(
        x: UnsafePointer<Float>, g source: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>,
        geometry g: Pool2DGeometry
    ) {
        for n in 0..<g.batch { for oh in 0..<g.outH { for ow in 0..<g.outW { for c in 0..<g.channels {
            out[nhwc(g, n, oh, ow, c, height: g.outH, width: g.outW)] = source[naiveWindowMax(x, g, n, oh, ow, c).1]
        } } } }
    }

    /// PyTorch's divisor, computed from scratch: count the window positions inside the padded input (with
    /// countIncludePad) or inside the real input (without).
    static func naiveDivisor(_ g: Pool2DGeometry, _ oh: Int, _ ow: Int, countIncludePad: Bool) -> Int {
        var count = 0
        for kh in 0..<g.kernelH {
            for kw in 0..<g.kernelW {
                let ih = oh * g.strideH - g.padTop + kh, iw = ow * g.strideW - g.padLeft + kw
                let inPadded = ih < g.inH + g.padBottom && iw < g.inW + g.padRight
                let inReal = ih >= 0 && ih < g.inH && iw >= 0 && iw < g.inW
                if countIncludePad ? inPadded : inReal { count += 1 }
            }
        }
        return count
    }

    /// Reference for `avgPoolForward` (Double sums).
    public static func naiveAvgPoolForward(
        x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>, geometry g: Pool2DGeometry, countIncludePad: Bool
    ) {
        for n in 0..<g.batch { for oh in 0..<g.outH { for ow in 0..<g.outW { for c in 0..<g.channels {
            var sum = 0.0
            for kh in 0..<g.kernelH {
                for kw in 0..<g.kernelW {
                    let ih = oh * g.strideH - g.padTop + kh, iw = ow * g.strideW - g.padLeft + kw
                    if ih >= 0 && ih < g.inH && iw >= 0 && iw < g.inW {
                        sum += Double(x[nhwc(g, n, ih, iw, c, height: g.inH, width: g.inW)])
                    }
                }
            }
            let divisor = Double(naiveDivisor(g, oh, ow, countIncludePad: countIncludePad))
            y[nhwc(g, n, oh, ow, c, height: g.outH, width: g.outW)] = Float(sum / divisor)
        } } } }
    }

    /// Reference for `avgPoolBackward`: scatters dy / divisor over each window (Double sums).
    public static func naiveAvgPoolBackward(
        dy: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>, geometry g: Pool2DGeometry, countIncludePad: Bool
    ) {
        var sums = [Double](repeating: 0, count: g.inputCount)
        for n in 0..<g.batch { for oh in 0..<g.outH { for ow in 0..<g.outW { for c in 0..<g.channels {
            let divisor = Double(naiveDivisor(g, oh, ow, countIncludePad: countIncludePad))
            let d = Double(dy[nhwc(g, n, oh, ow, c, height: g.outH, width: g.outW)]) / divisor
            for kh in 0..<g.kernelH {
                for kw in 0..<g.kernelW {
                    let ih = oh * g.strideH - g.padTop + kh, iw = ow * g.strideW - g.padLeft + kw
                    if ih >= 0 && ih < g.inH && iw >= 0 && iw < g.inW {
                        sums[nhwc(g, n, ih, iw, c, height: g.inH, width: g.inW)] += d
                    }
                }
            }
        } } } }
        for i in 0..<g.inputCount { dx[i] = Float(sums[i]) }
    }
}
