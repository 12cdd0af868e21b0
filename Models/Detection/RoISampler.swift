// detectron2's label_and_sample_proposals (StandardROIHeads / Res5ROIHeads) on static shapes: the ground-truth
// boxes are appended to the detached proposals, every candidate is matched to the ground truth (IoU ≥ 0.5
// foreground, no low-quality matches), `roisPerImage` are sampled with at most 25 % foreground, and the sample is
// compacted into fixed slots per image: foreground first, then background, then padding. Because the sampler
// never takes more than F = ⌊roisPerImage · 0.25⌋ positives, slots [0, F) of each image hold every foreground RoI,
// which is all the mask branch needs to look at.

import Kiln

/// The RoIs of one training step, `roisPerImage` slots per image.
public struct SampledRoIs {
    /// (N, S, 4) RoI boxes.
    public var boxes: Tensor
    /// (N, S) f32: 1 for sampled RoIs, 0 for padding.
    public var valid: Tensor
    /// (N, S) f32: 1 for foreground RoIs.
    public var foreground: Tensor
    /// (N, S) i32 classification targets: the matched class for foreground, `classes` (background) otherwise.
    public var classes: Tensor
    /// (N, S) i32 matched ground-truth row over all images (image · G + row), meaningful for foreground.
    public var matchedGT: Tensor
    /// (N, S, 4) box regression targets (weights 10, 10, 5, 5) towards the matched ground truth.
    public var regressionTargets: Tensor

    public init(boxes: Tensor, valid: Tensor, foreground: Tensor, classes: Tensor, matchedGT: Tensor, regressionTargets: Tensor) {
        self.boxes = boxes
        self.valid = valid
        self.foreground = foreground
        self.classes = classes
        self.matchedGT = matchedGT
        self.regressionTargets = regressionTargets
    }

    /// Slots [0, count) of every image, flattened to (N · count, …).
    public func leading(_ count: Int) -> (boxes: Tensor, foreground: Tensor, classes: Tensor, matchedGT: Tensor) {
        let n = boxes.shape[0]
        return (boxes.slice(axis: 1, 0..<count).reshaped([n * count, 4]), foreground.slice(axis: 1, 0..<count).reshaped([n * count]),
                classes.slice(axis: 1, 0..<count).reshaped([n * count]), matchedGT.slice(axis: 1, 0..<count).reshaped([n * count]))
    }
}

public enum RoISampler {
    /// detectron2's ROI_BOX_HEAD.BBOX_REG_WEIGHTS.
    public static let boxWeights: [Double] = [10, 10, 5, 5]

    /// Samples training RoIs from proposals plus the ground truth (boxes (N, G, 4), labels (N, G), counts (N)).
    public static func sample(_ proposals: Proposals, boxes: Tensor, labels: Tensor, counts: Tensor,
                       settings: MaskRCNNSettings) -> SampledRoIs {
        let n = boxes.shape[0], g = boxes.shape[1], s = settings.roisPerImage
        let t = boxes.tracer
        var candidates = Tensor.concat([proposals.boxes, boxes], axis: 1)
        var usable = Tensor.concat([proposals.valid, ClassMasks.validRows(counts: counts, capacity: g)], axis: 1).cast(.f32)
        if candidates.shape[1] < s {
            // Fewer candidates than slots: unusable empty boxes make up the difference, so the slots stay fixed.
            let missing = s - candidates.shape[1]
            candidates = candidates.padded(low: [0, 0, 0], high: [0, missing, 0])
            usable = usable.padded(low: [0, 0], high: [0, missing])
        }
        let k = candidates.shape[1]
        let (matched, matchLabels) = candidates.boxIoU(boxes).matched(gtCount: counts, thresholds: [0.5], labels: [0, 1],
                                                                      allowLowQualityMatches: false, flatIndices: true)
        let candidateLabels = Tensor.select(usable.greater(t.scalar(0.5)), matchLabels, t.scalar(-1, .i32))
        let sampled = candidateLabels.sampledLabels(num: s, positiveFraction: settings.roiPositiveFraction,
                                                    seed: t.nextSeed(), counter: t.stepCounter)
        // Slot order key: 2 foreground, 1 background, 0 not sampled; top-k breaks ties by the lower index.
        let key = (sampled + t.scalar(1, .i32)).cast(.f32)
        let (slotKey, slot) = key.topK(s)
        let valid = slotKey.greater(t.scalar(0)).cast(.f32)
        let isForeground = slotKey.greater(t.scalar(1.5))
        let foreground = isForeground.cast(.f32)
        let roiBoxes = candidates.reshaped([n * k, 4]).gather(slot, axis: 0)
        let matchedGT = matched.reshaped([n * k]).gather(slot, axis: 0)
        let gtClasses = labels.reshaped([n * g]).gather(matchedGT, axis: 0)
        let classes = Tensor.select(isForeground, gtClasses, t.scalar(Double(settings.classes), .i32))
        let gtBoxes = boxes.reshaped([n * g, 4]).gather(matchedGT, axis: 0)
        // Background and padding slots may pair empty boxes (non-finite deltas); a zero weight would not hide a NaN.
        let targets = Tensor.select(isForeground.reshaped([n, s, 1]), roiBoxes.boxDeltas(to: gtBoxes, weights: boxWeights),
                                    t.scalar(0))
        return SampledRoIs(boxes: roiBoxes, valid: valid, foreground: foreground, classes: classes, matchedGT: matchedGT,
                           regressionTargets: targets)
    }
}
