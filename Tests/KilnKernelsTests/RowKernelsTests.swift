// Softmax, log-softmax and the batch-norm kernels against their Double references: odd widths, large logits
// (stability), NaN rows, statistics of data with a large mean (accuracy), and the fused ReLU.

import KilnKernels
import Testing

@Suite("Row kernels")
struct RowKernelsTests {
    @Test("softmax and log-softmax match the references", arguments: [(5, 1), (7, 10), (3, 1000), (64, 17)])
    func softmax(shape: (Int, Int)) {
        let (rows, cols) = shape
        var x = randomFloats(rows * cols, seed: 101, low: -20, high: 20)
        x[0] = 80  // exp(80) overflows without the max shift
        var y = poisoned(x.count), ly = poisoned(x.count), ry = poisoned(x.count), rly = poisoned(x.count)
        RowKernels.softmaxRows(x: x, y: &y, rows: rows, cols: cols, pool: .shared)
        RowKernels.logSoftmaxRows(x: x, y: &ly, rows: rows, cols: cols, pool: .shared)
        RowKernels.naiveSoftmaxRows(x: x, y: &ry, rows: rows, cols: cols)
        RowKernels.naiveLogSoftmaxRows(x: x, y: &rly, rows: rows, cols: cols)
        #expect(relativeError(y, ry) < 1e-5)
        #expect(relativeError(ly, rly) < 1e-5)
        // In place gives the same result.
        var inPlace = x
        inPlace.withUnsafeMutableBufferPointer { p in
            RowKernels.softmaxRows(x: p.baseAddress!, y: p.baseAddress!, rows: rows, cols: cols, pool: .shared)
        }
        #expect(inPlace == y)
    }

    @Test("a NaN makes its row NaN and leaves the others alone")
    func nanRow() {
        var x = randomFloats(3 * 20, seed: 102)
        x[25] = .nan
        var y = poisoned(60)
        RowKernels.softmaxRows(x: x, y: &y, rows: 3, cols: 20, pool: .shared)
        let nanRow = y[20..<40].allSatisfy { $0.isNaN }
        let cleanRows = !y[0..<20].contains { $0.isNaN } && !y[40..<60].contains { $0.isNaN }
        #expect(nanRow)
        #expect(cleanRows)
    }

    @Test("channel statistics are accurate for data with a large mean", arguments: [16, 64, 19, 3])
    func meanVar(channels: Int) {
        let rows = 5000
        // Mean 1000, standard deviation ~0.29: a naive one-pass f32 E[x²] − E[x]² would lose all digits.
        let x = randomFloats(rows * channels, seed: 103, low: 999.5, high: 1000.5)
        var mean = poisoned(channels), variance = poisoned(channels)
        var rmean = poisoned(channels), rvariance = poisoned(channels)
        BatchNormKernels.channelMeanVar(x: x, rows: rows, channels: channels, mean: &mean, variance: &variance,
                                        pool: .shared)
        BatchNormKernels.naiveChannelMeanVar(x: x, rows: rows, channels: channels, mean: &rmean, variance: &rvariance)
        #expect(relativeError(mean, rmean) < 1e-6)
        #expect(relativeError(variance, rvariance) < 1e-4)
    }

    @Test("scale-shift with and without ReLU", arguments: [false, true])
    func scaleShift(relu: Bool) {
        let rows = 37, channels = 35
        let x = randomFloats(rows * channels, seed: 104), scale = randomFloats(channels, seed: 105)
        let shift = randomFloats(channels, seed: 106)
        var y = poisoned(x.count), ry = poisoned(x.count)
        BatchNormKernels.scaleShift(x: x, rows: rows, channels: channels, scale: scale, shift: shift, y: &y,
                                    relu: relu, pool: .shared)
        BatchNormKernels.naiveScaleShift(x: x, rows: rows, channels: channels, scale: scale, shift: shift, y: &ry,
                                         relu: relu)
        #expect(relativeError(y, ry) < 1e-6)
        if relu { #expect(y.allSatisfy { $0 >= 0 }) } else { #expect(y.contains { $0 < 0 }) }
    }
}
