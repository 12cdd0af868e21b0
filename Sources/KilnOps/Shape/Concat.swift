// concat(x0, x1, ...) {axis}: joins operands along one axis; all other dimensions must agree.

import KilnIR

public enum Concat: Op {
    public static let name = "concat"
    public static let fusion = FusionKind.injective

    public static func inferType(_ inputs: [TensorType], _ attributes: Attributes) throws -> TensorType {
        guard let first = inputs.first else { throw shapeError(inputs, "needs at least one operand") }
        let a = try attributes.int("axis")
        guard first.rank > 0, let axis = Shape.axis(a, rank: first.rank) else { throw shapeError(inputs, "axis \(a) is out of range") }
        var shape = first.shape
        for t in inputs.dropFirst() {
            guard t.dtype == first.dtype, t.rank == first.rank,
                  t.shape.indices.allSatisfy({ $0 == axis || t.shape[$0] == first.shape[$0] }) else {
                throw shapeError(inputs, "operands must agree in type and in every dimension but \(axis)")
            }
            shape[axis] += t.shape[axis]
        }
        return first.with(shape: shape)
    }

    static func axis(_ node: Node) throws -> Int { Shape.axis(try node.attributes.int("axis"), rank: node.type.rank) ?? 0 }

    public static func vjp(_ c: VJPContext, _ b: inout GraphBuilder) throws -> [ValueID?] {
        let axis = try axis(c.node)
        var offset = 0
        var grads: [ValueID?] = []
        for (i, t) in c.inputTypes.enumerated() {
            grads.append(c.wants[i] ? try b.slice(c.grad, axis: axis, offset..<(offset + t.shape[axis])) : nil)
            offset += t.shape[axis]
        }
        return grads
    }

    public static func reference(_ inputs: [HostTensor], _ node: Node) throws -> HostTensor {
        let axis = try axis(node)
        var out = HostTensor(zeros: node.type)
        var offset = 0
        for x in inputs {
            let strides = x.strides
            for i in 0..<x.count {
                var coords = Shape.coordinates(of: i, strides: strides)
                coords[axis] += offset
                out[coords] = x.data[i]
            }
            offset += x.shape[axis]
        }
        return out
    }

    public static func kernel(_ node: Node, _ inputTypes: [TensorType], _ buffers: KernelBuffers,
                              _ context: KernelContext) throws -> KernelThunk? {
        let axis = try axis(node)
        var copies: [BoxCopy] = []
        var offset = 0
        for t in inputTypes {
            var dstOffset = [Int](repeating: 0, count: t.rank)
            dstOffset[axis] = offset
            copies.append(BoxCopy(extent: t.shape, srcShape: t.shape, srcOffset: [Int](repeating: 0, count: t.rank),
                                  dstShape: node.type.shape, dstOffset: dstOffset, elementSize: t.dtype.byteSize))
            offset += t.shape[axis]
        }
        let xs = buffers.inputs, y = buffers.output
        return { for i in copies.indices { copies[i].run(xs[i], y) } }
    }

    public static func flops(_ node: Node, _ inputTypes: [TensorType]) -> Double { 0 }
}

extension GraphBuilder {
    public mutating func concat(_ xs: [ValueID], axis: Int) throws(ShapeError) -> ValueID {
        try apply(Concat.self, xs, ["axis": .int(axis)])
    }
}
