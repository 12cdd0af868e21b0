// reduce_mean(x) {axes, keepdims}: arithmetic mean over the given axes.

import KilnIR
import KilnKernels

public enum ReduceMean: Op {
    public static let name = "reduce_mean"
    public static let fusion = FusionKind.reduction

    public static func inferType(_ inputs: [TensorType], _ attributes: Attributes) throws -> TensorType {
        guard inputs.first?.dtype.isFloatingPoint ?? false else { throw shapeError(inputs, "needs one floating-point operand") }
        return try ReduceSum.inferType(inputs, attributes)
    }

    static func reducedCount(_ input: TensorType, _ attributes: Attributes) throws -> Int {
        try ReduceShape.axes(input, attributes, op: name).reduce(1) { $0 * input.shape[$1] }
    }

    public static func vjp(_ c: VJPContext, _ b: inout GraphBuilder) throws -> [ValueID?] {
        let axes = try ReduceShape.axes(c.inputTypes[0], c.attributes, op: name)
        let n = try reducedCount(c.inputTypes[0], c.attributes)
        let scaled = try b.mul(c.grad, b.scalar(1 / Double(n), c.outputType.dtype))
        return [try ReduceShape.broadcastBack(scaled, to: c.inputTypes[0], axes: axes, &b)]
    }

    public static func reference(_ inputs: [HostTensor], _ node: Node) throws -> HostTensor {
        var out = try ReduceSum.reference(inputs, node)
        let n = Double(try reducedCount(inputs[0].type, node.attributes))
        for i in out.data.indices { out.data[i] /= n }
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
        let scale = 1 / Float(try reducedCount(inputTypes[0], node.attributes))
        let count = node.type.count
        return {
            Reduce.sum(x: x, shape: shape, axes: axes, y: y, pool: pool)
            for i in 0..<count { y[i] *= scale }
        }
    }

}

extension GraphBuilder {
    public mutating func reduceMean(_ x: ValueID, axes: [Int]? = nil, keepdims: Bool = false) throws(ShapeError) -> ValueID {
        var attributes: Attributes = ["keepdims": .bool(keepdims)]
        if let axes { attributes["axes"] = .ints(axes) }
        return try apply(ReduceMean.self, [x], attributes)
    }
}
