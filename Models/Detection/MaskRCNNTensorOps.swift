// The detection primitives Mask R-CNN needs beyond DetectionTensorOps.swift, as DSL methods: label sampling,
// RoIAlign, mask targets and the binary cross-entropy loss (docs/ops-detection.md gives their semantics).

import Kiln

extension Tensor {
    /// detectron2's subsample_labels on every row of these i32 labels (…, N): 1 / 0 for the sampled foreground /
    /// background entries, −1 elsewhere. `counter` (the step counter) makes every step draw afresh.
    public func sampledLabels(num: Int, positiveFraction: Double, seed: Int, counter: Tensor?) -> Tensor {
        record(nil, "", 0) { b in
            try b.sampleLabels(id, num: num, positiveFraction: positiveFraction, seed: seed, counter: counter?.id)
        }
    }

    /// RoIAlign of these NHWC features (N, H, W, C) at rois (R, 5) = (batch index, x0, y0, x1, y1) → (R, h, w, C).
    /// A roi whose batch index is out of range gives zeros (and no gradient) without sampling.
    public func roiAlign(rois: Tensor, _ attributes: RoIAlignAttributes) -> Tensor {
        let out = [rois.shape.first ?? 0] + attributes.output + [shape.last ?? 0]
        return record(type.with(shape: out), "", 0) { b in try b.roiAlign(id, rois: rois.id, attributes) }
    }

    /// Mask R-CNN targets from these full-canvas masks (G, H, W) f32: each RoI's matched mask (`gtIndex` (R,))
    /// cropped and resized into its box (`boxes` (R, 4)) at size × size by ROIAlignV2, thresholded at 0.5.
    public func maskTargets(gtIndex: Tensor, boxes: Tensor, size: Int) -> Tensor {
        record(type.with(shape: [gtIndex.shape.first ?? 0, size, size]), "", 0) { b in
            try b.maskTargets(masks: id, gtIndex: gtIndex.id, boxes: boxes.id, size: size)
        }
    }

    /// Binary cross-entropy of these logits against `targets` (same shape), weighted elementwise, summed.
    public func binaryCrossEntropyWithLogits(targets: Tensor, weights: Tensor?) -> Tensor {
        record(TensorType(dtype, []), "", 0) { b in
            try b.binaryCrossEntropyWithLogits(logits: id, targets: targets.id, weights: weights?.id, reduction: .sum)
        }
    }
}
