// top_k(x) {k, flat}: indices (i32) of the k largest entries of every row of x (…, N), in descending order of
// value with ties broken by the lower index (a stable order) and NaN counted as the largest (torch.topk).
// With `flat` the indices count over the whole tensor (row · N + index), ready for `gather` on a flattened
// tensor. Values come from `gather` (GraphBuilder.topK), which carries the gradient; this op has none.

import KilnIR
import KilnKernels

public enum TopK: Op {
    public static let name = "top_k"
    public static let fusion = FusionKind.opaque

    struct Config {
        var k, n, rows: Int
        var flat: Bool

        init(_ inputs: [TensorType], _ attributes: Attributes) throws {
            try TopK.expectArity(inputs, 1)
            guard inputs[0].dtype.isFloatingPoint, inputs[0].rank >= 1 else { throw TopK.shapeError(inputs, "x must be floating-point (…, N)") }
            n = inputs[0].shape[inputs[0].rank - 1]
            k = try attributes.int("k")
            flat = try attributes.bool("flat", default: false)
            guard k >= 1 && k <= n else { throw TopK.shapeError(inputs, "k \(k) must be in 1...\(n)") }
            rows = inputs[0].count / n
        }
    }

    public static func inferType(_ inputs: [TensorType], _ attributes: Attributes) throws -> TensorType {
        let c = try Config(inputs, attributes)
        return TensorType(.i32, Array(inputs[0].shape.dropLast()) + [c.k])
    }

    public static func vjp(_ c: VJPContext, _ b: inout GraphBuilder) throws -> [ValueID?] { [nil] }

    public static func reference(_ inputs: [HostTensor], _ node: Node) throws -> HostTensor {
        let c = try Config(inputs.map(\.type), node.attributes)
        var out: [Double] = []
        out.reserveCapacity(node.type.count)
        for r in 0..<c.rows {
            let row = Array(inputs[0].data[(r * c.n)..<((r + 1) * c.n)])
            out += DescendingOrder.naiveLargest(row, k: c.k).map { Double($0 + (c.flat ? r * c.n : 0)) }
        }
        return HostTensor(node.type, out)
    }

    public static func scratchBytes(_ node: Node, _ inputTypes: [TensorType]) -> Int {
        inputTypes[0].dtype == .f32 ? DescendingOrder.scratchBytes(count: inputTypes[0].shape[inputTypes[0].rank - 1]) : 0
    }

    public static func kernel(_ node: Node, _ inputTypes: [TensorType], _ buffers: KernelBuffers,
                              _ context: KernelContext) throws -> KernelThunk? {
        guard inputTypes[0].dtype == .f32, let scratch = buffers.scratch else { return nil }
        let c = try Config(inputTypes, node.attributes)
        let x: UnsafeMutablePointer<Float> = buffers.input(0), y = buffers.output(as: Int32.self)
        return {
            for r in 0..<c.rows {
                let out = y + r * c.k
                DescendingOrder.largest(x + r * c.n, count: c.n, k: c.k, into: out, scratch: scratch)
                if c.flat && r > 0 {
                    let shift = Int32(truncatingIfNeeded: r * c.n)
                    for j in 0..<c.k { out[j] += shift }
                }
            }
        }
    }

    public static func flops(_ node: Node, _ inputTypes: [TensorType]) -> Double { Double(inputTypes[0].count) * 4 }
}

extension GraphBuilder {
    /// The k largest entries of every row of x (…, N): values (…, k) and i32 indices (…, k), descending, ties by the
    /// lower index. Indices count within the row, or over the whole tensor with `flatIndices` (row · N + index).
    /// Values are differentiable (a gather). Rank > 1 with row indices takes a second top_k node for the values.
    public mutating func topK(_ x: ValueID, k: Int, flatIndices: Bool = false) throws(ShapeError) -> (values: ValueID, indices: ValueID) {
        let shape = type(of: x).shape
        let flat = try apply(TopK.self, [x], ["k": .int(k), "flat": .bool(shape.count > 1)])
        let values = try gather(shape.count > 1 ? try reshape(x, [shape.reduce(1, *)]) : x, indices: flat, axis: 0)
        if flatIndices || shape.count <= 1 { return (values, flat) }
        return (values, try apply(TopK.self, [x], ["k": .int(k), "flat": .bool(false)]))
    }
}
