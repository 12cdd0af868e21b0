// Reductions against the naive references for every layout class (rows, columns, outer/reduced/inner,
// several reduced groups, size-1 and empty axes), accuracy over 10^6 elements, NaN, and arg-max ties.

import KilnKernels
import Testing

struct ReduceCase: Sendable, CustomTestStringConvertible {
    var shape: [Int]
    var axes: [Int]
    var testDescription: String { "\(shape) over \(axes)" }
}

let reduceCases: [ReduceCase] = [
    ReduceCase(shape: [7, 33], axes: [1]),                 // rows
    ReduceCase(shape: [3, 5, 7, 19], axes: [0, 1, 2]),     // NHWC batch-norm statistics
    ReduceCase(shape: [3, 5, 7, 35], axes: [1, 2]),        // global average pool
    ReduceCase(shape: [4, 9, 6], axes: [1]),               // outer / reduced / inner
    ReduceCase(shape: [4, 9, 6, 5], axes: [0, 2]),         // two reduced groups (general)
    ReduceCase(shape: [2, 3, 4, 5, 6], axes: [1, 3]),      // general, rank 5
    ReduceCase(shape: [5, 1, 7], axes: [1]),               // reducing a size-1 axis is a copy
    ReduceCase(shape: [1000], axes: [0]),                  // full
    ReduceCase(shape: [6, 4], axes: []),                   // nothing reduced
    ReduceCase(shape: [3, 17, 1, 16], axes: [0, 1, 2]),    // exact 16-lane block
]

@Suite("Reduce")
struct ReduceTests {
    static func outputCount(_ c: ReduceCase) -> Int {
        c.shape.enumerated().filter { !c.axes.contains($0.offset) }.reduce(1) { $0 * $1.element }
    }

    @Test("sum and max match the references", arguments: reduceCases)
    func sumAndMax(c: ReduceCase) {
        let count = c.shape.reduce(1, *), outputs = Self.outputCount(c)
        let x = randomFloats(count, seed: 71)
        var sum = poisoned(outputs), max = poisoned(outputs), rsum = poisoned(outputs), rmax = poisoned(outputs)
        Reduce.sum(x: x, shape: c.shape, axes: c.axes, y: &sum, pool: .shared)
        Reduce.max(x: x, shape: c.shape, axes: c.axes, y: &max, pool: .shared)
        Reduce.naiveSum(x: x, shape: c.shape, axes: c.axes, y: &rsum)
        Reduce.naiveMax(x: x, shape: c.shape, axes: c.axes, y: &rmax)
        // Signed values cancel, so f32 rounding is judged against the sum's own (smaller) scale: allow 1e-5.
        #expect(relativeError(sum, rsum) < 1e-5)
        #expect(max == rmax)
    }

    @Test("arg-max matches the reference on every axis, ties included")
    func argmax() {
        let shape = [3, 5, 4, 18]
        let x = randomFloats(shape.reduce(1, *), seed: 72).map { ($0 * 2).rounded() }  // many ties
        for axis in 0..<shape.count {
            let outputs = shape.reduce(1, *) / shape[axis]
            var y = [Int64](repeating: -1, count: outputs), ry = [Int64](repeating: -2, count: outputs)
            Reduce.argmax(x: x, shape: shape, axis: axis, y: &y)
            Reduce.naiveArgmax(x: x, shape: shape, axis: axis, y: &ry)
            #expect(y == ry, "axis \(axis)")
        }
    }

    @Test("NaN propagates through max and wins arg-max")
    func nan() {
        var x = randomFloats(4 * 40, seed: 73)
        x[45] = .nan; x[47] = .nan  // row 1
        var y = poisoned(4), indices = [Int64](repeating: -1, count: 4)
        Reduce.max(x: x, shape: [4, 40], axes: [1], y: &y, pool: .shared)
        Reduce.argmax(x: x, shape: [4, 40], axis: 1, y: &indices)
        #expect(y[1].isNaN && !y[0].isNaN && !y[2].isNaN)
        #expect(indices[1] == 5)
        var column = poisoned(40)
        Reduce.max(x: x, shape: [4, 40], axes: [0], y: &column, pool: .shared)
        #expect(column[5].isNaN && column[7].isNaN && !column[6].isNaN)
    }

    @Test("sums of 10^6 elements are accurate and thread-count independent")
    func accuracy() {
        let count = 1_000_003
        let x = randomFloats(count, seed: 74, low: 0, high: 1)  // same-sign values: the hard case for f32 sums
        var exact = 0.0
        for v in x { exact += Double(v) }
        var y: Float = 0
        Reduce.sum(x: x, shape: [count], axes: [0], y: &y, pool: .shared)
        #expect(abs(Double(y) - exact) / exact < 2e-7)
        let single = ThreadPool(threadCount: 1)
        defer { single.shutdown() }
        var ySerial: Float = 0
        Reduce.sum(x: x, shape: [count], axes: [0], y: &ySerial, pool: single)
        #expect(y == ySerial)
        // Column case: 62,500 rows × 16 channels.
        var columns = poisoned(16), reference = poisoned(16)
        Reduce.sum(x: x, shape: [62_500, 16], axes: [0], y: &columns, pool: .shared)
        Reduce.naiveSum(x: x, shape: [62_500, 16], axes: [0], y: &reference)
        #expect(relativeError(columns, reference) < 2e-7)
    }
}
