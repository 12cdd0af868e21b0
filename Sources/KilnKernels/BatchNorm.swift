// Batch-norm kernels for NHWC activations viewed as an (M, C) matrix (M = N·H·W rows, C channels):
// per-channel statistics and the per-channel affine map that training and inference apply.
//
// Statistics use the corrected two-pass algorithm: mean first, then Σ(x − mean)² − (Σ(x − mean))²/M, with f32
// SIMD partial sums over 128-row blocks accumulated in Double. Jobs are blocks of 16 channels, so each job walks
// its columns down all rows and no partial results need scratch.

/// Batch-normalisation kernels over (rows, channels) matrices.
public enum BatchNormKernels {
    /// mean[c] = Σ_r x[r, c] / rows, variance[c] = Σ_r (x[r, c] − mean[c])² / rows (biased).
    /// x: (rows, channels); mean, variance: (channels).
    public static func channelMeanVar(
        x: UnsafePointer<Float>, rows: Int, channels: Int, mean: UnsafeMutablePointer<Float>,
        variance: UnsafeMutablePointer<Float>, pool: ThreadPool
    ) {
        let blocks = (channels + 15) / 16
        pool.parallelFor(blocks, (x, rows, channels, mean, variance)) { args, block in
            let (x, rows, channels, mean, variance) = args
            let count = Double(max(rows, 1))
            let c0 = block * 16
            if c0 + 16 > channels {
                for c in c0..<channels { BatchNormKernels.scalarMeanVar(x, rows, channels, c, mean, variance) }
                return
            }
            let base = x + c0
            var total = SIMD16<Double>()
            var r = 0
            while r < rows {
                let end = min(r + 128, rows)
                var partial = SIMD16<Float>()
                while r < end { partial += load16(base + r * channels); r += 1 }
                total += SIMD16<Double>(partial)
            }
            let mu = SIMD16<Float>(total / count)
            var squares = SIMD16<Double>(), deviations = SIMD16<Double>()
            r = 0
            while r < rows {
                let end = min(r + 128, rows)
                var partialSquares = SIMD16<Float>(), partialDeviations = SIMD16<Float>()
                while r < end {
                    let d = load16(base + r * channels) - mu
                    partialSquares += d * d
                    partialDeviations += d
                    r += 1
                }
                squares += SIMD16<Double>(partialSquares)
                deviations += SIMD16<Double>(partialDeviations)
            }
            store16(mu, mean + c0)
            store16(SIMD16<Float>((squares - deviations * deviations / count) / count), variance + c0)
        }
    }

    @inline(__always)
    static func scalarMeanVar(
        _ x: UnsafePointer<Float>, _ rows: Int, _ channels: Int, _ c: Int,
        _ mean: UnsafeMutablePointer<Float>, _ variance: UnsafeMutablePointer<Float>
    ) {
        let count = Double(max(rows, 1))
        var total = 0.0
        for r in 0..<rows { total += Double(x[r * channels + c]) }
        let mu = total / count
        var squares = 0.0
        for r in 0..<rows {
            let d = Double(x[r * channels + c]) - mu
            squares += d * d
        }
        mean[c] = Float(mu)
        variance[c] = Float(squares / count)
    }

    /// y[r, c] = x[r, c] · scale[c] + shift[c], then max(·, 0) if relu. y may alias x.
    public static func scaleShift(
        x: UnsafePointer<Float>, rows: Int, channels: Int, scale: UnsafePointer<Float>,
        shift: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>, relu: Bool, pool: ThreadPool
    ) {
        pool.parallelChunks(rows, minChunk: max(1, 16_384 / max(channels, 1)), (x, channels, scale, shift, y, relu)) {
            args, range in
            let (x, channels, scale, shift, y, relu) = args
            for r in range {
                let src = x + r * channels, dst = y + r * channels
                var c = 0
                while c + 16 <= channels {
                    var v = load16(src + c) * load16(scale + c) + load16(shift + c)
                    if relu { v.replace(with: 0, where: v .< 0) }
                    store16(v, dst + c)
                    c += 16
                }
                while c < channels {
                    let v = src[c] * scale[c] + shift[c]
                    dst[c] = relu && v < 0 ? 0 : v
                    c += 1
                }
            }
        }
    }

    /// Reference statistics: Double two-pass per channel.
    public static func naiveChannelMeanVar(
        x: UnsafePointer<Float>, rows: Int, channels: Int, mean: UnsafeMutablePointer<Float>,
        variance: UnsafeMutablePointer<Float>
    ) {
        for c in 0..<channels { scalarMeanVar(x, rows, channels, c, mean, variance) }
    }

    /// Reference affine map (+ ReLU) in Double.
    public static func naiveScaleShift(
        x: UnsafePointer<Float>, rows: Int, channels: Int, scale: UnsafePointer<Float>,
        shift: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>, relu: Bool
    ) {
        for r in 0..<rows {
            for c in 0..<channels {
                let v = Double(x[r * channels + c]) * Double(scale[c]) + Double(shift[c])
                y[r * channels + c] = Float(relu ? Swift.max(v, 0) : v)
            }
        }
    }
}
