// Naive reduction references: walk every input element once with an odometer over the full shape, map it to
// its output index, and accumulate in Double (sum) or compare (max, arg-max).

extension Reduce {
    /// Output index of every input element: the input's multi-index with the reduced axes dropped.
    static func naiveOutputIndices(shape: [Int], axes: [Int]) -> [Int] {
        let total = shape.reduce(1, *)
        var result = [Int](repeating: 0, count: total)
        for flat in 0..<total {
            var rest = flat, output = 0, scale = 1
            for d in stride(from: shape.count - 1, through: 0, by: -1) {
                let index = rest % shape[d]
                rest /= shape[d]
                if !axes.contains(d) {
                    output += index * scale
                    scale *= shape[d]
                }
            }
            result[flat] = output
        }
        return result
    }

    /// Reference for `sum` (Double accumulation).
    public static func naiveSum(x: UnsafePointer<Float>, shape: [Int], axes: [Int], y: UnsafeMutablePointer<Float>) {
        let outputs = shape.enumerated().filter { !axes.contains($0.offset) }.reduce(1) { $0 * $1.element }
        var sums = [Double](repeating: 0, count: outputs)
        for (flat, output) in naiveOutputIndices(shape: shape, axes: axes).enumerated() { sums[output] += Double(x[flat]) }
        for i in 0..<outputs { y[i] = Float(sums[i]) }
    }

    /// Reference for `max`.
    public static func naiveMax(x: UnsafePointer<Float>, shape: [Int], axes: [Int], y: UnsafeMutablePointer<Float>) {
        let outputs = shape.enumerated().filter { !axes.contains($0.offset) }.reduce(1) { $0 * $1.element }
        for i in 0..<outputs { y[i] = -.infinity }
        for (flat, output) in naiveOutputIndices(shape: shape, axes: axes).enumerated() {
            if y[output].isNaN { continue }
            if x[flat] > y[output] || x[flat].isNaN { y[output] = x[flat] }
        }
    }

    /// Reference for `argmax`.
    public static func naiveArgmax(x: UnsafePointer<Float>, shape: [Int], axis: Int, y: UnsafeMutablePointer<Int64>) {
        let outputs = shape.enumerated().filter { $0.offset != axis }.reduce(1) { $0 * $1.element }
        var best = [Float](repeating: -.infinity, count: outputs)
        for i in 0..<outputs { y[i] = 0 }
        var inner = 1
        for d in (axis + 1)..<shape.count { inner *= shape[d] }
        for (flat, output) in naiveOutputIndices(shape: shape, axes: [axis]).enumerated() {
            let position = (flat / inner) % shape[axis]
            if best[output].isNaN { continue }
            if x[flat] > best[output] || x[flat].isNaN {
                best[output] = x[flat]
                y[output] = Int64(position)
            }
        }
    }
}
