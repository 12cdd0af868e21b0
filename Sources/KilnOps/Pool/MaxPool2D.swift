// max_pool2d(x) {kernel, stride, padding}: NHWC max pooling; padding never wins (PyTorch's -inf padding).

import KilnIR
import KilnKernels

public enum MaxPool2D: Op {
    public static let name = "max_pool2d"
    public static let fusion = FusionKind.opaque

    public static func inferType(_ inputs: [TensorType], _ attributes: Attributes) throws -> TensorType {
        try expectArity(inputs, 1)
        return inputs[0].with(shape: try PoolAttributes(attributes).outputShape(inputs[0].shape, op: name, inputs: inputs))
    }

    public static func vjp(_ c: VJPContext, _ b: inout GraphBuilder) throws -> [ValueID?] {
        [try b.maxPool2dBackward(c.inputs[0], c.grad, try PoolAttributes(c.attributes))]
    }

    public static func reference(_ inputs: [HostTensor], _ node: Node) throws -> HostTensor {
        var out = HostTensor(zeros: node.type)
        try PoolAttributes(node.attributes).forEachWindow(x: inputs[0].shape, y: node.type.shape) { yi, taps in
            out.data[yi] = PoolAttributes.firstMax(taps, inputs[0].data).map { inputs[0].data[$0] } ?? -.infinity
        }
        return out
    }

    public static func kernel(_ node: Node, _ inputTypes: [TensorType], _ buffers: KernelBuffers,
                              _ context: KernelContext) throws -> KernelThunk? {
        guard node.type.dtype == .f32 else { return nil }
        let g = try PoolAttributes(node.attributes).geometry(inputTypes[0].shape)
        let x: UnsafeMutablePointer<Float> = buffers.input(0), y: UnsafeMutablePointer<Float> = buffers.output()
        let pool = context.pool
        return { Pooling.maxPoolForward(x: x, y: y, geometry: g, pool: pool) }
    }
}

extension GraphBuilder {
    public mutating func maxPool2d(_ x: ValueID, _ pool: PoolAttributes) throws(ShapeError) -> ValueID {
        try apply(MaxPool2D.self, [x], pool.attributes)
    }
}
