// detectron2's RPN (StandardRPNHead + RPN, detco-spec §3.3, §3.4, §3.7) on static shapes: a head shared over the
// feature levels, anchors per level, the training losses (matching IoU ≥ 0.7 / < 0.3 with low-quality matches,
// 256 sampled anchors per image, half positive, BCE + L1 normalised by 256·N) and proposals (decode, per-level
// top-k, clip, drop empty boxes, NMS 0.7 batched over levels, a fixed number per image with a validity mask).
// Proposals carry no gradient, as in detectron2.

import Kiln

/// One feature map the RPN runs on.
public struct RPNLevel {
    public var features: Tensor
    public var stride: Int
    public var anchorSizes: [Double]

    public init(features: Tensor, stride: Int, anchorSizes: [Double]) {
        self.features = features
        self.stride = stride
        self.anchorSizes = anchorSizes
    }
}

/// The RPN's predictions over all levels, rows in (level, y, x, anchor) order like the anchors.
public struct RPNPredictions {
    /// (N, R) objectness logits.
    public var logits: Tensor
    /// (N, R, 4) anchor deltas (weights 1, 1, 1, 1).
    public var deltas: Tensor
    /// (R, 4) anchors.
    public var anchors: Tensor
    /// Anchors per level, in order.
    public var levelCounts: [Int]
}

/// Fixed-capacity proposals per image.
public struct Proposals {
    /// (N, P, 4) boxes in canvas pixels, best first; rows past the valid ones are arbitrary.
    public var boxes: Tensor
    /// (N, P) bool.
    public var valid: Tensor

    public init(boxes: Tensor, valid: Tensor) {
        self.boxes = boxes
        self.valid = valid
    }
}

/// 3×3 conv + ReLU, then 1×1 objectness (A) and 1×1 deltas (4A), shared by every level; weights N(0, 0.01).
public final class RPNHead: Layer, ChildNaming {
    public let conv: Conv2d
    public let objectness: Conv2d
    public let deltas: Conv2d
    public let anchorsPerCell: Int

    public init(channels: Int, anchorsPerCell: Int) {
        func layer(_ cout: Int, _ k: Int) -> Conv2d {
            Conv2d(channels, cout, kernelSize: k, padding: k / 2, weightInitializer: .normal(mean: 0, std: 0.01), biasInitializer: .zeros)
        }
        conv = layer(channels, 3)
        objectness = layer(anchorsPerCell, 1)
        deltas = layer(4 * anchorsPerCell, 1)
        self.anchorsPerCell = anchorsPerCell
    }

    public var namedChildren: [(String, Any)] { [("conv", conv), ("objectness_logits", objectness), ("anchor_deltas", deltas)] }

    /// (N, H, W, C) → logits (N, H·W·A) and deltas (N, H·W·A, 4).
    public func forward(_ x: Tensor) -> (Tensor, Tensor) {
        let t = conv(x).relu()
        let n = x.shape[0], cells = x.shape[1] * x.shape[2] * anchorsPerCell
        return (objectness(t).reshaped([n, cells]), deltas(t).reshaped([n, cells, 4]))
    }
}

public final class RegionProposalNetwork: Layer, ChildNaming {
    public let head: RPNHead
    public let settings: MaskRCNNSettings

    public init(channels: Int, anchorsPerCell: Int, settings: MaskRCNNSettings) {
        head = RPNHead(channels: channels, anchorsPerCell: anchorsPerCell)
        self.settings = settings
    }

    public var namedChildren: [(String, Any)] { [("rpn_head", head)] }

    /// Head outputs on every level, concatenated, with the matching anchors.
    public func forward(_ levels: [RPNLevel]) -> RPNPredictions {
        var logits: [Tensor] = [], deltas: [Tensor] = [], anchorLevels: [AnchorLevel] = [], counts: [Int] = []
        for level in levels {
            let (l, d) = head(level.features)
            logits.append(l)
            deltas.append(d)
            counts.append(l.shape[1])
            anchorLevels.append(AnchorLevel(featureSize: [level.features.shape[1], level.features.shape[2]],
                                            stride: Double(level.stride), sizes: level.anchorSizes))
        }
        let tracer = logits[0].tracer
        let anchors = tracer.anchors(anchorLevels, aspectRatios: settings.aspectRatios)
        let one = logits.count == 1
        return RPNPredictions(logits: one ? logits[0] : Tensor.concat(logits, axis: 1),
                              deltas: one ? deltas[0] : Tensor.concat(deltas, axis: 1), anchors: anchors, levelCounts: counts)
    }

    /// loss_rpn_cls and loss_rpn_loc against padded ground truth (boxes (N, G, 4), counts (N)).
    public func losses(_ p: RPNPredictions, boxes: Tensor, counts: Tensor) -> (objectness: Tensor, localization: Tensor) {
        let n = boxes.shape[0], g = boxes.shape[1]
        let (matched, labels) = p.anchors.boxIoU(boxes).matched(gtCount: counts, thresholds: [0.3, 0.7], labels: [0, -1, 1],
                                                                allowLowQualityMatches: true, flatIndices: true)
        let tracer = boxes.tracer
        let sampled = labels.sampledLabels(num: settings.rpnBatchPerImage, positiveFraction: settings.rpnPositiveFraction,
                                           seed: tracer.nextSeed(), counter: tracer.stepCounter)
        let zero = tracer.scalar(0, .i32)
        let valid = sampled.greaterEqual(zero).cast(.f32)
        let isForeground = sampled.greater(zero)
        let foreground = isForeground.cast(.f32)
        let matchedBoxes = boxes.reshaped([n * g, 4]).gather(matched, axis: 0)
        // Anchors of an image without ground truth pair with a padded (empty) box: non-finite deltas, weight 0.
        let perAnchor = isForeground.reshaped(isForeground.shape + [1])
        let targets = Tensor.select(perAnchor, p.anchors.boxDeltas(to: matchedBoxes), tracer.scalar(0))
        let normalizer = 1.0 / Double(settings.rpnBatchPerImage * n)
        let objectness = p.logits.binaryCrossEntropyWithLogits(targets: foreground, weights: valid) * normalizer
        let localization = p.deltas.smoothL1Loss(targets, beta: 0, weights: perAnchor.cast(.f32)) * normalizer
        return (objectness, localization)
    }

    /// detectron2's find_top_rpn_proposals: per level the `preNMS` best anchors (all when fewer), decoded and
    /// clipped to the canvas, empty boxes dropped, NMS (batched over levels), the best `postNMS` kept per image.
    public func proposals(_ p: RPNPredictions, training: Bool) -> Proposals {
        let preNMS = training ? settings.preNMSTrain : settings.preNMSTest
        let postNMS = training ? settings.postNMSTrain : settings.postNMSTest
        let logits = p.logits.detached(), n = logits.shape[0]
        let decoded = p.anchors.boxesFromDeltas(p.deltas.detached())
        var scores: [Tensor] = [], boxes: [Tensor] = [], levelIDs: [Double] = []
        var start = 0
        for (level, count) in p.levelCounts.enumerated() {
            let k = min(preNMS, count)
            let levelLogits = p.levelCounts.count == 1 ? logits : logits.slice(axis: 1, start..<(start + count))
            let levelBoxes = p.levelCounts.count == 1 ? decoded : decoded.slice(axis: 1, start..<(start + count))
            let (top, index) = levelLogits.topK(k)
            scores.append(top)
            boxes.append(levelBoxes.reshaped([n * count, 4]).gather(index, axis: 0))
            levelIDs += [Double](repeating: Double(level), count: k)
            start += count
        }
        let candidates = BoxGeometry.clip(boxes.count == 1 ? boxes[0] : Tensor.concat(boxes, axis: 1), canvas: settings.canvas)
        var candidateScores = scores.count == 1 ? scores[0] : Tensor.concat(scores, axis: 1)
        let total = candidateScores.shape[1]
        let tracer = logits.tracer
        let keepable = BoxGeometry.nonEmpty(candidates)
        candidateScores = Tensor.select(keepable, candidateScores, tracer.scalar(-.infinity))
        let classes = p.levelCounts.count == 1 ? nil
            : tracer.constant(levelIDs, TensorType(.i32, [1, total])).broadcast(to: [n, total])
        let kept = candidates.nonMaxSuppression(scores: candidateScores, classes: classes, iouThreshold: settings.rpnNMSThreshold,
                                                maxOutputs: postNMS, scoreThreshold: -.infinity)
        let valid = kept.greaterEqual(tracer.scalar(0, .i32))
        return Proposals(boxes: candidates.reshaped([n * total, 4]).gather(kept, axis: 0), valid: valid)
    }
}
