// broadcast(x) {shape}: NumPy broadcasting of x to `shape`. Its VJP is the identity on the cotangent: the autodiff
// pass sums every cotangent down to its operand's shape in one place.

import KilnIR

public enum Broadcast: Op {
    public static let name = "broadcast"
    public static let fusion = FusionKind.broadcast

    public static func inferType(_ inputs: [TensorType], _ attributes: Attributes) throws -> TensorType {
        try expectArity(inputs, 1)
        let shape = try attributes.ints("shape")
        guard Shape.broadcasts(inputs[0].shape, to: shape) else {
            throw shapeError(inputs, "cannot broadcast to \(shape)")
        }
        return inputs[0].with(shape: shape)
    }

    public static func vjp(_ c: VJPContext, _ b: inout GraphBuilder) throws -> [ValueID?] { [c.grad] }

    public static func reference(_ inputs: [HostTensor], _ node: Node) throws -> HostTensor {
        let map = BroadcastIndex(from: inputs[0].shape, to: node.type.shape)
        return HostTensor(node.type, (0..<node.type.count).map { inputs[0].data[map.sourceIndex($0)] })
    }

    public static func kernel(_ node: Node, _ inputTypes: [TensorType], _ buffers: KernelBuffers,
                              _ context: KernelContext) throws -> KernelThunk? {
        guard node.type.dtype != .f64, node.type.rank <= ElementwiseEngine.maxRank else { return nil }
        let program = TileProgram(single: StopGradient.self, node: node, inputTypes: inputTypes)
        return ElementwiseEngine.kernel(program, inputTypes: inputTypes, outputType: node.type, buffers: buffers,
                                        pool: context.pool)
    }

    public static func flops(_ node: Node, _ inputTypes: [TensorType]) -> Double { 0 }
}

extension GraphBuilder {
    public mutating func broadcast(_ x: ValueID, _ shape: [Int]) throws(ShapeError) -> ValueID {
        type(of: x).shape == shape ? x : try apply(Broadcast.self, [x], ["shape": .ints(shape)])
    }

    /// Sums `x` down to `shape` over the axes that NumPy broadcasting expanded (the inverse of `broadcast`).
    public mutating func sumTo(_ x: ValueID, _ shape: [Int]) throws(ShapeError) -> ValueID {
        let have = type(of: x).shape
        if have == shape { return x }
        let offset = have.count - shape.count
        let axes = have.indices.filter { d in d < offset || (shape[d - offset] == 1 && have[d] != 1) }
        let summed = try reduceSum(x, axes: axes, keepdims: true)
        return try reshape(summed, shape)
    }
}
