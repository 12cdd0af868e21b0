// Average pooling over NHWC activations with PyTorch's divisor rule (`countIncludePad` as count_include_pad:
// true divides by the window clipped to the padded input, false by the number of real elements).
// The backward is written as a gather over input pixels, so threads never write the same element.

extension Pooling {
    /// y = avgpool(x). x: (N, H, W, C); y: (N, Ho, Wo, C), overwritten.
    public static func avgPoolForward(
        x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>, geometry g: Pool2DGeometry,
        countIncludePad: Bool, pool: ThreadPool
    ) {
        let lineFloats = g.outW * g.channels * g.kernelH * g.kernelW
        pool.parallelChunks(g.batch * g.outH, minChunk: max(1, 32_768 / max(lineFloats, 1)),
                            (x, y, g, countIncludePad)) { args, lines in
            let (x, y, g, countIncludePad) = args
            for line in lines {
                let n = line / g.outH, oh = line % g.outH
                for ow in 0..<g.outW {
                    let w = g.window(oh: oh, ow: ow)
                    let inverse = 1 / Float(g.avgDivisor(oh: oh, ow: ow, countIncludePad: countIncludePad))
                    let out = y + ((n * g.outH + oh) * g.outW + ow) * g.channels
                    var c = 0
                    while c + 16 <= g.channels {
                        var sum = SIMD16<Float>()
                        for ih in w.h0..<w.h1 {
                            for iw in w.w0..<w.w1 {
                                sum += load16(x + ((n * g.inH + ih) * g.inW + iw) * g.channels + c)
                            }
                        }
                        store16(sum * inverse, out + c)
                        c += 16
                    }
                    while c < g.channels {
                        var sum: Float = 0
                        for ih in w.h0..<w.h1 {
                            for iw in w.w0..<w.w1 { sum += x[((n * g.inH + ih) * g.inW + iw) * g.channels + c] }
                        }
                        out[c] = sum * inverse
                        c += 1
                    }
                }
            }
        }
    }

    /// dx = ∂⟨avgpool(x), dy⟩/∂x. dy: (N, Ho, Wo, C); dx: (N, H, W, C), overwritten.
    public static func avgPoolBackward(
        dy: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>, geometry g: Pool2DGeometry,
        countIncludePad: Bool, pool: ThreadPool
    ) {
        let rowFloats = g.inW * g.channels * g.kernelH * g.kernelW
        pool.parallelChunks(g.batch * g.inH, minChunk: max(1, 32_768 / max(rowFloats, 1)),
                            (dy, dx, g, countIncludePad)) { args, rows in
            let (dy, dx, g, countIncludePad) = args
            for row in rows {
                let n = row / g.inH, ih = row % g.inH
                let oh = Pooling.windowsCovering(ih, pad: g.padTop, kernel: g.kernelH, stride: g.strideH,
                                                 outCount: g.outH)
                for iw in 0..<g.inW {
                    let ow = Pooling.windowsCovering(iw, pad: g.padLeft, kernel: g.kernelW, stride: g.strideW,
                                                     outCount: g.outW)
                    let out = dx + ((n * g.inH + ih) * g.inW + iw) * g.channels
                    var c = 0
                    while c + 16 <= g.channels {
                        var sum = SIMD16<Float>()
                        for o in oh {
                            for p in ow {
                                let inverse = 1 / Float(g.avgDivisor(oh: o, ow: p, countIncludePad: countIncludePad))
                                sum += load16(dy + ((n * g.outH + o) * g.outW + p) * g.channels + c) * inverse
                            }
                        }
                        store16(sum, out + c)
                        c += 16
                    }
                    while c < g.channels {
                        var sum: Float = 0
                        for o in oh {
                            for p in ow {
                                let inverse = 1 / Float(g.avgDivisor(oh: o, ow: p, countIncludePad: countIncludePad))
                                sum += dy[((n * g.outH + o) * g.outW + p) * g.channels + c] * inverse
                            }
                        }
                        out[c] = sum
                        c += 1
                    }
                }
            }
        }
    }

    /// The outputs o whose window [o·stride − pad, o·stride − pad + kernel) contains input index i.
    @inline(__always)
    static func windowsCovering(_ i: Int, pad: Int, kernel: Int, stride: Int, outCount: Int) -> Range<Int> {
        // o·stride ≤ i + pad  and  o·stride > i + pad − kernel.
        let hi = min((i + pad) / stride, outCount - 1)
        let loNumerator = i + pad - kernel + 1
        let lo = loNumerator <= 0 ? 0 : (loNumerator + stride - 1) / stride
        return lo <= hi ? lo..<(hi + 1) : 0..<0
    }
}
