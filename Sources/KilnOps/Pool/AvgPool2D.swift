// avg_pool2d(x) {kernel, stride, padding, count_include_pad}: NHWC average pooling with PyTorch's divisor rule.

import KilnIR
import KilnKernels

public enum AvgPool2D: Op {
    public static let name = "avg_pool2d"
    public static let fusion = FusionKind.opaque

    public static func inferType(_ inputs: [TensorType], _ attributes: Attributes) throws -> TensorType {
        try expectArity(inputs, 1)
        _ = try attributes.bool("count_include_pad", default: true)
        return inputs[0].with(shape: try PoolAttributes(attributes).outputShape(inputs[0].shape, op: name, inputs: inputs))
    }

    public static func vjp(_ c: VJPContext, _ b: inout GraphBuilder) throws -> [ValueID?] {
        [try b.avgPool2dBackward(c.grad, inputShape: c.inputTypes[0].shape, try PoolAttributes(c.attributes),
                                 countIncludePad: try c.attributes.bool("count_include_pad", default: true))]
    }

    /// The divisor of a window with `inside` taps inside the input.
    static func divisor(_ pool: PoolAttributes, inside: Int, includePad: Bool) -> Double {
        includePad ? Double(pool.kernel[0] * pool.kernel[1]) : Double(max(inside, 1))
    }

    public static func reference(_ inputs: [HostTensor], _ node: Node) throws -> HostTensor {
        let pool = try PoolAttributes(node.attributes)
        let includePad = try node.attributes.bool("count_include_pad", default: true)
        var out = HostTensor(zeros: node.type)
        pool.forEachWindow(x: inputs[0].shape, y: node.type.shape) { yi, taps in
            out.data[yi] = taps.reduce(0) { $0 + inputs[0].data[$1] } / divisor(pool, inside: taps.count, includePad: includePad)
        }
        return out
    }

    public static func kernel(_ node: Node, _ inputTypes: [TensorType], _ buffers: KernelBuffers,
                              _ context: KernelContext) throws -> KernelThunk? {
        guard node.type.dtype == .f32 else { return nil }
        let g = try PoolAttributes(node.attributes).geometry(inputTypes[0].shape)
        let include = try node.attributes.bool("count_include_pad", default: true)
        let x: UnsafeMutablePointer<Float> = buffers.input(0), y: UnsafeMutablePointer<Float> = buffers.output()
        let pool = context.pool
        return { Pooling.avgPoolForward(x: x, y: y, geometry: g, countIncludePad: include, pool: pool) }
    }
}

extension GraphBuilder {
    public mutating func avgPool2d(_ x: ValueID, _ pool: PoolAttributes, countIncludePad: Bool = true) throws(ShapeError) -> ValueID {
        var attributes = pool.attributes
        attributes["count_include_pad"] = .bool(countIncludePad)
        return try apply(AvgPool2D.self, [x], attributes)
    }
}
