// upsample_backward(dy) {input_shape, mode}: the exact transpose of upsample (scatters each output gradient to
// its interpolation taps). Its VJP is upsample again.

import KilnIR
import KilnKernels

public enum UpsampleBackward: Op {
    public static let name = "upsample_backward"
    public static let fusion = FusionKind.opaque

    public static func inferType(_ inputs: [TensorType], _ attributes: Attributes) throws -> TensorType {
        try expectArity(inputs, 1)
        _ = try ResizeTaps.mode(attributes, op: name, inputs: inputs)
        let x = try attributes.ints("input_shape", count: 4)
        guard inputs[0].rank == 4, inputs[0].shape[0] == x[0], inputs[0].shape[3] == x[3], x[1] > 0, x[2] > 0 else {
            throw shapeError(inputs, "gradient must be NHWC with the batch and channels of input shape \(x)")
        }
        return inputs[0].with(shape: x)
    }

    public static func vjp(_ c: VJPContext, _ b: inout GraphBuilder) throws -> [ValueID?] {
        let y = c.inputTypes[0].shape
        return [try b.upsample(c.grad, size: [y[1], y[2]], mode: try ResizeTaps.mode(c.attributes, op: name, inputs: c.inputTypes))]
    }

    public static func reference(_ inputs: [HostTensor], _ node: Node) throws -> HostTensor {
        let mode = try ResizeTaps.mode(node.attributes, op: name, inputs: [inputs[0].type])
        var out = HostTensor(zeros: node.type)
        ResizeTaps.forEach(x: node.type.shape, y: inputs[0].shape, mode: mode) { yi, xi, w in out.data[xi] += w * inputs[0].data[yi] }
        return out
    }

    public static func kernel(_ node: Node, _ inputTypes: [TensorType], _ buffers: KernelBuffers,
                              _ context: KernelContext) throws -> KernelThunk? {
        guard node.type.dtype == .f32 else { return nil }
        let mode = try ResizeTaps.mode(node.attributes, op: name, inputs: inputTypes)
        let g = resizeGeometry(x: node.type.shape, y: inputTypes[0].shape)
        let dy: UnsafeMutablePointer<Float> = buffers.input(0), dx: UnsafeMutablePointer<Float> = buffers.output()
        let pool = context.pool
        switch mode {
        case .nearest: return { KilnKernels.Upsample.nearestBackward(dy: dy, dx: dx, geometry: g, pool: pool) }
        case .bilinear: return { KilnKernels.Upsample.bilinearBackward(dy: dy, dx: dx, geometry: g, pool: pool) }
        }
    }
}

extension GraphBuilder {
    public mutating func upsampleBackward(_ dy: ValueID, inputShape: [Int], mode: ResizeMode) throws(ShapeError) -> ValueID {
        try apply(UpsampleBackward.self, [dy], ["input_shape": .ints(inputShape), "mode": .string(mode.rawValue)])
    }
}
