// Gradient-check / forward-check cases of the detection ops and losses (appended to `gradCases`, so the
// registry test, the f64 gradient checks and the executor-vs-interpreter comparison all see them). Operands with
// discrete outputs (indices, labels) use quantised values so that ties occur and both paths must break them alike.

import KilnIR
import KilnKernels
import KilnOps

/// Value generators for detection operands.
enum DetectionDraw {
    /// Boxes (x0, y0, x0 + w, y0 + h) with corners in [0, 12) and sides in [1, 8]; every seventh box is all zeros
    /// (a padded slot). Integer operands get class ids in 0..<3.
    static let boxes: @Sendable (Int, TensorType, inout RandomStream) -> [Double] = { _, t, rng in
        if t.dtype.isInteger { return (0..<t.count).map { _ in Double(rng.below(3)) } }
        guard t.shape.last == 4 else { return (0..<t.count).map { _ in rng.uniform(0, 1) } }
        return (0..<(t.count / 4)).flatMap { i -> [Double] in
            if i % 7 == 6 { return [0, 0, 0, 0] }
            let x = rng.uniform(0, 12), y = rng.uniform(0, 12)
            return [x, y, x + rng.uniform(1, 8), y + rng.uniform(1, 8)]
        }
    }

    /// Boxes like `boxes` without padded slots (every box has positive width and height).
    static let solidBoxes: @Sendable (Int, TensorType, inout RandomStream) -> [Double] = { _, t, rng in
        (0..<(t.count / 4)).flatMap { _ -> [Double] in
            let x = rng.uniform(0, 12), y = rng.uniform(0, 12)
            return [x, y, x + rng.uniform(1, 8), y + rng.uniform(1, 8)]
        }
    }

    /// Multiples of 1/8 in [0, 1]: many exact ties.
    static let eighths: @Sendable (Int, TensorType, inout RandomStream) -> [Double] = { _, t, rng in
        (0..<t.count).map { _ in Double(rng.below(9)) / 8 }
    }

    /// Values in [0, 1] (targets of the logistic losses).
    static let unit: @Sendable (Int, TensorType, inout RandomStream) -> [Double] = { _, t, rng in
        (0..<t.count).map { _ in rng.uniform(0, 1) }
    }

    /// Fixed anchors (N, 4) with positive sizes, as constants (they get no gradient).
    static func anchors(_ b: inout GraphBuilder, _ lead: [Int], _ n: Int) -> ValueID {
        let count = lead.reduce(1, *) * n
        let values = (0..<count).flatMap { i -> [Double] in
            let x = Double(i % 5) * 3 + 0.5, y = Double(i % 3) * 4 + 1
            return [x, y, x + 4 + Double(i % 4), y + 3 + Double(i % 2) * 5]
        }
        return b.constant(values: values, f64(lead + [n, 4]))
    }

    /// RoIs (R, 5) exercising the border rules: inside, partly outside, beyond the image, sub-pixel, inverted,
    /// and a batch index out of range.
    static func rois(_ b: inout GraphBuilder) -> ValueID {
        let rows: [[Double]] = [[0, 1.3, 2.1, 9.7, 11.2], [1, -3.0, -2.5, 4.2, 3.1], [1, 10.5, 8.0, 30.0, 21.0],
                                [0, 5.2, 5.4, 5.5, 5.9], [1, 6.0, 7.0, 2.0, 3.0], [3, 1.0, 1.0, 6.0, 6.0],
                                [0, 0.0, 0.0, 17.9, 13.9]]
        return b.constant(values: rows.flatMap { $0 }, f64([rows.count, 5]))
    }
}

let detectionGradCases: [GradCase] = [
    GradCase(name: "anchors", inputs: [], differentiable: false) { b, _ in
        try b.anchors(featureSize: [3, 2], stride: 8, sizes: [16, 40], aspectRatios: [0.5, 1, 2], offset: 0.5, dtype: .f64)
    },
    GradCase(name: "box_decode", inputs: [f64([6, 4])]) { b, x in
        try b.boxDecode(anchors: DetectionDraw.anchors(&b, [], 6), deltas: x[0])
    },
    GradCase(name: "box_decode/class_specific_batched", inputs: [f64([2, 5, 12])]) { b, x in
        try b.boxDecode(anchors: DetectionDraw.anchors(&b, [2], 5), deltas: x[0], weights: [10, 10, 5, 5])
    },
    GradCase(name: "box_decode/clamped", inputs: [f64([2, 6, 8])]) { b, x in
        try b.boxDecode(anchors: DetectionDraw.anchors(&b, [], 6), deltas: x[0], weights: [1, 2, 1, 0.5], clamp: 0.3)
    },
    GradCase(name: "box_encode", inputs: [f64([2, 6, 8])], values: { i, t, rng in
        DetectionDraw.solidBoxes(i, f64([t.count / 4, 4]), &rng)
    }, differentiable: false) { b, x in
        try b.boxEncode(anchors: DetectionDraw.anchors(&b, [], 6), targets: x[0], weights: [10, 10, 5, 5])
    },
    GradCase(name: "box_iou", inputs: [f64([5, 4]), f64([9, 4])], values: DetectionDraw.boxes, differentiable: false) { b, x in
        try b.boxIoU(x[0], x[1])
    },
    GradCase(name: "box_iou/shared_b", inputs: [f64([2, 7, 4]), f64([17, 4])], values: DetectionDraw.boxes, differentiable: false) { b, x in
        try b.boxIoU(x[0], x[1])
    },
    GradCase(name: "match/low_quality_ties", inputs: [f64([2, 11, 5]), i32([2])], values: { i, t, rng in
        i == 1 ? [3, 5] : DetectionDraw.eighths(i, t, &rng)
    }, differentiable: false) { b, x in
        try b.cast(try b.apply(Match.self, x, ["thresholds": .floats([0.3, 0.7]), "labels": .ints([0, -1, 1]),
                                               "allow_low_quality": .bool(true)]), .f64)
    },
    GradCase(name: "match/no_gt_flat", inputs: [f64([3, 9, 4]), i32([3])], values: { i, t, rng in
        i == 1 ? [0, 4, 2] : DetectionDraw.eighths(i, t, &rng)
    }, differentiable: false) { b, x in
        try b.cast(try b.apply(Match.self, x, ["thresholds": .floats([0.5]), "labels": .ints([0, 1]), "flat": .bool(true)]), .f64)
    },
    GradCase(name: "nms/per_class_flat", inputs: [f64([2, 30, 4]), f64([2, 30]), i32([2, 30])], values: { i, t, rng in
        i == 1 ? DetectionDraw.eighths(i, t, &rng) : DetectionDraw.boxes(i, t, &rng)
    }, differentiable: false) { b, x in
        try b.cast(try b.nms(boxes: x[0], scores: x[1], classes: x[2], iouThreshold: 0.3, maxOutputs: 12, flatIndices: true), .f64)
    },
    GradCase(name: "nms/score_threshold", inputs: [f64([23, 4]), f64([23])], values: DetectionDraw.boxes, differentiable: false) { b, x in
        try b.cast(try b.nms(boxes: x[0], scores: x[1], iouThreshold: 0.5, maxOutputs: 30, scoreThreshold: 0.25), .f64)
    },
    GradCase(name: "roi_align/adaptive_aligned", inputs: [f64([2, 7, 9, 3])]) { b, x in
        try b.roiAlign(x[0], rois: DetectionDraw.rois(&b), RoIAlignAttributes(output: [3, 2], spatialScale: 0.5))
    },
    GradCase(name: "roi_align/ratio2_unaligned", inputs: [f64([2, 6, 5, 2])]) { b, x in
        try b.roiAlign(x[0], rois: DetectionDraw.rois(&b),
                       RoIAlignAttributes(output: [2, 3], spatialScale: 0.25, samplingRatio: 2, aligned: false))
    },
    GradCase(name: "roi_align_backward", inputs: [f64([7, 3, 2, 4])]) { b, x in
        try b.roiAlignBackward(x[0], rois: DetectionDraw.rois(&b), featureShape: [2, 7, 9, 4],
                               RoIAlignAttributes(output: [3, 2], spatialScale: 0.5))
    },
    GradCase(name: "sample_labels", inputs: [i32([2, 40]), i32([])], values: { i, t, rng in
        i == 1 ? [7] : (0..<t.count).map { _ in Double(rng.below(10) < 2 ? 1 : rng.below(4) == 0 ? -1 : 0) }
    }, differentiable: false) { b, x in
        try b.cast(try b.sampleLabels(x[0], num: 12, positiveFraction: 0.25, seed: 5, counter: x[1]), .f64)
    },
    GradCase(name: "top_k/ties", inputs: [f64([3, 37])], values: DetectionDraw.eighths, differentiable: false) { b, x in
        try b.cast(try b.apply(TopK.self, x, ["k": .int(11)]), .f64)
    },
    GradCase(name: "top_k/flat", inputs: [f64([2, 3, 19])], values: DetectionDraw.eighths, differentiable: false) { b, x in
        try b.cast(try b.apply(TopK.self, x, ["k": .int(19), "flat": .bool(true)]), .f64)
    },
    // Compositions.
    GradCase(name: "composite:top_k_values", inputs: [f64([3, 13])], values: Draw.distinct) { b, x in
        try b.topK(x[0], k: 4).values
    },
    GradCase(name: "composite:mask_targets", inputs: [f64([3, 9, 11]), f64([4, 4])], values: { i, t, rng in
        i == 0 ? (0..<t.count).map { _ in rng.bernoulli(0.5) ? 1 : 0 } : DetectionDraw.boxes(i, t, &rng)
    }, differentiable: false) { b, x in
        try b.maskTargets(masks: x[0], gtIndex: b.constant(values: [2, 0, 1, 2], i32([4])), boxes: x[1], size: 5)
    },
    GradCase(name: "composite:sigmoid_focal_loss", inputs: [f64([4, 5]), f64([4, 5])], values: { i, t, rng in
        i == 1 ? DetectionDraw.unit(i, t, &rng) : (0..<t.count).map { _ in rng.uniform(-3, 3) }
    }) { b, x in try b.sigmoidFocalLoss(logits: x[0], targets: x[1]) },
    GradCase(name: "composite:sigmoid_focal_loss/gamma1.5_weighted_mean", inputs: [f64([3, 4]), f64([3, 4]), f64([3, 1])],
             values: { i, t, rng in i == 0 ? (0..<t.count).map { _ in rng.uniform(-3, 3) } : DetectionDraw.unit(i, t, &rng) }) { b, x in
        try b.sigmoidFocalLoss(logits: x[0], targets: x[1], alpha: 0.4, gamma: 1.5, weights: x[2], reduction: .mean)
    },
    GradCase(name: "composite:smooth_l1_loss/beta", inputs: [f64([3, 4]), f64([3, 4]), f64([3, 4])], values: { i, t, rng in
        (0..<t.count).map { _ in i == 2 ? rng.uniform(0, 1) : rng.uniform(-1, 1) }
    }) { b, x in try b.smoothL1Loss(x[0], x[1], beta: 0.3, weights: x[2]) },
    GradCase(name: "composite:smooth_l1_loss/l1", inputs: [f64([5, 4]), f64([5, 4])]) { b, x in
        try b.smoothL1Loss(x[0], x[1], beta: 0)
    },
    GradCase(name: "composite:binary_cross_entropy_with_logits", inputs: [f64([2, 3, 4]), f64([2, 3, 4])], values: { i, t, rng in
        i == 1 ? DetectionDraw.unit(i, t, &rng) : (0..<t.count).map { _ in rng.uniform(-4, 4) }
    }) { b, x in try b.binaryCrossEntropyWithLogits(logits: x[0], targets: x[1]) },
]
