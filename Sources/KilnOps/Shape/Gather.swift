// gather(x, indices) {axis}: NumPy `take` — selects entries of x along `axis`; the result has shape
// x.shape[..<axis] + indices.shape + x.shape[(axis+1)...]. Indices are i32 or i64; out-of-range ones are clamped.

import KilnIR

public enum Gather: Op {
    public static let name = "gather"
    public static let fusion = FusionKind.opaque

    public static func inferType(_ inputs: [TensorType], _ attributes: Attributes) throws -> TensorType {
        try expectArity(inputs, 2)
        guard inputs[1].dtype.isInteger else { throw shapeError(inputs, "indices must be i32 or i64") }
        let axis = try GatherLayout.resolveAxis(attributes, data: inputs[0], op: name, inputs: inputs)
        guard inputs[0].shape[axis] > 0 else { throw shapeError(inputs, "cannot gather from an empty axis") }
        return inputs[0].with(shape: GatherLayout.gatheredShape(data: inputs[0].shape, indices: inputs[1].shape, axis: axis))
    }

    public static func vjp(_ c: VJPContext, _ b: inout GraphBuilder) throws -> [ValueID?] {
        let axis = try GatherLayout.resolveAxis(c.attributes, data: c.inputTypes[0], op: name, inputs: c.inputTypes)
        let zeros = b.zeros(c.inputTypes[0])
        return [try b.scatterAdd(zeros, indices: c.inputs[1], updates: c.grad, axis: axis), nil]
    }

    public static func reference(_ inputs: [HostTensor], _ node: Node) throws -> HostTensor {
        let axis = try GatherLayout.resolveAxis(node.attributes, data: inputs[0].type, op: name, inputs: inputs.map(\.type))
        let l = GatherLayout(data: inputs[0].type, indices: inputs[1].type, axis: axis)
        var out = HostTensor(zeros: node.type)
        for o in 0..<l.outer {
            for j in 0..<l.indexCount {
                let k = l.clamp(Int(inputs[1].data[j]))
                for i in 0..<l.inner {
                    out.data[(o * l.indexCount + j) * l.inner + i] = inputs[0].data[(o * l.axisSize + k) * l.inner + i]
                }
            }
        }
        return out
    }

    public static func kernel(_ node: Node, _ inputTypes: [TensorType], _ buffers: KernelBuffers,
                              _ context: KernelContext) throws -> KernelThunk? {
        let axis = try GatherLayout.resolveAxis(node.attributes, data: inputTypes[0], op: name, inputs: inputTypes)
        let l = GatherLayout(data: inputTypes[0], indices: inputTypes[1], axis: axis)
        let x = buffers.inputs[0], idx = buffers.inputs[1], y = buffers.output
        let indexType = inputTypes[1].dtype, size = node.type.dtype.byteSize
        let row = l.inner * size
        return {
            for o in 0..<l.outer {
                for j in 0..<l.indexCount {
                    let k = l.clamp(readIndex(idx, indexType, j))
                    (y + ((o * l.indexCount + j) * row)).copyMemory(from: x + ((o * l.axisSize + k) * row), byteCount: row)
                }
            }
        }
    }

    public static func flops(_ node: Node, _ inputTypes: [TensorType]) -> Double { 0 }
}

extension GraphBuilder {
    public mutating func gather(_ x: ValueID, indices: ValueID, axis: Int) throws(ShapeError) -> ValueID {
        try apply(Gather.self, [x, indices], ["axis": .int(axis)])
    }
}
