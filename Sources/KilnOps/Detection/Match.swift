// match(quality, [gt_count]) {thresholds, labels, allow_low_quality, flat}: detectron2's Matcher for every anchor
// (rules in KilnKernels/Detection/AnchorMatching.swift). quality (…, N, G) is anchors × ground truths (e.g.
// box_iou(anchors, gt_boxes)); the optional gt_count (…) (i32/i64) says how many leading GT columns of each
// image are real — padded columns never match, and an image with none gives index 0 and labels[0] (background
// with the usual labels) everywhere. Output (…, N, 2) i32: (matched GT index, label ∈ labels). With `flat`, the
// index counts over all images' GT rows (image · G + index), ready for `gather` on (images · G, …) tensors.
// No gradient.

import KilnIR
import KilnKernels

public enum Match: Op {
    public static let name = "match"
    public static let fusion = FusionKind.opaque

    struct Config {
        var thresholds: [Double]
        var labels: [Int]
        var allowLowQuality, flat: Bool
        var lead: [Int]
        var n, g: Int
        var hasCount: Bool
        var batches: Int { lead.reduce(1, *) }

        init(_ inputs: [TensorType], _ attributes: Attributes) throws {
            guard inputs.count == 1 || inputs.count == 2 else {
                throw Match.shapeError(inputs, "takes the quality matrix and an optional GT count, got \(inputs.count) operands")
            }
            let q = inputs[0]
            guard q.dtype.isFloatingPoint, q.rank >= 2 else { throw Match.shapeError(inputs, "quality must be floating-point (…, N, G)") }
            lead = Array(q.shape.dropLast(2))
            (n, g) = (q.shape[q.rank - 2], q.shape[q.rank - 1])
            hasCount = inputs.count == 2
            if hasCount { try DetectionShapes.integer(inputs[1], shape: lead, "gt_count", op: Match.name, inputs: inputs) }
            thresholds = try attributes.floats("thresholds")
            labels = try attributes.ints("labels")
            allowLowQuality = try attributes.bool("allow_low_quality", default: false)
            flat = try attributes.bool("flat", default: false)
            guard let first = thresholds.first, first > 0, zip(thresholds, thresholds.dropFirst()).allSatisfy({ $0 <= $1 }) else {
                throw Match.shapeError(inputs, "thresholds \(thresholds) must be ascending and start above 0")
            }
            guard labels.count == thresholds.count + 1, labels.allSatisfy({ [-1, 0, 1].contains($0) }) else {
                throw Match.shapeError(inputs, "labels \(labels) must be \(thresholds.count + 1) values in {-1, 0, 1}")
            }
        }

        /// The number of real GT columns of image b.
        func valid(_ b: Int, _ count: HostTensor?) -> Int { count.map { Int($0.data[b]) } ?? g }
    }

    public static func inferType(_ inputs: [TensorType], _ attributes: Attributes) throws -> TensorType {
        let c = try Config(inputs, attributes)
        return TensorType(.i32, c.lead + [c.n, 2])
    }

    public static func vjp(_ c: VJPContext, _ b: inout GraphBuilder) throws -> [ValueID?] { c.inputs.map { _ in nil } }

    public static func reference(_ inputs: [HostTensor], _ node: Node) throws -> HostTensor {
        inputs[0].dtype == .f32 ? try compute(Float.self, inputs, node) : try compute(Double.self, inputs, node)
    }

    static func compute<T: BinaryFloatingPoint>(_: T.Type, _ inputs: [HostTensor], _ node: Node) throws -> HostTensor {
        let c = try Config(inputs.map(\.type), node.attributes)
        let q = inputs[0].elements(T.self), block = c.n * c.g
        var out: [Double] = []
        out.reserveCapacity(node.type.count)
        for b in 0..<c.batches {
            let pairs = AnchorMatching.naive(quality: Array(q[(b * block)..<((b + 1) * block)]), n: c.n, g: c.g,
                                             valid: c.valid(b, inputs.count > 1 ? inputs[1] : nil),
                                             thresholds: c.thresholds, labels: c.labels, allowLowQuality: c.allowLowQuality)
            for i in 0..<c.n { out += [Double(pairs[2 * i] + (c.flat ? b * c.g : 0)), Double(pairs[2 * i + 1])] }
        }
        return HostTensor(node.type, out)
    }

    public static func scratchBytes(_ node: Node, _ inputTypes: [TensorType]) -> Int {
        inputTypes[0].dtype == .f32 ? Swift.max(AnchorMatching.scratchFloats(gts: inputTypes[0].shape[inputTypes[0].rank - 1]), 1) * 4 : 0
    }

    public static func kernel(_ node: Node, _ inputTypes: [TensorType], _ buffers: KernelBuffers,
                              _ context: KernelContext) throws -> KernelThunk? {
        guard inputTypes[0].dtype == .f32, let columnMax = buffers.scratch(as: Float.self) else { return nil }
        let c = try Config(inputTypes, node.attributes)
        let thresholds = c.thresholds.map { Float($0) }, labels = c.labels.map { Int32($0) }
        let q: UnsafeMutablePointer<Float> = buffers.input(0), y = buffers.output(as: Int32.self)
        let count = c.hasCount ? buffers.inputs[1] : nil, countType = c.hasCount ? inputTypes[1].dtype : .i32
        let pool = context.pool
        return {
            for b in 0..<c.batches {
                let out = y + b * c.n * 2
                AnchorMatching.match(quality: q + b * c.n * c.g, n: c.n, g: c.g, valid: count.map { readIndex($0, countType, b) } ?? c.g,
                                     thresholds: thresholds, labels: labels, allowLowQuality: c.allowLowQuality,
                                     out: out, columnMax: columnMax, pool: pool)
                if c.flat && b > 0 {
                    let shift = Int32(truncatingIfNeeded: b * c.g)
                    for i in 0..<c.n { out[2 * i] += shift }
                }
            }
        }
    }

    public static func flops(_ node: Node, _ inputTypes: [TensorType]) -> Double { Double(inputTypes[0].count) * 2 }
}

extension GraphBuilder {
    /// detectron2's Matcher: per anchor, the matched GT index and its label (1 foreground, 0 background, −1
    /// ignored, as given by `labels` for the intervals between `thresholds`), each shaped (…, N) i32.
    /// - Parameters:
    ///   - quality: (…, N, G) anchors × ground truths
    ///   - gtCount: (…) number of real GT columns per image; nil when all are real
    ///   - flatIndices: index GT rows across images (image · G + index)
    /// RPN: thresholds [0.3, 0.7], labels [0, −1, 1], low-quality matches; RetinaNet: [0.4, 0.5], [0, −1, 1], low-quality
    /// matches; RoI heads: [0.5], [0, 1], none.
    public mutating func match(_ quality: ValueID, gtCount: ValueID? = nil, thresholds: [Double], labels: [Int],
                               allowLowQualityMatches: Bool = false,
                               flatIndices: Bool = false) throws(ShapeError) -> (indices: ValueID, labels: ValueID) {
        let pairs = try apply(Match.self, [quality] + (gtCount.map { [$0] } ?? []),
                              ["thresholds": .floats(thresholds), "labels": .ints(labels),
                               "allow_low_quality": .bool(allowLowQualityMatches), "flat": .bool(flatIndices)])
        let shape = type(of: pairs).shape, rank = shape.count
        let perAnchor = Array(shape.dropLast())
        return (try reshape(try slice(pairs, axis: rank - 1, 0..<1), perAnchor),
                try reshape(try slice(pairs, axis: rank - 1, 1..<2), perAnchor))
    }
}
