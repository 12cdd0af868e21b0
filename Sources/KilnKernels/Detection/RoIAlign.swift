// RoIAlign over NHWC features (sampling rules in RoIAlignGeometry.swift). Channels are contiguous, so every
// bilinear sample is four weighted row reads of C floats: the kernels vectorise over channels (SIMD16 + tail).
// - forward: jobs own output rows (roi, ph); each bin is accumulated in its output row, then divided by count;
// - backward: the exact transpose, scattering dy into dx; jobs own (image, channel block) slices of dx, so no two
//   jobs write the same float. Each job walks the RoIs of its image only.

/// Fast RoIAlign kernels.
public enum RoIAlign {
    /// y = roiAlign(x, rois). y overwritten.
    /// - Parameters:
    ///   - x: (batch, height, width, channels)
    ///   - rois: (rois, 5) = (batch index, x0, y0, x1, y1)
    ///   - y: (rois, outH, outW, channels)
    public static func forward(x: UnsafePointer<Float>, rois: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>,
                               geometry g: RoIAlignGeometry, pool: ThreadPool) {
        let c = g.channels, rowFloats = g.outW * c
        guard c > 0 else { return }
        pool.parallelChunks(g.rois * g.outH, minChunk: max(1, 16_384 / max(rowFloats, 1))) { lines in
            for line in lines {
                let r = line / g.outH, ph = line % g.outH
                let bins = RoIBins<Float>(roi: rois + 5 * r, g)
                let row = y + line * rowFloats
                zeroFloats(row, rowFloats)
                guard let image = bins.image else { continue }
                let plane = x + image * g.height * g.width * c
                for pw in 0..<g.outW {
                    let out = row + pw * c
                    for iy in 0..<bins.gridH {
                        let ty = LinearTap(bins.sampleY(ph, iy), size: g.height)
                        if !ty.inside { continue }
                        let rowLow = plane + ty.low * g.width * c, rowHigh = plane + ty.high * g.width * c
                        for ix in 0..<bins.gridW {
                            let tx = LinearTap(bins.sampleX(pw, ix), size: g.width)
                            if !tx.inside { continue }
                            accumulate4(out, c,
                                        rowLow + tx.low * c, ty.lowWeight * tx.lowWeight,
                                        rowLow + tx.high * c, ty.lowWeight * tx.highWeight,
                                        rowHigh + tx.low * c, ty.highWeight * tx.lowWeight,
                                        rowHigh + tx.high * c, ty.highWeight * tx.highWeight)
                        }
                    }
                    divide(out, c, by: bins.count)
                }
            }
        }
    }

    /// dx = transpose of roiAlign applied to dy. dx overwritten.
    /// - Parameters:
    ///   - dy: (rois, outH, outW, channels)
    ///   - rois: (rois, 5)
    ///   - dx: (batch, height, width, channels)
    public static func backward(dy: UnsafePointer<Float>, rois: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>,
                                geometry g: RoIAlignGeometry, pool: ThreadPool) {
        let c = g.channels
        guard c > 0 else { return }
        // Jobs own (image, channel block) slices of dx, so overlapping RoIs never race.
        let split = ImageChannelSplit(batch: g.batch, channels: c, pool: pool)
        pool.parallelFor(split.jobCount(batch: g.batch)) { job in
            let (n, channels) = split.job(job)
            guard !channels.isEmpty else { return }
            let plane = dx + n * g.height * g.width * c + channels.lowerBound
            let width = channels.count
            for pixel in 0..<(g.height * g.width) { zeroFloats(plane + pixel * c, width) }
            for r in 0..<g.rois {
                let bins = RoIBins<Float>(roi: rois + 5 * r, g)
                guard bins.image == n else { continue }
                for ph in 0..<g.outH {
                    for pw in 0..<g.outW {
                        let grad = dy + ((r * g.outH + ph) * g.outW + pw) * c + channels.lowerBound
                        for iy in 0..<bins.gridH {
                            let ty = LinearTap(bins.sampleY(ph, iy), size: g.height)
                            if !ty.inside { continue }
                            let rowLow = plane + ty.low * g.width * c, rowHigh = plane + ty.high * g.width * c
                            for ix in 0..<bins.gridW {
                                let tx = LinearTap(bins.sampleX(pw, ix), size: g.width)
                                if !tx.inside { continue }
                                let l = tx.lowWeight / bins.count, h = tx.highWeight / bins.count
                                if ty.low != ty.high && tx.low != tx.high {
                                    scatter4(grad, width, rowLow + tx.low * c, ty.lowWeight * l, rowLow + tx.high * c,
                                             ty.lowWeight * h, rowHigh + tx.low * c, ty.highWeight * l,
                                             rowHigh + tx.high * c, ty.highWeight * h)
                                } else {
                                    // Border samples use a row or column twice: scatter one tap at a time.
                                    scatter(grad, width, rowLow + tx.low * c, ty.lowWeight * l)
                                    scatter(grad, width, rowLow + tx.high * c, ty.lowWeight * h)
                                    scatter(grad, width, rowHigh + tx.low * c, ty.highWeight * l)
                                    scatter(grad, width, rowHigh + tx.high * c, ty.highWeight * h)
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// out[i] += w1·p1[i] + w2·p2[i] + w3·p3[i] + w4·p4[i] for i < count.
    @inline(__always)
    static func accumulate4(_ out: UnsafeMutablePointer<Float>, _ count: Int,
                            _ p1: UnsafePointer<Float>, _ w1: Float, _ p2: UnsafePointer<Float>, _ w2: Float,
                            _ p3: UnsafePointer<Float>, _ w3: Float, _ p4: UnsafePointer<Float>, _ w4: Float) {
        var i = 0
        while i + 16 <= count {
            let sum = w1 * load16(p1 + i) + w2 * load16(p2 + i) + w3 * load16(p3 + i) + w4 * load16(p4 + i)
            store16(load16(out + i) + sum, out + i)
            i += 16
        }
        while i < count {
            out[i] += w1 * p1[i] + w2 * p2[i] + w3 * p3[i] + w4 * p4[i]
            i += 1
        }
    }

    /// dst[i] += w · src[i] for i < count.
    @inline(__always)
    static func scatter(_ src: UnsafePointer<Float>, _ count: Int, _ dst: UnsafeMutablePointer<Float>, _ w: Float) {
        var i = 0
        while i + 16 <= count {
            store16(load16(dst + i) + w * load16(src + i), dst + i)
            i += 16
        }
        while i < count {
            dst[i] += w * src[i]
            i += 1
        }
    }

    /// d_k[i] += w_k · src[i] for four distinct destinations d_1…d_4 and i < count (src read once).
    @inline(__always)
    static func scatter4(_ src: UnsafePointer<Float>, _ count: Int,
                         _ d1: UnsafeMutablePointer<Float>, _ w1: Float, _ d2: UnsafeMutablePointer<Float>, _ w2: Float,
                         _ d3: UnsafeMutablePointer<Float>, _ w3: Float, _ d4: UnsafeMutablePointer<Float>, _ w4: Float) {
        var i = 0
        while i + 16 <= count {
            let g = load16(src + i)
            store16(load16(d1 + i) + w1 * g, d1 + i)
            store16(load16(d2 + i) + w2 * g, d2 + i)
            store16(load16(d3 + i) + w3 * g, d3 + i)
            store16(load16(d4 + i) + w4 * g, d4 + i)
            i += 16
        }
        while i < count {
            let g = src[i]
            d1[i] += w1 * g
            d2[i] += w2 * g
            d3[i] += w3 * g
            d4[i] += w4 * g
            i += 1
        }
    }

    /// out[i] /= divisor for i < count.
    @inline(__always)
    static func divide(_ out: UnsafeMutablePointer<Float>, _ count: Int, by divisor: Float) {
        if divisor == 1 { return }
        var i = 0
        let d = SIMD16<Float>(repeating: divisor)
        while i + 16 <= count {
            store16(load16(out + i) / d, out + i)
            i += 16
        }
        while i < count {
            out[i] /= divisor
            i += 1
        }
    }
}
