// conv2d_backward_weights(x, dy) {kernel, stride, padding, dilation, groups}: the weight gradient of conv2d.
// Linear in both operands; its VJP is built from conv2d and the input gradient.

import KilnIR
import KilnKernels

public enum Conv2DBackwardWeights: Op {
    public static let name = "conv2d_backward_weights"
    public static let fusion = FusionKind.epilogueFusable

    static func weightShape(_ inputs: [TensorType], _ attributes: Attributes) throws -> [Int] {
        let conv = try ConvAttributes(attributes)
        let kernel = try attributes.ints("kernel", count: 2)
        guard inputs[0].rank == 4, inputs[1].rank == 4, inputs[1].shape[3] > 0 else {
            throw shapeError(inputs, "operands must be NHWC")
        }
        guard inputs[0].shape[3] % conv.groups == 0, conv.groups > 0 else {
            throw shapeError(inputs, "input channels \(inputs[0].shape[3]) must divide by groups \(conv.groups)")
        }
        let w = [inputs[1].shape[3], kernel[0], kernel[1], inputs[0].shape[3] / conv.groups]
        let y = try conv.forwardShape(x: inputs[0].shape, w: w, op: name, inputs: inputs)
        guard inputs[1].shape == y, inputs[0].dtype == inputs[1].dtype else {
            throw shapeError(inputs, "output gradient must be \(inputs[0].dtype)\(y)")
        }
        return w
    }

    public static func inferType(_ inputs: [TensorType], _ attributes: Attributes) throws -> TensorType {
        try expectArity(inputs, 2)
        return inputs[0].with(shape: try weightShape(inputs, attributes))
    }

    public static func vjp(_ c: VJPContext, _ b: inout GraphBuilder) throws -> [ValueID?] {
        // <bwd_weights(x, dy), g> = <dy, conv(x, g)>: d/dx = bwd_data(dy, g), d/d(dy) = conv(x, g).
        let conv = try ConvAttributes(c.attributes)
        return [c.wants[0] ? try b.conv2dBackwardData(c.inputs[1], c.grad, inputShape: c.inputTypes[0].shape, conv) : nil,
                c.wants[1] ? try b.conv2d(c.inputs[0], c.grad, conv) : nil]
    }

    public static func reference(_ inputs: [HostTensor], _ node: Node) throws -> HostTensor {
        let conv = try ConvAttributes(node.attributes)
        var out = HostTensor(zeros: node.type)
        ConvReference.forEachTap(x: inputs[0].shape, w: node.type.shape, y: inputs[1].shape, conv) { xi, wi, yi in
            out.data[wi] += inputs[0].data[xi] * inputs[1].data[yi]
        }
        return out
    }

    static func geometry(_ node: Node, _ inputTypes: [TensorType]) throws -> ConvGeometry {
        try ConvAttributes(node.attributes).geometry(x: inputTypes[0].shape, w: node.type.shape)
    }

    public static func scratchBytes(_ node: Node, _ inputTypes: [TensorType]) -> Int {
        guard let g = try? geometry(node, inputTypes) else { return 0 }
        return g.scratchFloats(.backwardWeights) * 4
    }

    public static func kernel(_ node: Node, _ inputTypes: [TensorType], _ buffers: KernelBuffers,
                              _ context: KernelContext) throws -> KernelThunk? {
        guard node.type.dtype == .f32 else { return nil }
        let g = try geometry(node, inputTypes)
        let x: UnsafeMutablePointer<Float> = buffers.input(0), dy: UnsafeMutablePointer<Float> = buffers.input(1)
        let dw: UnsafeMutablePointer<Float> = buffers.output(), scratch: UnsafeMutablePointer<Float>? = buffers.scratch()
        let pool = context.pool
        return { KilnKernels.Conv2D.backwardWeights(x: x, dy: dy, dw: dw, geometry: g, scratch: scratch, pool: pool) }
    }

    public static func flops(_ node: Node, _ inputTypes: [TensorType]) -> Double {
        2 * Double(inputTypes[1].count) * Double(node.type.shape[1] * node.type.shape[2] * node.type.shape[3])
    }
}

extension GraphBuilder {
    public mutating func conv2dBackwardWeights(_ x: ValueID, _ dy: ValueID, kernel: [Int], _ conv: ConvAttributes) throws(ShapeError) -> ValueID {
        var attributes = conv.attributes
        attributes["kernel"] = .ints(kernel)
        return try apply(Conv2DBackwardWeights.self, [x, dy], attributes)
    }
}
