// Shared shape logic of reductions: normalised axes, kept/dropped output shapes and reference iteration.

import KilnIR

public enum ReduceShape {
    /// Sorted, de-duplicated, non-negative axes from the `axes` attribute (all axes when absent).
    public static func axes(_ input: TensorType, _ attributes: Attributes, op: String) throws -> [Int] {
        guard attributes["axes"] != nil else { return Array(0..<input.rank) }
        var out: [Int] = []
        for a in try attributes.ints("axes") {
            guard let axis = Shape.axis(a, rank: input.rank), input.rank > 0 else {
                throw ShapeError(op: op, inputs: [input], message: "axis \(a) is out of range for rank \(input.rank)")
            }
            if !out.contains(axis) { out.append(axis) }
        }
        return out.sorted()
    }

    /// The output shape: reduced axes dropped, or kept as 1 with `keepdims`.
    public static func outputShape(_ shape: [Int], axes: [Int], keepdims: Bool) -> [Int] {
        shape.indices.compactMap { d in axes.contains(d) ? (keepdims ? 1 : nil) : shape[d] }
    }

    /// For every input element, the flat index of the output element it reduces into.
    public static func outputIndex(inputShape: [Int], axes: [Int]) -> [Int] {
        let kept = inputShape.indices.map { axes.contains($0) ? 1 : inputShape[$0] }
        let keptStrides = Shape.strides(kept)
        let inStrides = Shape.strides(inputShape)
        let count = inputShape.reduce(1, *)
        var out = [Int](repeating: 0, count: count)
        for i in 0..<count {
            var rest = i
            var o = 0
            for d in inputShape.indices {
                let c = rest / inStrides[d]
                rest -= c * inStrides[d]
                if !axes.contains(d) { o += c * keptStrides[d] }
            }
            out[i] = o
        }
        return out
    }

    /// Reshapes a reduced cotangent back to rank with 1s at the reduced axes and broadcasts it to `shape`.
    static func broadcastBack(_ g: ValueID, to input: TensorType, axes: [Int], _ b: inout GraphBuilder) throws -> ValueID {
        let kept = outputShape(input.shape, axes: axes, keepdims: true)
        let r = b.type(of: g).shape == kept ? g : try b.reshape(g, kept)
        return try b.broadcast(r, input.shape)
    }
}
