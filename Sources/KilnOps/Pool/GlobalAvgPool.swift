// global_avg_pool(x): NHWC (N, H, W, C) → (N, C), the mean over the spatial dimensions.

import KilnIR
import KilnKernels

public enum GlobalAvgPool: Op {
    public static let name = "global_avg_pool"
    public static let fusion = FusionKind.reduction

    public static func inferType(_ inputs: [TensorType], _ attributes: Attributes) throws -> TensorType {
        try expectArity(inputs, 1)
        guard inputs[0].rank == 4, inputs[0].dtype.isFloatingPoint else { throw shapeError(inputs, "input must be floating-point NHWC") }
        guard inputs[0].shape[1] * inputs[0].shape[2] > 0 else { throw shapeError(inputs, "spatial size must be positive") }
        return inputs[0].with(shape: [inputs[0].shape[0], inputs[0].shape[3]])
    }

    public static func vjp(_ c: VJPContext, _ b: inout GraphBuilder) throws -> [ValueID?] {
        let x = c.inputTypes[0].shape
        let scaled = try b.mul(c.grad, b.scalar(1 / Double(x[1] * x[2]), c.outputType.dtype))
        return [try b.broadcast(try b.reshape(scaled, [x[0], 1, 1, x[3]]), x)]
    }

    public static func reference(_ inputs: [HostTensor], _ node: Node) throws -> HostTensor {
        let x = inputs[0].shape
        let hw = x[1] * x[2]
        var out = HostTensor(zeros: node.type)
        for b in 0..<x[0] {
            for p in 0..<hw {
                for c in 0..<x[3] { out.data[b * x[3] + c] += inputs[0].data[(b * hw + p) * x[3] + c] }
            }
        }
        for i in out.data.indices { out.data[i] /= Double(hw) }
        return out
    }

    public static func kernel(_ node: Node, _ inputTypes: [TensorType], _ buffers: KernelBuffers,
                              _ context: KernelContext) throws -> KernelThunk? {
        guard node.type.dtype == .f32 else { return nil }
        let x = inputTypes[0].shape
        let hw = x[1] * x[2], c = x[3], n = x[0]
        let src: UnsafeMutablePointer<Float> = buffers.input(0), dst: UnsafeMutablePointer<Float> = buffers.output()
        let scale = 1 / Float(hw)
        return {
            for b in 0..<n {
                let out = dst + b * c
                out.update(repeating: 0, count: c)
                for p in 0..<hw {
                    let row = src + (b * hw + p) * c
                    for k in 0..<c { out[k] += row[k] }
                }
                for k in 0..<c { out[k] *= scale }
            }
        }
    }
}

extension GraphBuilder {
    public mutating func globalAvgPool(_ x: ValueID) throws(ShapeError) -> ValueID { try apply(GlobalAvgPool.self, [x]) }
}
