// upsample(x) {size, mode}: NHWC resize to size = [H', W'] by nearest or bilinear interpolation.

import KilnIR
import KilnKernels

public enum Upsample: Op {
    public static let name = "upsample"
    public static let fusion = FusionKind.opaque

    public static func inferType(_ inputs: [TensorType], _ attributes: Attributes) throws -> TensorType {
        try expectArity(inputs, 1)
        _ = try ResizeTaps.mode(attributes, op: name, inputs: inputs)
        let size = try attributes.ints("size", count: 2)
        guard inputs[0].rank == 4, inputs[0].dtype.isFloatingPoint, inputs[0].shape[1] > 0, inputs[0].shape[2] > 0 else {
            throw shapeError(inputs, "input must be floating-point NHWC with a non-empty image")
        }
        guard size.allSatisfy({ $0 > 0 }) else { throw shapeError(inputs, "size \(size) must be positive") }
        let x = inputs[0].shape
        return inputs[0].with(shape: [x[0], size[0], size[1], x[3]])
    }

    public static func vjp(_ c: VJPContext, _ b: inout GraphBuilder) throws -> [ValueID?] {
        [try b.upsampleBackward(c.grad, inputShape: c.inputTypes[0].shape,
                                mode: try ResizeTaps.mode(c.attributes, op: name, inputs: c.inputTypes))]
    }

    public static func reference(_ inputs: [HostTensor], _ node: Node) throws -> HostTensor {
        let mode = try ResizeTaps.mode(node.attributes, op: name, inputs: [inputs[0].type])
        var out = HostTensor(zeros: node.type)
        ResizeTaps.forEach(x: inputs[0].shape, y: node.type.shape, mode: mode) { yi, xi, w in out.data[yi] += w * inputs[0].data[xi] }
        return out
    }

    public static func kernel(_ node: Node, _ inputTypes: [TensorType], _ buffers: KernelBuffers,
                              _ context: KernelContext) throws -> KernelThunk? {
        guard node.type.dtype == .f32 else { return nil }
        let mode = try ResizeTaps.mode(node.attributes, op: name, inputs: inputTypes)
        let g = resizeGeometry(x: inputTypes[0].shape, y: node.type.shape)
        let x: UnsafeMutablePointer<Float> = buffers.input(0), y: UnsafeMutablePointer<Float> = buffers.output()
        let pool = context.pool
        switch mode {
        case .nearest: return { KilnKernels.Upsample.nearestForward(x: x, y: y, geometry: g, pool: pool) }
        case .bilinear: return { KilnKernels.Upsample.bilinearForward(x: x, y: y, geometry: g, pool: pool) }
        }
    }
}

extension GraphBuilder {
    public mutating func upsample(_ x: ValueID, size: [Int], mode: ResizeMode) throws(ShapeError) -> ValueID {
        try apply(Upsample.self, [x], ["size": .ints(size), "mode": .string(mode.rawValue)])
    }
}
