// dynamic_slice(x, start) {sizes}: the window of shape `sizes` starting at run-time coordinates `start`
// (clamped into range, as XLA does). Used to read rolling buffers such as MoCo's key queue.

import KilnIR

public enum DynamicSlice: Op {
    public static let name = "dynamic_slice"
    public static let fusion = FusionKind.injective

    public static func inferType(_ inputs: [TensorType], _ attributes: Attributes) throws -> TensorType {
        try expectArity(inputs, 2)
        try DynamicStart.check(inputs[1], operand: inputs[0], op: name, inputs: inputs)
        let sizes = try attributes.ints("sizes", count: inputs[0].rank)
        guard zip(sizes, inputs[0].shape).allSatisfy({ 0 <= $0 && $0 <= $1 }) else {
            throw shapeError(inputs, "window \(sizes) does not fit the operand")
        }
        return inputs[0].with(shape: sizes)
    }

    public static func vjp(_ c: VJPContext, _ b: inout GraphBuilder) throws -> [ValueID?] {
        [try b.dynamicUpdateSlice(b.zeros(c.inputTypes[0]), update: c.grad, start: c.inputs[1]), nil]
    }

    public static func reference(_ inputs: [HostTensor], _ node: Node) throws -> HostTensor {
        let start = DynamicStart.clamp(inputs[1].data.map { Int($0) }, shape: inputs[0].shape, window: node.type.shape)
        var out = HostTensor(zeros: node.type)
        let strides = node.type.strides
        for i in 0..<out.count {
            let coords = Shape.coordinates(of: i, strides: strides)
            out.data[i] = inputs[0][zip(coords, start).map { $0 + $1 }]
        }
        return out
    }

    public static func kernel(_ node: Node, _ inputTypes: [TensorType], _ buffers: KernelBuffers,
                              _ context: KernelContext) throws -> KernelThunk? {
        let shape = inputTypes[0].shape, window = node.type.shape, rank = shape.count
        let copy = BoxCopy(extent: window, srcShape: shape, srcOffset: [Int](repeating: 0, count: rank), dstShape: window,
                           dstOffset: [Int](repeating: 0, count: rank), elementSize: node.type.dtype.byteSize)
        let offset = DynamicOffset(shape: shape, window: window, start: buffers.inputs[1], startType: inputTypes[1].dtype)
        let x = buffers.inputs[0], y = buffers.output
        return { copy.run(x, y, srcOffset: offset.elements(), dstOffset: 0) }
    }

    public static func flops(_ node: Node, _ inputTypes: [TensorType]) -> Double { 0 }
}

extension GraphBuilder {
    public mutating func dynamicSlice(_ x: ValueID, start: ValueID, sizes: [Int]) throws(ShapeError) -> ValueID {
        try apply(DynamicSlice.self, [x, start], ["sizes": .ints(sizes)])
    }
}
