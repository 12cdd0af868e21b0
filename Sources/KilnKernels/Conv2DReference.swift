// Naive convolution references: direct loops over every output and tap with Double accumulation.
// They define the semantics the tuned kernels in Conv2D.swift are tested against (same argument contracts,
// minus scratch and pool). Slow on purpose: readable index arithmetic, no tiling.

extension Conv2D {
    /// Reference forward: y[n, oh, ow, o] = Σ_{kh, kw, c} x[n, ih, iw, group·Cg + c] · w[o, kh, kw, c].
    public static func naiveForward(
        x: UnsafePointer<Float>, w: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>, geometry g: ConvGeometry
    ) {
        let cg = g.groupInC, cog = g.groupOutC
        for n in 0..<g.batch {
            for oh in 0..<g.outH {
                for ow in 0..<g.outW {
                    for o in 0..<g.outC {
                        let group = o / cog
                        var sum = 0.0
                        for kh in 0..<g.kernelH {
                            let ih = oh * g.strideH - g.padTop + kh * g.dilationH
                            if ih < 0 || ih >= g.inH { continue }
                            for kw in 0..<g.kernelW {
                                let iw = ow * g.strideW - g.padLeft + kw * g.dilationW
                                if iw < 0 || iw >= g.inW { continue }
                                for c in 0..<cg {
                                    let xv = x[((n * g.inH + ih) * g.inW + iw) * g.inC + group * cg + c]
                                    let wv = w[((o * g.kernelH + kh) * g.kernelW + kw) * cg + c]
                                    sum += Double(xv) * Double(wv)
                                }
                            }
                        }
                        y[((n * g.outH + oh) * g.outW + ow) * g.outC + o] = Float(sum)
                    }
                }
            }
        }
    }

    /// Reference input gradient: dx[n, ih, iw, ci] = Σ over the (oh, ow, o, kh, kw) that read it of dy · w.
    public static func naiveBackwardData(
        dy: UnsafePointer<Float>, w: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>, geometry g: ConvGeometry
    ) {
        let cg = g.groupInC, cog = g.groupOutC
        var sums = [Double](repeating: 0, count: g.inputCount)
        for n in 0..<g.batch {
            for oh in 0..<g.outH {
                for ow in 0..<g.outW {
                    for o in 0..<g.outC {
                        let group = o / cog
                        let d = Double(dy[((n * g.outH + oh) * g.outW + ow) * g.outC + o])
                        for kh in 0..<g.kernelH {
                            let ih = oh * g.strideH - g.padTop + kh * g.dilationH
                            if ih < 0 || ih >= g.inH { continue }
                            for kw in 0..<g.kernelW {
                                let iw = ow * g.strideW - g.padLeft + kw * g.dilationW
                                if iw < 0 || iw >= g.inW { continue }
                                for c in 0..<cg {
                                    let wv = w[((o * g.kernelH + kh) * g.kernelW + kw) * cg + c]
                                    sums[((n * g.inH + ih) * g.inW + iw) * g.inC + group * cg + c] += d * Double(wv)
                                }
                            }
                        }
                    }
                }
            }
        }
        for i in 0..<g.inputCount { dx[i] = Float(sums[i]) }
    }

    /// Reference weight gradient: dw[o, kh, kw, c] = Σ_{n, oh, ow} dy[n, oh, ow, o] · x[n, ih, iw, group·Cg + c].
    public static func naiveBackwardWeights(
        x: UnsafePointer<Float>, dy: UnsafePointer<Float>, dw: UnsafeMutablePointer<Float>, geometry g: ConvGeometry
    ) {
        let cg = g.groupInC, cog = g.groupOutC
        for o in 0..<g.outC {
            let group = o / cog
            for kh in 0..<g.kernelH {
                for kw in 0..<g.kernelW {
                    for c in 0..<cg {
                        var sum = 0.0
                        for n in 0..<g.batch {
                            for oh in 0..<g.outH {
                                let ih = oh * g.strideH - g.padTop + kh * g.dilationH
                                if ih < 0 || ih >= g.inH { continue }
                                for ow in 0..<g.outW {
                                    let iw = ow * g.strideW - g.padLeft + kw * g.dilationW
                                    if iw < 0 || iw >= g.inW { continue }
                                    let d = dy[((n * g.outH + oh) * g.outW + ow) * g.outC + o]
                                    let xv = x[((n * g.inH + ih) * g.inW + iw) * g.inC + group * cg + c]
                                    sum += Double(d) * Double(xv)
                                }
                            }
                        }
                        dw[((o * g.kernelH + kh) * g.kernelW + kw) * cg + c] = Float(sum)
                    }
                }
            }
        }
    }
}
