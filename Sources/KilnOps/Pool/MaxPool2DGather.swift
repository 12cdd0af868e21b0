// max_pool2d_gather(x, g) {kernel, stride, padding}: for each pooling window, the value of g at the window's
// first maximum in x. The transpose of max_pool2d_backward (needed for second-order gradients).

import KilnIR
import KilnKernels

public enum MaxPool2DGather: Op {
    public static let name = "max_pool2d_gather"
    public static let fusion = FusionKind.opaque

    public static func inferType(_ inputs: [TensorType], _ attributes: Attributes) throws -> TensorType {
        try expectArity(inputs, 2)
        guard inputs[1] == inputs[0] else { throw shapeError(inputs, "both operands must have the input's type") }
        return inputs[0].with(shape: try PoolAttributes(attributes).outputShape(inputs[0].shape, op: name, inputs: inputs))
    }

    public static func vjp(_ c: VJPContext, _ b: inout GraphBuilder) throws -> [ValueID?] {
        [nil, try b.maxPool2dBackward(c.inputs[0], c.grad, try PoolAttributes(c.attributes))]
    }

    public static func reference(_ inputs: [HostTensor], _ node: Node) throws -> HostTensor {
        var out = HostTensor(zeros: node.type)
        try PoolAttributes(node.attributes).forEachWindow(x: inputs[0].shape, y: node.type.shape) { yi, taps in
            if let m = PoolAttributes.firstMax(taps, inputs[0].data) { out.data[yi] = inputs[1].data[m] }
        }
        return out
    }

    public static func kernel(_ node: Node, _ inputTypes: [TensorType], _ buffers: KernelBuffers,
                              _ context: KernelContext) throws -> KernelThunk? {
        guard node.type.dtype == .f32 else { return nil }
        let g = try PoolAttributes(node.attributes).geometry(inputTypes[0].shape)
        let x: UnsafeMutablePointer<Float> = buffers.input(0), source: UnsafeMutablePointer<Float> = buffers.input(1)
        let out: UnsafeMutablePointer<Float> = buffers.output()
        let pool = context.pool
        return { Pooling.maxPoolGather(x: x, g: source, out: out, geometry: g, pool: pool) }
    }
}

extension GraphBuilder {
    public mutating func maxPool2dGather(_ x: ValueID, _ g: ValueID, _ pool: PoolAttributes) throws(ShapeError) -> ValueID {
        try apply(MaxPool2DGather.self, [x, g], pool.attributes)
    }
}
