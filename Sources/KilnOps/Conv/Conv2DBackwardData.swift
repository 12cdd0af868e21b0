// conv2d_backward_data(dy, w) {input_shape, stride, padding, dilation, groups}: the input gradient of conv2d
// (a transposed convolution). Linear in both operands, so its own VJP is built from conv2d and the weight gradient.

import KilnIR
import KilnKernels

public enum Conv2DBackwardData: Op {
    public static let name = "conv2d_backward_data"
    public static let fusion = FusionKind.epilogueFusable

    public static func inferType(_ inputs: [TensorType], _ attributes: Attributes) throws -> TensorType {
        try expectArity(inputs, 2)
        let conv = try ConvAttributes(attributes)
        let xShape = try attributes.ints("input_shape", count: 4)
        let y = try conv.forwardShape(x: xShape, w: inputs[1].shape, op: name, inputs: inputs)
        guard inputs[0].shape == y, inputs[0].dtype == inputs[1].dtype else {
            throw shapeError(inputs, "output gradient must be \(inputs[1].dtype)\(y) for input shape \(xShape)")
        }
        return inputs[0].with(shape: xShape)
    }

    public static func vjp(_ c: VJPContext, _ b: inout GraphBuilder) throws -> [ValueID?] {
        // <bwd_data(dy, w), g> = <dy, conv(g, w)>: so d/d(dy) = conv(g, w) and d/dw = bwd_weights(g, dy).
        let conv = try ConvAttributes(c.attributes)
        let w = c.inputTypes[1].shape
        return [c.wants[0] ? try b.conv2d(c.grad, c.inputs[1], conv) : nil,
                c.wants[1] ? try b.conv2dBackwardWeights(c.grad, c.inputs[0], kernel: [w[1], w[2]], conv) : nil]
    }

    public static func reference(_ inputs: [HostTensor], _ node: Node) throws -> HostTensor {
        let conv = try ConvAttributes(node.attributes)
        var out = HostTensor(zeros: node.type)
        ConvReference.forEachTap(x: node.type.shape, w: inputs[1].shape, y: inputs[0].shape, conv) { xi, wi, yi in
            out.data[xi] += inputs[0].data[yi] * inputs[1].data[wi]
        }
        return out
    }

    static func geometry(_ node: Node, _ inputTypes: [TensorType]) throws -> ConvGeometry {
        try ConvAttributes(node.attributes).geometry(x: node.type.shape, w: inputTypes[1].shape)
    }

    public static func scratchBytes(_ node: Node, _ inputTypes: [TensorType]) -> Int {
        guard let g = try? geometry(node, inputTypes) else { return 0 }
        return g.scratchFloats(.backwardData) * 4
    }

    public static func kernel(_ node: Node, _ inputTypes: [TensorType], _ buffers: KernelBuffers,
                              _ context: KernelContext) throws -> KernelThunk? {
        guard node.type.dtype == .f32 else { return nil }
        let g = try geometry(node, inputTypes)
        let dy: UnsafeMutablePointer<Float> = buffers.input(0), w: UnsafeMutablePointer<Float> = buffers.input(1)
        let dx: UnsafeMutablePointer<Float> = buffers.output(), scratch: UnsafeMutablePointer<Float>? = buffers.scratch()
        let pool = context.pool
        return { KilnKernels.Conv2D.backwardData(dy: dy, w: w, dx: dx, geometry: g, scratch: scratch, pool: pool) }
    }

    public static func flops(_ node: Node, _ inputTypes: [TensorType]) -> Double {
        let w = inputTypes[1].shape
        return 2 * Double(inputTypes[0].count) * Double(w[1] * w[2] * w[3])
    }
}

extension GraphBuilder {
    public mutating func conv2dBackwardData(_ dy: ValueID, _ w: ValueID, inputShape: [Int], _ conv: ConvAttributes) throws(ShapeError) -> ValueID {
        var attributes = conv.attributes
        attributes["input_shape"] = .ints(inputShape)
        return try apply(Conv2DBackwardData.self, [dy, w], attributes)
    }
}
