// reduce_max(x) {axes, keepdims}: maximum over the given axes; NaN propagates.

import KilnIR
import KilnKernels

public enum ReduceMax: Op {
    public static let name = "reduce_max"
    public static let fusion = FusionKind.reduction

    public static func inferType(_ inputs: [TensorType], _ attributes: Attributes) throws -> TensorType {
        try ReduceSum.inferType(inputs, attributes)
    }

    public static func vjp(_ c: VJPContext, _ b: inout GraphBuilder) throws -> [ValueID?] {
        // NOTE: the gradient is shared equally by all elements equal to the maximum (PyTorch's amax rule).
        let x = c.inputs[0], input = c.inputTypes[0]
        let axes = try ReduceShape.axes(input, c.attributes, op: name)
        let y = try ReduceShape.broadcastBack(c.output, to: input, axes: axes, &b)
        let mask = try b.cast(try b.equal(x, y), input.dtype)
        let count = try b.reduceSum(mask, axes: axes, keepdims: true)
        let g = try ReduceShape.broadcastBack(c.grad, to: input, axes: axes, &b)
        return [try b.div(try b.mul(g, mask), count)]
    }

    public static func reference(_ inputs: [HostTensor], _ node: Node) throws -> HostTensor {
        let axes = try ReduceShape.axes(inputs[0].type, node.attributes, op: name)
        let index = ReduceShape.outputIndex(inputShape: inputs[0].shape, axes: axes)
        var out = HostTensor(repeating: -.infinity, node.type)
        for (i, v) in inputs[0].data.enumerated() {
            let o = index[i]
            if v.isNaN || out.data[o].isNaN { out.data[o] = .nan } else if v > out.data[o] { out.data[o] = v }
        }
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
        return { Reduce.max(x: x, shape: shape, axes: axes, y: y, pool: pool) }
    }

}

extension GraphBuilder {
    public mutating func reduceMax(_ x: ValueID, axes: [Int]? = nil, keepdims: Bool = false) throws(ShapeError) -> ValueID {
        var attributes: Attributes = ["keepdims": .bool(keepdims)]
        if let axes { attributes["axes"] = .ints(axes) }
        return try apply(ReduceMax.self, [x], attributes)
    }
}
