// scatter_add(base, indices, updates) {axis}: a copy of base where updates[..., j, ...] is added at
// index indices[j] along `axis` (repeated indices accumulate). The transpose of gather.

import KilnIR

public enum ScatterAdd: Op {
    public static let name = "scatter_add"
    public static let fusion = FusionKind.opaque

    public static func inferType(_ inputs: [TensorType], _ attributes: Attributes) throws -> TensorType {
        try expectArity(inputs, 3)
        guard inputs[1].dtype.isInteger else { throw shapeError(inputs, "indices must be i32 or i64") }
        let axis = try GatherLayout.resolveAxis(attributes, data: inputs[0], op: name, inputs: inputs)
        guard inputs[0].shape[axis] > 0 else { throw shapeError(inputs, "cannot scatter into an empty axis") }
        let expected = GatherLayout.gatheredShape(data: inputs[0].shape, indices: inputs[1].shape, axis: axis)
        guard inputs[2].shape == expected, inputs[2].dtype == inputs[0].dtype else {
            throw shapeError(inputs, "updates must be \(inputs[0].dtype)\(expected)")
        }
        return inputs[0]
    }

    public static func vjp(_ c: VJPContext, _ b: inout GraphBuilder) throws -> [ValueID?] {
        let axis = try GatherLayout.resolveAxis(c.attributes, data: c.inputTypes[0], op: name, inputs: c.inputTypes)
        return [c.grad, nil, c.wants[2] ? try b.gather(c.grad, indices: c.inputs[1], axis: axis) : nil]
    }

    public static func reference(_ inputs: [HostTensor], _ node: Node) throws -> HostTensor {
        let axis = try GatherLayout.resolveAxis(node.attributes, data: inputs[0].type, op: name, inputs: inputs.map(\.type))
        let l = GatherLayout(data: inputs[0].type, indices: inputs[1].type, axis: axis)
        var out = inputs[0]
        for o in 0..<l.outer {
            for j in 0..<l.indexCount {
                let k = l.clamp(Int(inputs[1].data[j]))
                for i in 0..<l.inner {
                    out.data[(o * l.axisSize + k) * l.inner + i] += inputs[2].data[(o * l.indexCount + j) * l.inner + i]
                }
            }
        }
        return out
    }

    public static func kernel(_ node: Node, _ inputTypes: [TensorType], _ buffers: KernelBuffers,
                              _ context: KernelContext) throws -> KernelThunk? {
        guard node.type.dtype == .f32 else { return nil }
        let axis = try GatherLayout.resolveAxis(node.attributes, data: inputTypes[0], op: name, inputs: inputTypes)
        let l = GatherLayout(data: inputTypes[0], indices: inputTypes[1], axis: axis)
        let base: UnsafeMutablePointer<Float> = buffers.input(0), updates: UnsafeMutablePointer<Float> = buffers.input(2)
        let idx = buffers.inputs[1], y: UnsafeMutablePointer<Float> = buffers.output()
        let indexType = inputTypes[1].dtype, count = node.type.count
        return {
            if base != y { y.update(from: base, count: count) }
            for o in 0..<l.outer {
                for j in 0..<l.indexCount {
                    let k = l.clamp(readIndex(idx, indexType, j))
                    let dst = y + (o * l.axisSize + k) * l.inner, src = updates + (o * l.indexCount + j) * l.inner
                    for i in 0..<l.inner { dst[i] += src[i] }
                }
            }
        }
    }
}

extension GraphBuilder {
    public mutating func scatterAdd(_ base: ValueID, indices: ValueID, updates: ValueID, axis: Int) throws(ShapeError) -> ValueID {
        try apply(ScatterAdd.self, [base, indices, updates], ["axis": .int(axis)])
    }
}
