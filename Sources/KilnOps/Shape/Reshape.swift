// reshape(x) {shape}: same elements in row-major order, new shape (one dimension may be -1 when building).

import KilnIR

public enum Reshape: Op {
    public static let name = "reshape"
    public static let fusion = FusionKind.injective

    public static func inferType(_ inputs: [TensorType], _ attributes: Attributes) throws -> TensorType {
        try expectArity(inputs, 1)
        let shape = try attributes.ints("shape")
        guard shape.allSatisfy({ $0 >= 0 }), shape.reduce(1, *) == inputs[0].count else {
            throw shapeError(inputs, "cannot reshape \(inputs[0].count) elements to \(shape)")
        }
        return inputs[0].with(shape: shape)
    }

    public static func vjp(_ c: VJPContext, _ b: inout GraphBuilder) throws -> [ValueID?] {
        [try b.reshape(c.grad, c.inputTypes[0].shape)]
    }

    public static func reference(_ inputs: [HostTensor], _ node: Node) throws -> HostTensor {
        HostTensor(node.type, inputs[0].data)
    }

    public static func kernel(_ node: Node, _ inputTypes: [TensorType], _ buffers: KernelBuffers,
                              _ context: KernelContext) throws -> KernelThunk? {
        let x = buffers.inputs[0], y = buffers.output, bytes = node.type.byteCount
        return { if x != y { y.copyMemory(from: x, byteCount: bytes) } }
    }

    public static func flops(_ node: Node, _ inputTypes: [TensorType]) -> Double { 0 }
}

extension GraphBuilder {
    /// Reshapes `x`; a single -1 in `shape` is inferred from the element count.
    public mutating func reshape(_ x: ValueID, _ shape: [Int]) throws(ShapeError) -> ValueID {
        var shape = shape
        if let i = shape.firstIndex(of: -1) {
            let known = shape.enumerated().filter { $0.offset != i }.reduce(1) { $0 * $1.element }
            shape[i] = known > 0 ? type(of: x).count / known : 0
        }
        return try apply(Reshape.self, [x], ["shape": .ints(shape)])
    }
}
