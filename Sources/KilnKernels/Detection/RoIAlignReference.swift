// Naive RoIAlign references in the arithmetic of T, one output (or input-gradient) element at a time in
// torchvision's loop order: per channel, per bin, per sample, w1·v1 + w2·v2 + w3·v3 + w4·v4 summed then divided by
// count. The op reference kernels call these with T = Float for f32 graphs and T = Double for f64 ones.

extension RoIAlign {
    /// Features (batch, height, width, channels) and rois (rois, 5), flat; returns (rois, outH, outW, channels).
    public static func naiveForward<T: BinaryFloatingPoint>(x: [T], rois: [T], geometry g: RoIAlignGeometry) -> [T] {
        var y = [T](repeating: 0, count: g.outputCount)
        for r in 0..<g.rois {
            let bins = RoIBins<T>(roi: (rois[5 * r], rois[5 * r + 1], rois[5 * r + 2], rois[5 * r + 3], rois[5 * r + 4]), g)
            guard let n = bins.image else { continue }
            func at(_ h: Int, _ w: Int, _ c: Int) -> T { x[((n * g.height + h) * g.width + w) * g.channels + c] }
            for c in 0..<g.channels {
                for ph in 0..<g.outH {
                    for pw in 0..<g.outW {
                        var sum: T = 0
                        for iy in 0..<bins.gridH {
                            for ix in 0..<bins.gridW {
                                let ty = LinearTap(bins.sampleY(ph, iy), size: g.height)
                                let tx = LinearTap(bins.sampleX(pw, ix), size: g.width)
                                guard ty.inside && tx.inside else { continue }
                                sum += ty.lowWeight * tx.lowWeight * at(ty.low, tx.low, c)
                                    + ty.lowWeight * tx.highWeight * at(ty.low, tx.high, c)
                                    + ty.highWeight * tx.lowWeight * at(ty.high, tx.low, c)
                                    + ty.highWeight * tx.highWeight * at(ty.high, tx.high, c)
                            }
                        }
                        y[((r * g.outH + ph) * g.outW + pw) * g.channels + c] = sum / bins.count
                    }
                }
            }
        }
        return y
    }

    /// Output gradient (rois, outH, outW, channels) and rois (rois, 5), flat; returns (batch, height, width,
    /// channels): every sample scatters grad · weight / count to its four taps.
    public static func naiveBackward<T: BinaryFloatingPoint>(dy: [T], rois: [T], geometry g: RoIAlignGeometry) -> [T] {
        var dx = [T](repeating: 0, count: g.inputCount)
        for r in 0..<g.rois {
            let bins = RoIBins<T>(roi: (rois[5 * r], rois[5 * r + 1], rois[5 * r + 2], rois[5 * r + 3], rois[5 * r + 4]), g)
            guard let n = bins.image else { continue }
            func add(_ h: Int, _ w: Int, _ c: Int, _ v: T) { dx[((n * g.height + h) * g.width + w) * g.channels + c] += v }
            for c in 0..<g.channels {
                for ph in 0..<g.outH {
                    for pw in 0..<g.outW {
                        let grad = dy[((r * g.outH + ph) * g.outW + pw) * g.channels + c]
                        for iy in 0..<bins.gridH {
                            for ix in 0..<bins.gridW {
                                let ty = LinearTap(bins.sampleY(ph, iy), size: g.height)
                                let tx = LinearTap(bins.sampleX(pw, ix), size: g.width)
                                guard ty.inside && tx.inside else { continue }
                                add(ty.low, tx.low, c, grad * ty.lowWeight * tx.lowWeight / bins.count)
                                add(ty.low, tx.high, c, grad * ty.lowWeight * tx.highWeight / bins.count)
                                add(ty.high, tx.low, c, grad * ty.highWeight * tx.lowWeight / bins.count)
                                add(ty.high, tx.high, c, grad * ty.highWeight * tx.highWeight / bins.count)
                            }
                        }
                    }
                }
            }
        }
        return dx
    }
}
