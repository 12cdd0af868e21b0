// argmax(x) {axis, keepdims}: index (i64) of the first maximum along one axis. Not differentiable.

import KilnIR
import KilnKernels

public enum ArgMax: Op {
    public static let name = "argmax"
    public static let fusion = FusionKind.reduction

    public static func inferType(_ inputs: [TensorType], _ attributes: Attributes) throws -> TensorType {
        try expectArity(inputs, 1)
        let a = try attributes.int("axis")
        guard inputs[0].rank > 0, let axis = Shape.axis(a, rank: inputs[0].rank) else {
            throw shapeError(inputs, "axis \(a) is out of range")
        }
        let shape = ReduceShape.outputShape(inputs[0].shape, axes: [axis], keepdims: try attributes.bool("keepdims", default: false))
        return TensorType(.i64, shape)
    }

    public static func vjp(_ c: VJPContext, _ b: inout GraphBuilder) throws -> [ValueID?] { [nil] }

    public static func reference(_ inputs: [HostTensor], _ node: Node) throws -> HostTensor {
        let x = inputs[0]
        let axis = Shape.axis(try node.attributes.int("axis"), rank: x.type.rank) ?? 0
        let inner = x.shape[(axis + 1)...].reduce(1, *)
        let n = x.shape[axis]
        let outer = x.count / max(n * inner, 1)
        var out = HostTensor(zeros: node.type)
        for o in 0..<outer {
            for i in 0..<inner {
                var best = 0
                for k in 0..<n where x.data[(o * n + k) * inner + i] > x.data[(o * n + best) * inner + i] { best = k }
                out.data[o * inner + i] = Double(best)
            }
        }
        return out
    }

    public static func kernel(_ node: Node, _ inputTypes: [TensorType], _ buffers: KernelBuffers,
                              _ context: KernelContext) throws -> KernelThunk? {
        guard inputTypes[0].dtype == .f32 else { return nil }
        let axis = Shape.axis(try node.attributes.int("axis"), rank: inputTypes[0].rank) ?? 0
        let shape = inputTypes[0].shape
        let x = buffers.input(0), y: UnsafeMutablePointer<Int64> = buffers.output(as: Int64.self)
        return { Reduce.argmax(x: x, shape: shape, axis: axis, y: y) }
    }
}

extension GraphBuilder {
    public mutating func argmax(_ x: ValueID, axis: Int, keepdims: Bool = false) throws(ShapeError) -> ValueID {
        try apply(ArgMax.self, [x], ["axis": .int(axis), "keepdims": .bool(keepdims)])
    }
}
