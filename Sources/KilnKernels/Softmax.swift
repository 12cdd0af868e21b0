// Row-wise softmax and log-softmax over an (rows, cols) matrix, numerically stable: the row maximum is
// subtracted before exponentiating, and the row sum is accumulated in f32 SIMD blocks added into a Double.
// Semantics follow PyTorch: a row containing NaN gives NaN; a row of all −∞ gives NaN.

/// Row kernels: softmax and log-softmax along the last axis.
public enum RowKernels {
    /// y[r, :] = softmax(x[r, :]). x, y: (rows, cols); y may alias x.
    public static func softmaxRows(
        x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>, rows: Int, cols: Int, pool: ThreadPool
    ) {
        pool.parallelChunks(rows, minChunk: max(1, 8192 / max(cols, 1)), (x, y, cols)) { args, range in
            let (x, y, cols) = args
            for row in range {
                let src = x + row * cols, dst = y + row * cols
                let shift = Reduce.maxContiguous(src, cols)
                let total = RowKernels.exponentiateShifted(src, shift, dst, cols)
                let inverse = Float(1 / total)
                var i = 0
                while i + 16 <= cols {
                    store16(load16(dst + i) * inverse, dst + i)
                    i += 16
                }
                while i < cols {
                    dst[i] *= inverse
                    i += 1
                }
            }
        }
    }

    /// y[r, :] = log_softmax(x[r, :]) = x − max − log Σ e^(x − max). y may alias x.
    public static func logSoftmaxRows(
        x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>, rows: Int, cols: Int, pool: ThreadPool
    ) {
        pool.parallelChunks(rows, minChunk: max(1, 8192 / max(cols, 1)), (x, y, cols)) { args, range in
            let (x, y, cols) = args
            for row in range {
                let src = x + row * cols, dst = y + row * cols
                let shift = Reduce.maxContiguous(src, cols)
                let total = RowKernels.exponentiateShifted(src, shift, nil, cols)
                let offset = shift + Float(Foundation_log(total))
                var i = 0
                while i + 16 <= cols {
                    store16(load16(src + i) - offset, dst + i)
                    i += 16
                }
                while i < cols {
                    dst[i] = src[i] - offset
                    i += 1
                }
            }
        }
    }

    /// Σ e^(src − shift), also storing the exponentials into dst when given.
    @inline(__always)
    static func exponentiateShifted(
        _ src: UnsafePointer<Float>, _ shift: Float, _ dst: UnsafeMutablePointer<Float>?, _ cols: Int
    ) -> Double {
        var total = 0.0
        var i = 0
        while i < cols {
            let end = min(i + 1024, cols)
            var lanes = SIMD16<Float>()
            while i + 16 <= end {
                let e = VMath.exp(load16(src + i) - shift)
                if let dst { store16(e, dst + i) }
                lanes += e
                i += 16
            }
            if i < end {
                var v = SIMD16<Float>(repeating: -.infinity)  // e^−∞ = 0 pads the tail
                for lane in 0..<(end - i) { v[lane] = src[i + lane] - shift }
                let e = VMath.exp(v)
                for lane in 0..<(end - i) { dst?[i + lane] = e[lane] }
                lanes += e
                i = end
            }
            total += Double(lanes.sum())
        }
        return total
    }

    /// Reference softmax in Double.
    public static func naiveSoftmaxRows(x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>, rows: Int, cols: Int) {
        for row in 0..<rows {
            let src = x + row * cols
            var shift = -Double.infinity
            for i in 0..<cols { shift = src[i].isNaN ? .nan : Swift.max(shift, Double(src[i])) }
            var total = 0.0
            for i in 0..<cols { total += Foundation_exp(Double(src[i]) - shift) }
            for i in 0..<cols { y[row * cols + i] = Float(Foundation_exp(Double(src[i]) - shift) / total) }
        }
    }

    /// Reference log-softmax in Double.
    public static func naiveLogSoftmaxRows(x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>, rows: Int, cols: Int) {
        for row in 0..<rows {
            let src = x + row * cols
            var shift = -Double.infinity
            for i in 0..<cols { shift = src[i].isNaN ? .nan : Swift.max(shift, Double(src[i])) }
            var total = 0.0
            for i in 0..<cols { total += Foundation_exp(Double(src[i]) - shift) }
            let offset = shift + Foundation_log(total)
            for i in 0..<cols { y[row * cols + i] = Float(Double(src[i]) - offset) }
        }
    }
}
