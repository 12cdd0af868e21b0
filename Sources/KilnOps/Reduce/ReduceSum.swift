// reduce_sum(x) {axes, keepdims}: sum over the given axes (all when `axes` is absent).

import KilnIR
import KilnKernels

public enum ReduceSum: Op {
    public static let name = "reduce_sum"
    public static let fusion = FusionKind.reduction

    public static func inferType(_ inputs: [TensorType], _ attributes: Attributes) throws -> TensorType {
        try expectArity(inputs, 1)
        let axes = try ReduceShape.axes(inputs[0], attributes, op: name)
        return inputs[0].with(shape: ReduceShape.outputShape(inputs[0].shape, axes: axes, keepdims: try attributes.bool("keepdims", default: false)))
    }

    public static func vjp(_ c: VJPContext, _ b: inout GraphBuilder) throws -> [ValueID?] {
        let axes = try ReduceShape.axes(c.inputTypes[0], c.attributes, op: name)
        return [try ReduceShape.broadcastBack(c.grad, to: c.inputTypes[0], axes: axes, &b)]
    }

    public static func reference(_ inputs: [HostTensor], _ node: Node) throws -> HostTensor {
        let axes = try ReduceShape.axes(inputs[0].type, node.attributes, op: name)
        let index = ReduceShape.outputIndex(inputShape: inputs[0].shape, axes: axes)
        var out = HostTensor(zeros: node.type)
        for (i, v) in inputs[0].data.enumerated() { out.data[index[i]] += v }
        return out
    }

    public static func kernel(_ node: Node, _ inputTypes: [TensorType], _ buffers: KernelBuffers,
                              _ context: KernelContext) throws -> KernelThunk? {
        // The general kernel supports rank ≤ 16; beyond that the reference runs.
        guard inputTypes[0].dtype == .f32, inputTypes[0].rank <= 16 else { return nil }
        let axes = try ReduceShape.axes(inputTypes[0], node.attributes, op: name)
        // Contiguous axes run the fused-reduction kernel with an empty prologue, so a reduction gives bit-identical
        // results fused or not (fusion then never changes a ReLU mask downstream).
        if let layout = ReductionLayout(domain: inputTypes[0].shape, axes: axes) {
            return FusedReduction.kernel(.identity, op: name, layout: layout, inputTypes: inputTypes,
                                         domain: inputTypes[0].shape, buffers: buffers, pool: context.pool)
        }
        let shape = inputTypes[0].shape
        let x: UnsafeMutablePointer<Float> = buffers.input(0), y: UnsafeMutablePointer<Float> = buffers.output()
        let pool = context.pool
        return { Reduce.sum(x: x, shape: shape, axes: axes, y: y, pool: pool) }
    }

}

extension GraphBuilder {
    public mutating func reduceSum(_ x: ValueID, axes: [Int]? = nil, keepdims: Bool = false) throws(ShapeError) -> ValueID {
        var attributes: Attributes = ["keepdims": .bool(keepdims)]
        if let axes { attributes["axes"] = .ints(axes) }
        return try apply(ReduceSum.self, [x], attributes)
    }
}
