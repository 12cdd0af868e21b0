// dynamic_update_slice(x, update, start): x with the window at run-time coordinates `start` (clamped into range)
// replaced by `update`. MoCo and DetCo enqueue keys into their ring-buffer queues with it.

import KilnIR

public enum DynamicUpdateSlice: Op {
    public static let name = "dynamic_update_slice"
    public static let fusion = FusionKind.injective

    public static func inferType(_ inputs: [TensorType], _ attributes: Attributes) throws -> TensorType {
        try expectArity(inputs, 3)
        try DynamicStart.check(inputs[2], operand: inputs[0], op: name, inputs: inputs)
        guard inputs[1].dtype == inputs[0].dtype, inputs[1].rank == inputs[0].rank,
              zip(inputs[1].shape, inputs[0].shape).allSatisfy({ $0 <= $1 }) else {
            throw shapeError(inputs, "the update must have the operand's element type and fit inside it")
        }
        return inputs[0]
    }

    public static func vjp(_ c: VJPContext, _ b: inout GraphBuilder) throws -> [ValueID?] {
        let window = c.inputTypes[1]
        return [c.wants[0] ? try b.dynamicUpdateSlice(c.grad, update: b.zeros(window), start: c.inputs[2]) : nil,
                c.wants[1] ? try b.dynamicSlice(c.grad, start: c.inputs[2], sizes: window.shape) : nil,
                nil]
    }

    public static func reference(_ inputs: [HostTensor], _ node: Node) throws -> HostTensor {
        let start = DynamicStart.clamp(inputs[2].data.map { Int($0) }, shape: inputs[0].shape, window: inputs[1].shape)
        var out = inputs[0]
        let strides = inputs[1].strides
        for i in 0..<inputs[1].count {
            let coords = Shape.coordinates(of: i, strides: strides)
            out[zip(coords, start).map { $0 + $1 }] = inputs[1].data[i]
        }
        return out
    }

    public static func kernel(_ node: Node, _ inputTypes: [TensorType], _ buffers: KernelBuffers,
                              _ context: KernelContext) throws -> KernelThunk? {
        let shape = node.type.shape, window = inputTypes[1].shape, rank = shape.count
        let copy = BoxCopy(extent: window, srcShape: window, srcOffset: [Int](repeating: 0, count: rank), dstShape: shape,
                           dstOffset: [Int](repeating: 0, count: rank), elementSize: node.type.dtype.byteSize)
        let offset = DynamicOffset(shape: shape, window: window, start: buffers.inputs[2], startType: inputTypes[2].dtype)
        let x = buffers.inputs[0], update = buffers.inputs[1], y = buffers.output, bytes = node.type.byteCount
        return {
            if x != y { y.copyMemory(from: x, byteCount: bytes) }
            copy.run(update, y, srcOffset: 0, dstOffset: offset.elements())
        }
    }

    public static func flops(_ node: Node, _ inputTypes: [TensorType]) -> Double { 0 }
}

extension GraphBuilder {
    public mutating func dynamicUpdateSlice(_ x: ValueID, update: ValueID, start: ValueID) throws(ShapeError) -> ValueID {
        try apply(DynamicUpdateSlice.self, [x, update, start])
    }
}
