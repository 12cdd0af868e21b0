// nms(boxes, scores, [classes]) {iou_threshold, max_outputs, score_threshold, flat}: torchvision's nms /
// batched_nms for every image (rules in KilnKernels/Detection/NonMaxSuppression.swift): boxes (…, N, 4), scores
// (…, N), optional classes (…, N) i32 (boxes of different classes never suppress each other; detectron2 passes
// the FPN level here for RPN proposals) → (…, max_outputs) i32 indices of the kept boxes in descending score
// order, −1 padded. Only boxes with score > score_threshold are candidates (default −inf, so a −inf score masks a
// box out). With `flat` the indices count over all images (image · N + index); padding stays −1. No gradient.

import KilnIR
import KilnKernels

public enum NonMaxSuppression: Op {
    public static let name = "nms"
    public static let fusion = FusionKind.opaque

    struct Config {
        var iouThreshold, scoreThreshold: Double
        var maxOutputs: Int
        var flat: Bool
        var lead: [Int]
        var n: Int
        var hasClasses: Bool
        var batches: Int { lead.reduce(1, *) }

        init(_ inputs: [TensorType], _ attributes: Attributes) throws {
            guard inputs.count == 2 || inputs.count == 3 else {
                throw NonMaxSuppression.shapeError(inputs, "takes boxes, scores and optional classes, got \(inputs.count) operands")
            }
            let boxes = try DetectionShapes.rows(inputs[0], width: 4, "boxes", op: NonMaxSuppression.name, inputs: inputs)
            (lead, n) = (boxes.lead, boxes.n)
            guard inputs[1].dtype == inputs[0].dtype, inputs[1].shape == lead + [n] else {
                throw NonMaxSuppression.shapeError(inputs, "scores must be \(inputs[0].dtype)\(lead + [n])")
            }
            hasClasses = inputs.count == 3
            if hasClasses && !(inputs[2].dtype == .i32 && inputs[2].shape == lead + [n]) {
                throw NonMaxSuppression.shapeError(inputs, "classes must be i32\(lead + [n])")
            }
            iouThreshold = try attributes.float("iou_threshold")
            scoreThreshold = try attributes.float("score_threshold", default: -.infinity)
            maxOutputs = try attributes.int("max_outputs")
            flat = try attributes.bool("flat", default: false)
            guard !iouThreshold.isNaN, !scoreThreshold.isNaN else {
                throw NonMaxSuppression.shapeError(inputs, "iou_threshold and score_threshold must be numbers")
            }
            guard maxOutputs >= 1 else { throw NonMaxSuppression.shapeError(inputs, "max_outputs \(maxOutputs) must be positive") }
        }
    }

    public static func inferType(_ inputs: [TensorType], _ attributes: Attributes) throws -> TensorType {
        let c = try Config(inputs, attributes)
        return TensorType(.i32, c.lead + [c.maxOutputs])
    }

    public static func vjp(_ c: VJPContext, _ b: inout GraphBuilder) throws -> [ValueID?] { c.inputs.map { _ in nil } }

    public static func reference(_ inputs: [HostTensor], _ node: Node) throws -> HostTensor {
        inputs[0].dtype == .f32 ? try compute(Float.self, inputs, node) : try compute(Double.self, inputs, node)
    }

    static func compute<T: BinaryFloatingPoint>(_: T.Type, _ inputs: [HostTensor], _ node: Node) throws -> HostTensor {
        let c = try Config(inputs.map(\.type), node.attributes)
        let boxes = inputs[0].elements(T.self), scores = inputs[1].elements(T.self)
        let classes = c.hasClasses ? inputs[2].data.map { Int($0) } : nil
        var out: [Double] = []
        out.reserveCapacity(node.type.count)
        for b in 0..<c.batches {
            let rows = (b * c.n)..<((b + 1) * c.n)
            let keep = KilnKernels.NonMaxSuppression.naive(
                boxes: Array(boxes[(4 * rows.lowerBound)..<(4 * rows.upperBound)]), scores: Array(scores[rows]),
                classes: classes.map { Array($0[rows]) }, iouThreshold: c.iouThreshold,
                scoreThreshold: T(c.scoreThreshold), maxOutputs: c.maxOutputs)
            out += keep.map { Double($0 >= 0 && c.flat ? $0 + b * c.n : $0) }
        }
        return HostTensor(node.type, out)
    }

    public static func scratchBytes(_ node: Node, _ inputTypes: [TensorType]) -> Int {
        guard inputTypes[0].dtype == .f32 else { return 0 }
        return KilnKernels.NonMaxSuppression.scratchBytes(count: inputTypes[1].shape[inputTypes[1].rank - 1],
                                                          maxOutputs: node.type.shape[node.type.rank - 1])
    }

    public static func kernel(_ node: Node, _ inputTypes: [TensorType], _ buffers: KernelBuffers,
                              _ context: KernelContext) throws -> KernelThunk? {
        guard inputTypes[0].dtype == .f32, let scratch = buffers.scratch else { return nil }
        let c = try Config(inputTypes, node.attributes)
        let boxes: UnsafeMutablePointer<Float> = buffers.input(0), scores: UnsafeMutablePointer<Float> = buffers.input(1)
        let classes: UnsafeMutablePointer<Int32>? = c.hasClasses ? buffers.input(2, as: Int32.self) : nil
        let y = buffers.output(as: Int32.self)
        let scoreThreshold = Float(c.scoreThreshold)
        return {
            for b in 0..<c.batches {
                let keep = y + b * c.maxOutputs
                KilnKernels.NonMaxSuppression.run(
                    boxes: boxes + 4 * b * c.n, scores: scores + b * c.n, classes: classes.map { $0 + b * c.n },
                    count: c.n, iouThreshold: c.iouThreshold, scoreThreshold: scoreThreshold, maxOutputs: c.maxOutputs,
                    keep: keep, scratch: scratch)
                if c.flat && b > 0 {
                    let shift = Int32(truncatingIfNeeded: b * c.n)
                    for j in 0..<c.maxOutputs where keep[j] >= 0 { keep[j] += shift }
                }
            }
        }
    }

    public static func flops(_ node: Node, _ inputTypes: [TensorType]) -> Double {
        Double(inputTypes[1].count) * Double(node.type.shape[node.type.rank - 1]) * 10
    }
}

extension GraphBuilder {
    /// Greedy NMS per image: i32 indices (…, maxOutputs) of the kept boxes, best first, −1 padded.
    /// - Parameters:
    ///   - boxes: (…, N, 4); scores: (…, N); classes: optional (…, N) i32 for per-class (batched) NMS
    ///   - scoreThreshold: only boxes scoring above it are candidates
    ///   - flatIndices: index boxes across images (image · N + index)
    public mutating func nms(boxes: ValueID, scores: ValueID, classes: ValueID? = nil, iouThreshold: Double,
                             maxOutputs: Int, scoreThreshold: Double = -.infinity,
                             flatIndices: Bool = false) throws(ShapeError) -> ValueID {
        try apply(NonMaxSuppression.self, [boxes, scores] + (classes.map { [$0] } ?? []),
                  ["iou_threshold": .float(iouThreshold), "max_outputs": .int(maxOutputs),
                   "score_threshold": .float(scoreThreshold), "flat": .bool(flatIndices)])
    }
}
