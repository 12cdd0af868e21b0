// pad(x) {low, high, value}: surrounds each dimension with low[d] / high[d] elements equal to `value`.

import KilnIR

public enum Pad: Op {
    public static let name = "pad"
    public static let fusion = FusionKind.injective

    public static func inferType(_ inputs: [TensorType], _ attributes: Attributes) throws -> TensorType {
        try expectArity(inputs, 1)
        let x = inputs[0]
        let low = try attributes.ints("low", count: x.rank), high = try attributes.ints("high", count: x.rank)
        _ = try attributes.float("value", default: 0)
        guard low.allSatisfy({ $0 >= 0 }), high.allSatisfy({ $0 >= 0 }) else {
            throw shapeError(inputs, "padding must be non-negative, got low \(low) high \(high)")
        }
        return x.with(shape: x.shape.indices.map { x.shape[$0] + low[$0] + high[$0] })
    }

    public static func vjp(_ c: VJPContext, _ b: inout GraphBuilder) throws -> [ValueID?] {
        let low = try c.attributes.ints("low")
        let shape = c.inputTypes[0].shape
        return [try b.slice(c.grad, start: low, end: shape.indices.map { low[$0] + shape[$0] })]
    }

    public static func reference(_ inputs: [HostTensor], _ node: Node) throws -> HostTensor {
        let low = try node.attributes.ints("low")
        var out = HostTensor(repeating: try node.attributes.float("value", default: 0), node.type)
        let inStrides = inputs[0].strides
        for i in 0..<inputs[0].count {
            let coords = Shape.coordinates(of: i, strides: inStrides)
            out[zip(coords, low).map { $0 + $1 }] = inputs[0].data[i]
        }
        return out
    }

    public static func kernel(_ node: Node, _ inputTypes: [TensorType], _ buffers: KernelBuffers,
                              _ context: KernelContext) throws -> KernelThunk? {
        let value = try node.attributes.float("value", default: 0)
        let copy = BoxCopy(extent: inputTypes[0].shape, srcShape: inputTypes[0].shape,
                           srcOffset: [Int](repeating: 0, count: node.type.rank), dstShape: node.type.shape,
                           dstOffset: try node.attributes.ints("low"), elementSize: node.type.dtype.byteSize)
        let x = buffers.inputs[0], y = buffers.output, count = node.type.count, dtype = node.type.dtype
        return {
            fill(y, count: count, value: value, dtype: dtype)
            copy.run(x, y)
        }
    }

    public static func flops(_ node: Node, _ inputTypes: [TensorType]) -> Double { 0 }
}

extension GraphBuilder {
    public mutating func pad(_ x: ValueID, low: [Int], high: [Int], value: Double = 0) throws(ShapeError) -> ValueID {
        try apply(Pad.self, [x], ["low": .ints(low), "high": .ints(high), "value": .float(value)])
    }
}
