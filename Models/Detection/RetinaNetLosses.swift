// RetinaNet's training losses, detectron2's `RetinaNet.label_anchors` + `losses` on static shapes:
// - every anchor (all levels concatenated, shared by the images) is matched to the padded ground truth of its
//   image by IoU: < 0.4 background, ≥ 0.5 foreground, in between ignored, and each ground truth's best anchors
//   are foreground too (low-quality matches); padded ground-truth rows never match (`counts`);
// - `loss_cls`: sigmoid focal loss (α 0.25, γ 2) summed over the non-ignored anchors and all C classes, the
//   target being the one-hot class of foreground anchors and all-zero for background;
// - `loss_box_reg`: smooth-L1 (β 0 = L1) between predicted and encoded deltas (weights 1, 1, 1, 1), summed over
//   foreground anchors;
// - both divided by the normaliser n ← 0.9·n + 0.1·max(#foreground in the batch, 1), n₀ = 100, a state updated
//   by every step (detectron2 keeps it as a Python attribute; here it is saved with the checkpoint so a resumed
//   run continues bit-exactly).
// Also reported: `num_pos_anchors`, the foreground count per image (detectron2's event-storage scalar).

import Kiln

extension RetinaNet {
    public func losses(_ x: DetectionInputs) -> [String: Tensor] {
        let t = x.images.tracer
        let n = x.images.shape[0], g = x.boxes.shape[1], c = settings.classes
        let levels = pyramid(x.images)
        let outputs = head(levels)
        let logits = Tensor.concat(outputs.map(\.logits), axis: 1)   // (N, A, C)
        let deltas = Tensor.concat(outputs.map(\.deltas), axis: 1)   // (N, A, 4)
        let anchors = t.anchors(anchorLevels(levels), aspectRatios: settings.aspectRatios)   // (A, 4)
        let a = anchors.shape[0]

        let quality = anchors.boxIoU(x.boxes)   // (N, A, G)
        let match = quality.matched(gtCount: x.counts, thresholds: settings.matchThresholds, labels: [0, -1, 1],
                                    allowLowQualityMatches: true, flatIndices: true)
        let matchedBoxes = x.boxes.reshaped([n * g, 4]).gather(match.indices, axis: 0)   // (N, A, 4)
        let matchedClasses = x.labels.reshaped([n * g]).gather(match.indices, axis: 0)   // (N, A) i32

        let zero = t.constant([0], TensorType(.i32, [])), one = t.constant([1], TensorType(.i32, []))
        let foreground = match.labels.equal(one).reshaped([n, a, 1])   // (N, A, 1) bool
        let foregroundWeight = foreground.cast(.f32)
        let notIgnored = match.labels.greaterEqual(zero).cast(.f32).reshaped([n, a, 1])

        let classIDs = t.constant((0..<c).map(Double.init), TensorType(.i32, [c]))
        let classTargets = matchedClasses.reshaped([n, a, 1]).equal(classIDs).cast(.f32) * foregroundWeight   // (N, A, C)
        let classification = logits.sigmoidFocalLoss(targets: classTargets, alpha: settings.focalAlpha,
                                                     gamma: settings.focalGamma, weights: notIgnored)

        // Background anchors regress onto themselves (zero deltas) so that no log(0) of a padded box is formed.
        let targetBoxes = Tensor.select(foreground, matchedBoxes, anchors)
        let targetDeltas = anchors.boxDeltas(to: targetBoxes)
        let regression = deltas.smoothL1Loss(targetDeltas, beta: settings.smoothL1Beta, weights: foregroundWeight)

        let foregroundCount = foregroundWeight.sum()
        let momentum = settings.normalizerMomentum
        let normalizer = (t.value(of: lossNormalizer) * momentum
                          + foregroundCount.maximum(t.constant([1], TensorType(.f32, []))) * (1 - momentum)).detached()
        t.update(lossNormalizer, to: normalizer)
        let cls = classification / normalizer, box = regression / normalizer
        return ["loss": cls + box, "loss_cls": cls, "loss_box_reg": box, "num_pos_anchors": foregroundCount / Double(n)]
    }
}
