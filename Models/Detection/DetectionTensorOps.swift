// The detection primitives of KilnOps (docs/ops-detection.md) as methods of the DSL's Tensor, so detectors are
// written like the rest of the zoo. Each method records one builder call; ops that produce two values (match)
// are split into two tensors. Shapes follow the ops: leading dimensions are images, and a tensor without them
// (anchors) is shared by every image.

import Kiln

extension Tensor {
    /// Pairwise IoU of boxes (…, N, 4) with `other` (…, M, 4) → (…, N, M).
    public func boxIoU(_ other: Tensor) -> Tensor {
        record(nil, "", 0) { b in try b.boxIoU(id, other.id) }
    }

    /// Box2BoxTransform.get_deltas from these anchors (…, N, 4) to `targets` (…, N, 4).
    public func boxDeltas(to targets: Tensor, weights: [Double] = [1, 1, 1, 1]) -> Tensor {
        record(targets.type, "", 0) { b in try b.boxEncode(anchors: id, targets: targets.id, weights: weights) }
    }

    /// Box2BoxTransform.apply_deltas: boxes from `deltas` (…, N, 4) relative to these anchors (…, N, 4) or (N, 4).
    public func boxesFromDeltas(_ deltas: Tensor, weights: [Double] = [1, 1, 1, 1]) -> Tensor {
        record(deltas.type, "", 0) { b in try b.boxDecode(anchors: id, deltas: deltas.id, weights: weights) }
    }

    /// detectron2's Matcher on this quality matrix (…, N anchors, G ground truths): per anchor the matched GT
    /// index (i32, over all images when `flatIndices`) and its label (i32: 1 foreground, 0 background, −1 ignored).
    public func matched(gtCount: Tensor?, thresholds: [Double], labels: [Int], allowLowQualityMatches: Bool,
                        flatIndices: Bool) -> (indices: Tensor, labels: Tensor) {
        var labelsID: ValueID?
        let perAnchor = type.with(shape: Array(shape.dropLast())).with(dtype: .i32)
        let indices = record(perAnchor, "", 0) { b in
            let r = try b.match(id, gtCount: gtCount?.id, thresholds: thresholds, labels: labels,
                                allowLowQualityMatches: allowLowQualityMatches, flatIndices: flatIndices)
            labelsID = r.labels
            return r.indices
        }
        let matchLabels = record(perAnchor, "", 0) { _ in
            guard let labelsID else { throw DetectorGraphError("match produced no labels") }
            return labelsID
        }
        return (indices, matchLabels)
    }

    /// The k largest entries of every row of this (…, N) tensor: values (…, k) and i32 indices (…, k) counted
    /// over the whole tensor (row · N + index), descending, ties to the lower index.
    public func topK(_ k: Int) -> (values: Tensor, flatIndices: Tensor) {
        var indicesID: ValueID?
        let rows = type.with(shape: Array(shape.dropLast()) + [k])
        let values = record(rows, "", 0) { b in
            let r = try b.topK(id, k: k, flatIndices: true)
            indicesID = r.indices
            return r.values
        }
        let indices = record(rows.with(dtype: .i32), "", 0) { _ in
            guard let indicesID else { throw DetectorGraphError("top_k produced no indices") }
            return indicesID
        }
        return (values, indices)
    }

    /// Per-image greedy NMS of these boxes (…, N, 4) with `scores` (…, N) and optional `classes` (…, N) i32:
    /// (…, maxOutputs) i32 indices over all images (image · N + index), best first, −1 padded.
    public func nonMaxSuppression(scores: Tensor, classes: Tensor?, iouThreshold: Double, maxOutputs: Int,
                                  scoreThreshold: Double) -> Tensor {
        let result = scores.type.with(shape: Array(scores.shape.dropLast()) + [maxOutputs]).with(dtype: .i32)
        return record(result, "", 0) { b in
            try b.nms(boxes: id, scores: scores.id, classes: classes?.id, iouThreshold: iouThreshold,
                      maxOutputs: maxOutputs, scoreThreshold: scoreThreshold, flatIndices: true)
        }
    }

    /// fvcore's sigmoid focal loss of these logits against `targets` (same shape), weighted elementwise, summed.
    public func sigmoidFocalLoss(targets: Tensor, alpha: Double, gamma: Double, weights: Tensor?) -> Tensor {
        record(TensorType(dtype, []), "", 0) { b in
            try b.sigmoidFocalLoss(logits: id, targets: targets.id, alpha: alpha, gamma: gamma, weights: weights?.id,
                                   reduction: .sum)
        }
    }

    /// fvcore's smooth-L1 loss (β = 0: L1) between this tensor and `target`, weighted elementwise, summed.
    public func smoothL1Loss(_ target: Tensor, beta: Double, weights: Tensor?) -> Tensor {
        record(TensorType(dtype, []), "", 0) { b in
            try b.smoothL1Loss(id, target.id, beta: beta, weights: weights?.id, reduction: .sum)
        }
    }
}

extension Tracer {
    /// detectron2's anchors of several feature maps, concatenated in level order: (Σ H·W·A, 4).
    public func anchors(_ levels: [AnchorLevel], aspectRatios: [Double]) -> Tensor {
        let count = levels.reduce(0) { $0 + $1.featureSize.reduce(1, *) * $1.sizes.count * aspectRatios.count }
        let seed = constant([0], TensorType(.f32, []))
        return seed.record(TensorType(.f32, [count, 4]), "", 0) { b in
            try b.multiLevelAnchors(levels, aspectRatios: aspectRatios)
        }
    }
}

/// A detector graph that could not be built (an internal inconsistency, reported when tracing ends).
public struct DetectorGraphError: Error, CustomStringConvertible {
    public var description: String
    public init(_ message: String) { description = message }
}
