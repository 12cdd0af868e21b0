// transpose(x) {permutation}: output dimension i is input dimension permutation[i].

import KilnIR
import KilnKernels

public enum Transpose: Op {
    public static let name = "transpose"
    public static let fusion = FusionKind.injective

    public static func inferType(_ inputs: [TensorType], _ attributes: Attributes) throws -> TensorType {
        try expectArity(inputs, 1)
        let perm = try attributes.ints("permutation")
        guard perm.sorted() == Array(0..<inputs[0].rank) else {
            throw shapeError(inputs, "permutation \(perm) is not a permutation of 0..<\(inputs[0].rank)")
        }
        return inputs[0].with(shape: perm.map { inputs[0].shape[$0] })
    }

    public static func vjp(_ c: VJPContext, _ b: inout GraphBuilder) throws -> [ValueID?] {
        let perm = try c.attributes.ints("permutation")
        var inverse = perm
        for (i, p) in perm.enumerated() { inverse[p] = i }
        return [try b.transpose(c.grad, inverse)]
    }

    public static func reference(_ inputs: [HostTensor], _ node: Node) throws -> HostTensor {
        let perm = try node.attributes.ints("permutation")
        let x = inputs[0]
        let inStrides = x.strides
        let outStrides = node.type.strides
        var out = HostTensor(zeros: node.type)
        for i in 0..<out.count {
            var rest = i, src = 0
            for d in perm.indices {
                let c = rest / outStrides[d]
                rest -= c * outStrides[d]
                src += c * inStrides[perm[d]]
            }
            out.data[i] = x.data[src]
        }
        return out
    }

    public static func kernel(_ node: Node, _ inputTypes: [TensorType], _ buffers: KernelBuffers,
                              _ context: KernelContext) throws -> KernelThunk? {
        // The kernel handles up to Transpose.maxRank dimensions; higher ranks run the reference.
        guard inputTypes[0].dtype.byteSize == 4, inputTypes[0].rank <= KilnKernels.Transpose.maxRank else { return nil }
        let perm = try node.attributes.ints("permutation")
        let shape = inputTypes[0].shape
        let x = buffers.input(0), y = buffers.output()
        let pool = context.pool
        return { KilnKernels.Transpose.permute(x: x, shape: shape, permutation: perm, y: y, pool: pool) }
    }

    public static func flops(_ node: Node, _ inputTypes: [TensorType]) -> Double { 0 }
}

extension GraphBuilder {
    public mutating func transpose(_ x: ValueID, _ permutation: [Int]) throws(ShapeError) -> ValueID {
        try apply(Transpose.self, [x], ["permutation": .ints(permutation)])
    }
}
