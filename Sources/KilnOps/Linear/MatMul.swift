// matmul(a, b) {transpose_a, transpose_b}: (batched) matrix product op(a) · op(b) over the last two dimensions.
// a is (..., M, K) — (..., K, M) when transposed — and b is (..., K, N) with the same batch dimensions, or a
// plain matrix shared by every batch entry. The fast kernel is one cblas_sgemm per batch entry (or one for all
// entries when b is shared and a is not transposed).

import KilnIR
import KilnKernels

public enum MatMul: Op {
    public static let name = "matmul"
    public static let fusion = FusionKind.epilogueFusable

    struct Dims {
        var batch: Int, m: Int, n: Int, k: Int
        var ta: Bool, tb: Bool
        var sharedB: Bool
    }

    static func dims(_ inputs: [TensorType], _ attributes: Attributes) throws -> Dims {
        try expectArity(inputs, 2)
        let a = inputs[0], b = inputs[1]
        let ta = try attributes.bool("transpose_a", default: false), tb = try attributes.bool("transpose_b", default: false)
        guard a.rank >= 2, b.rank >= 2 else { throw shapeError(inputs, "operands must be at least 2-D") }
        guard a.dtype == b.dtype, a.dtype.isFloatingPoint else { throw shapeError(inputs, "operands must share a floating-point type") }
        let sharedB = b.rank == 2 && a.rank > 2
        guard sharedB || a.shape.dropLast(2) == b.shape.dropLast(2) else {
            throw shapeError(inputs, "batch dimensions \(Array(a.shape.dropLast(2))) and \(Array(b.shape.dropLast(2))) differ")
        }
        let (m, ka) = ta ? (a.shape[a.rank - 1], a.shape[a.rank - 2]) : (a.shape[a.rank - 2], a.shape[a.rank - 1])
        let (kb, n) = tb ? (b.shape[b.rank - 1], b.shape[b.rank - 2]) : (b.shape[b.rank - 2], b.shape[b.rank - 1])
        guard ka == kb else {
            throw shapeError(inputs, "contracting dimensions differ: \(ka) vs \(kb) (transpose_a \(ta), transpose_b \(tb))")
        }
        return Dims(batch: a.shape.dropLast(2).reduce(1, *), m: m, n: n, k: ka, ta: ta, tb: tb, sharedB: sharedB)
    }

    public static func inferType(_ inputs: [TensorType], _ attributes: Attributes) throws -> TensorType {
        let d = try dims(inputs, attributes)
        return inputs[0].with(shape: inputs[0].shape.dropLast(2) + [d.m, d.n])
    }

    public static func vjp(_ c: VJPContext, _ b: inout GraphBuilder) throws -> [ValueID?] {
        let d = try dims(c.inputTypes, c.attributes)
        let a = c.inputs[0], bb = c.inputs[1], g = c.grad
        let da = !c.wants[0] ? nil : d.ta
            ? try b.matmul(bb, g, transposeA: d.tb, transposeB: true)
            : try b.matmul(g, bb, transposeA: false, transposeB: !d.tb)
        var db: ValueID? = nil
        if c.wants[1] {
            if d.sharedB {
                // b is shared across the batch: fold the batch into the rows so dB is one GEMM, not a sum of many.
                let a2 = try b.reshape(a, [-1, c.inputTypes[0].shape.last!])
                let g2 = try b.reshape(g, [-1, d.n])
                db = d.ta ? nil : d.tb
                    ? try b.matmul(g2, a2, transposeA: true, transposeB: false)
                    : try b.matmul(a2, g2, transposeA: true, transposeB: false)
            }
            if db == nil {
                db = d.tb
                    ? try b.matmul(g, a, transposeA: true, transposeB: d.ta)
                    : try b.matmul(a, g, transposeA: !d.ta, transposeB: false)
            }
        }
        return [da, db]
    }

    public static func reference(_ inputs: [HostTensor], _ node: Node) throws -> HostTensor {
        let d = try dims(inputs.map(\.type), node.attributes)
        let a = inputs[0].data, b = inputs[1].data
        var out = HostTensor(zeros: node.type)
        let aStride = d.m * d.k, bStride = d.sharedB ? 0 : d.k * d.n
        for p in 0..<d.batch {
            for i in 0..<d.m {
                for j in 0..<d.n {
                    var s = 0.0
                    for q in 0..<d.k {
                        let av = d.ta ? a[p * aStride + q * d.m + i] : a[p * aStride + i * d.k + q]
                        let bv = d.tb ? b[p * bStride + j * d.k + q] : b[p * bStride + q * d.n + j]
                        s += av * bv
                    }
                    out.data[(p * d.m + i) * d.n + j] = s
                }
            }
        }
        return out
    }

    public static func kernel(_ node: Node, _ inputTypes: [TensorType], _ buffers: KernelBuffers,
                              _ context: KernelContext) throws -> KernelThunk? {
        guard node.type.dtype == .f32 else { return nil }
        let d = try dims(inputTypes, node.attributes)
        let a: UnsafeMutablePointer<Float> = buffers.input(0), b: UnsafeMutablePointer<Float> = buffers.input(1)
        let c: UnsafeMutablePointer<Float> = buffers.output()
        let lda = d.ta ? d.m : d.k, ldb = d.tb ? d.k : d.n
        if d.sharedB && !d.ta {
            let rows = d.batch * d.m
            return { Gemm.sgemm(transA: false, transB: d.tb, m: rows, n: d.n, k: d.k, alpha: 1, a: a, lda: lda,
                                b: b, ldb: ldb, beta: 0, c: c, ldc: d.n) }
        }
        let bStride = d.sharedB ? 0 : d.k * d.n
        return {
            for p in 0..<d.batch {
                Gemm.sgemm(transA: d.ta, transB: d.tb, m: d.m, n: d.n, k: d.k, alpha: 1, a: a + p * d.m * d.k, lda: lda,
                           b: b + p * bStride, ldb: ldb, beta: 0, c: c + p * d.m * d.n, ldc: d.n)
            }
        }
    }

    public static func flops(_ node: Node, _ inputTypes: [TensorType]) -> Double {
        guard let d = try? dims(inputTypes, node.attributes) else { return 0 }
        return 2 * Double(d.batch) * Double(d.m) * Double(d.n) * Double(d.k)
    }
}

extension GraphBuilder {
    public mutating func matmul(_ a: ValueID, _ b: ValueID, transposeA: Bool = false, transposeB: Bool = false) throws(ShapeError) -> ValueID {
        try apply(MatMul.self, [a, b], ["transpose_a": .bool(transposeA), "transpose_b": .bool(transposeB)])
    }
}
