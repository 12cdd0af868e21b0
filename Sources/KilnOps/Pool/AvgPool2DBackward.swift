// avg_pool2d_backward(dy) {input_shape, kernel, stride, padding, count_include_pad}: spreads each window's
// gradient evenly over its taps; the exact transpose of avg_pool2d, whose VJP it is (and vice versa).

import KilnIR
import KilnKernels

public enum AvgPool2DBackward: Op {
    public static let name = "avg_pool2d_backward"
    public static let fusion = FusionKind.opaque

    public static func inferType(_ inputs: [TensorType], _ attributes: Attributes) throws -> TensorType {
        try expectArity(inputs, 1)
        let x = try attributes.ints("input_shape", count: 4)
        _ = try attributes.bool("count_include_pad", default: true)
        let y = try PoolAttributes(attributes).outputShape(x, op: name, inputs: inputs)
        guard inputs[0].shape == y else { throw shapeError(inputs, "output gradient must have shape \(y)") }
        return inputs[0].with(shape: x)
    }

    public static func vjp(_ c: VJPContext, _ b: inout GraphBuilder) throws -> [ValueID?] {
        [try b.avgPool2d(c.grad, try PoolAttributes(c.attributes),
                         countIncludePad: try c.attributes.bool("count_include_pad", default: true))]
    }

    public static func reference(_ inputs: [HostTensor], _ node: Node) throws -> HostTensor {
        let pool = try PoolAttributes(node.attributes)
        let includePad = try node.attributes.bool("count_include_pad", default: true)
        var out = HostTensor(zeros: node.type)
        pool.forEachWindow(x: node.type.shape, y: inputs[0].shape) { yi, taps in
            let share = inputs[0].data[yi] / AvgPool2D.divisor(pool, inside: taps.count, includePad: includePad)
            for t in taps { out.data[t] += share }
        }
        return out
    }

    public static func kernel(_ node: Node, _ inputTypes: [TensorType], _ buffers: KernelBuffers,
                              _ context: KernelContext) throws -> KernelThunk? {
        guard node.type.dtype == .f32 else { return nil }
        let g = try PoolAttributes(node.attributes).geometry(node.type.shape)
        let include = try node.attributes.bool("count_include_pad", default: true)
        let dy: UnsafeMutablePointer<Float> = buffers.input(0), dx: UnsafeMutablePointer<Float> = buffers.output()
        let pool = context.pool
        return { Pooling.avgPoolBackward(dy: dy, dx: dx, geometry: g, countIncludePad: include, pool: pool) }
    }
}

extension GraphBuilder {
    public mutating func avgPool2dBackward(_ dy: ValueID, inputShape: [Int], _ pool: PoolAttributes,
                                           countIncludePad: Bool = true) throws(ShapeError) -> ValueID {
        var attributes = pool.attributes
        attributes["input_shape"] = .ints(inputShape)
        attributes["count_include_pad"] = .bool(countIncludePad)
        return try apply(AvgPool2DBackward.self, [dy], attributes)
    }
}
