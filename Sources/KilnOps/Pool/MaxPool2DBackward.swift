// max_pool2d_backward(x, dy) {kernel, stride, padding}: routes each window's gradient to the first maximal
// element of its window in x. Linear in dy; its VJP uses max_pool2d_gather, its transpose.

import KilnIR
import KilnKernels

public enum MaxPool2DBackward: Op {
    public static let name = "max_pool2d_backward"
    public static let fusion = FusionKind.opaque

    public static func inferType(_ inputs: [TensorType], _ attributes: Attributes) throws -> TensorType {
        try expectArity(inputs, 2)
        let y = try PoolAttributes(attributes).outputShape(inputs[0].shape, op: name, inputs: inputs)
        guard inputs[1].shape == y, inputs[1].dtype == inputs[0].dtype else {
            throw shapeError(inputs, "output gradient must be \(inputs[0].dtype)\(y)")
        }
        return inputs[0]
    }

    public static func vjp(_ c: VJPContext, _ b: inout GraphBuilder) throws -> [ValueID?] {
        // NOTE: piecewise constant in x (zero gradient almost everywhere); linear in dy.
        [nil, try b.maxPool2dGather(c.inputs[0], c.grad, try PoolAttributes(c.attributes))]
    }

    public static func reference(_ inputs: [HostTensor], _ node: Node) throws -> HostTensor {
        var out = HostTensor(zeros: node.type)
        try PoolAttributes(node.attributes).forEachWindow(x: inputs[0].shape, y: inputs[1].shape) { yi, taps in
            if let m = PoolAttributes.firstMax(taps, inputs[0].data) { out.data[m] += inputs[1].data[yi] }
        }
        return out
    }

    public static func kernel(_ node: Node, _ inputTypes: [TensorType], _ buffers: KernelBuffers,
                              _ context: KernelContext) throws -> KernelThunk? {
        guard node.type.dtype == .f32 else { return nil }
        let g = try PoolAttributes(node.attributes).geometry(inputTypes[0].shape)
        let x: UnsafeMutablePointer<Float> = buffers.input(0), dy: UnsafeMutablePointer<Float> = buffers.input(1)
        let dx: UnsafeMutablePointer<Float> = buffers.output()
        let pool = context.pool
        return { Pooling.maxPoolBackward(x: x, dy: dy, dx: dx, geometry: g, pool: pool) }
    }
}

extension GraphBuilder {
    public mutating func maxPool2dBackward(_ x: ValueID, _ dy: ValueID, _ pool: PoolAttributes) throws(ShapeError) -> ValueID {
        try apply(MaxPool2DBackward.self, [x, dy], pool.attributes)
    }
}
