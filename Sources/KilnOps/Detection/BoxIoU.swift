// box_iou(a, b): pairwise IoU, detectron2's `pairwise_iou` (rule in KilnKernels/Detection/BoxOverlap.swift):
// a (…, N, 4), b (…, M, 4) → (…, N, M), leading (image) dimensions equal or absent on one side. Boxes are
// (x0, y0, x1, y1); IoU is 0 where boxes do not intersect, so padded all-zero boxes match nothing. No gradient
// (detectron2 only uses it for matching, under no_grad).

import KilnIR
import KilnKernels

public enum BoxIoU: Op {
    public static let name = "box_iou"
    public static let fusion = FusionKind.opaque

    struct Layout {
        var lead: [Int]
        var n, m: Int
        var aBatched, bBatched: Bool
        var batches: Int { lead.reduce(1, *) }

        init(_ inputs: [TensorType]) throws {
            try BoxIoU.expectArity(inputs, 2)
            let a = try DetectionShapes.rows(inputs[0], width: 4, "a", op: BoxIoU.name, inputs: inputs)
            let b = try DetectionShapes.rows(inputs[1], width: 4, "b", op: BoxIoU.name, inputs: inputs)
            guard inputs[0].dtype == inputs[1].dtype else { throw BoxIoU.shapeError(inputs, "a and b must have the same element type") }
            lead = try DetectionShapes.commonLead(a.lead, b.lead, op: BoxIoU.name, inputs: inputs)
            (n, m) = (a.n, b.n)
            aBatched = !a.lead.isEmpty || lead.isEmpty
            bBatched = !b.lead.isEmpty || lead.isEmpty
        }
    }

    public static func inferType(_ inputs: [TensorType], _ attributes: Attributes) throws -> TensorType {
        let l = try Layout(inputs)
        return inputs[0].with(shape: l.lead + [l.n, l.m])
    }

    public static func vjp(_ c: VJPContext, _ b: inout GraphBuilder) throws -> [ValueID?] { [nil, nil] }

    public static func reference(_ inputs: [HostTensor], _ node: Node) throws -> HostTensor {
        node.type.dtype == .f32 ? try compute(Float.self, inputs, node) : try compute(Double.self, inputs, node)
    }

    static func compute<T: BinaryFloatingPoint>(_: T.Type, _ inputs: [HostTensor], _ node: Node) throws -> HostTensor {
        let l = try Layout(inputs.map(\.type))
        let a = inputs[0].elements(T.self), b = inputs[1].elements(T.self)
        var out: [Double] = []
        out.reserveCapacity(node.type.count)
        for k in 0..<l.batches {
            let aRows = l.aBatched ? Array(a[(k * l.n * 4)..<((k + 1) * l.n * 4)]) : a
            let bRows = l.bBatched ? Array(b[(k * l.m * 4)..<((k + 1) * l.m * 4)]) : b
            out += BoxOverlap.naivePairwise(aRows, bRows).doubles
        }
        return HostTensor(node.type, out)
    }

    public static func scratchBytes(_ node: Node, _ inputTypes: [TensorType]) -> Int {
        node.type.dtype == .f32 ? Swift.max(BoxOverlap.scratchFloats(m: node.type.shape[node.type.rank - 1]), 1) * 4 : 0
    }

    public static func kernel(_ node: Node, _ inputTypes: [TensorType], _ buffers: KernelBuffers,
                              _ context: KernelContext) throws -> KernelThunk? {
        guard node.type.dtype == .f32, let scratch = buffers.scratch(as: Float.self) else { return nil }
        let l = try Layout(inputTypes)
        let a: UnsafeMutablePointer<Float> = buffers.input(0), b: UnsafeMutablePointer<Float> = buffers.input(1)
        let y: UnsafeMutablePointer<Float> = buffers.output()
        let pool = context.pool
        return {
            for k in 0..<l.batches {
                BoxOverlap.pairwise(a: a + (l.aBatched ? k * l.n * 4 : 0), n: l.n, b: b + (l.bBatched ? k * l.m * 4 : 0),
                                    m: l.m, out: y + k * l.n * l.m, scratch: scratch, pool: pool)
            }
        }
    }

    public static func flops(_ node: Node, _ inputTypes: [TensorType]) -> Double { Double(node.type.count) * 12 }
}

extension GraphBuilder {
    /// Pairwise IoU (…, N, M) of boxes a (…, N, 4) and b (…, M, 4).
    public mutating func boxIoU(_ a: ValueID, _ b: ValueID) throws(ShapeError) -> ValueID {
        try apply(BoxIoU.self, [a, b])
    }
}
