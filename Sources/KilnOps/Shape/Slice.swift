// slice(x) {start, end}: the box start[d] ..< end[d] of every dimension (unit stride).

import KilnIR

public enum Slice: Op {
    public static let name = "slice"
    public static let fusion = FusionKind.injective

    public static func inferType(_ inputs: [TensorType], _ attributes: Attributes) throws -> TensorType {
        try expectArity(inputs, 1)
        let x = inputs[0]
        let start = try attributes.ints("start", count: x.rank), end = try attributes.ints("end", count: x.rank)
        for d in 0..<x.rank where !(0 <= start[d] && start[d] <= end[d] && end[d] <= x.shape[d]) {
            throw shapeError(inputs, "slice \(start[d])..<\(end[d]) of dimension \(d) (size \(x.shape[d])) is out of range")
        }
        return x.with(shape: zip(start, end).map { $1 - $0 })
    }

    public static func vjp(_ c: VJPContext, _ b: inout GraphBuilder) throws -> [ValueID?] {
        let start = try c.attributes.ints("start"), end = try c.attributes.ints("end")
        let high = c.inputTypes[0].shape.indices.map { c.inputTypes[0].shape[$0] - end[$0] }
        return [try b.pad(c.grad, low: start, high: high, value: 0)]
    }

    public static func reference(_ inputs: [HostTensor], _ node: Node) throws -> HostTensor {
        let start = try node.attributes.ints("start")
        var out = HostTensor(zeros: node.type)
        let outStrides = node.type.strides
        for i in 0..<out.count {
            let coords = Shape.coordinates(of: i, strides: outStrides)
            out.data[i] = inputs[0][zip(coords, start).map { $0 + $1 }]
        }
        return out
    }

    public static func kernel(_ node: Node, _ inputTypes: [TensorType], _ buffers: KernelBuffers,
                              _ context: KernelContext) throws -> KernelThunk? {
        let copy = BoxCopy(extent: node.type.shape, srcShape: inputTypes[0].shape,
                           srcOffset: try node.attributes.ints("start"), dstShape: node.type.shape,
                           dstOffset: [Int](repeating: 0, count: node.type.rank), elementSize: node.type.dtype.byteSize)
        let x = buffers.inputs[0], y = buffers.output
        return { copy.run(x, y) }
    }

    public static func flops(_ node: Node, _ inputTypes: [TensorType]) -> Double { 0 }
}

extension GraphBuilder {
    public mutating func slice(_ x: ValueID, start: [Int], end: [Int]) throws(ShapeError) -> ValueID {
        try apply(Slice.self, [x], ["start": .ints(start), "end": .ints(end)])
    }

    /// `x[..., lo..<hi, ...]` along one axis.
    public mutating func slice(_ x: ValueID, axis: Int, _ range: Range<Int>) throws(ShapeError) -> ValueID {
        let shape = type(of: x).shape
        var start = [Int](repeating: 0, count: shape.count), end = shape
        let a = axis < 0 ? axis + shape.count : axis
        if shape.indices.contains(a) {
            start[a] = range.lowerBound
            end[a] = range.upperBound
        }
        return try slice(x, start: start, end: end)
    }
}
