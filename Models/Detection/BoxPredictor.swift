// detectron2's FastRCNNOutputLayers for both Mask R-CNN variants: a classifier over C + 1 classes (background
// last) and class-specific box deltas (C·4, weights 10, 10, 5, 5). Losses: mean cross-entropy over the sampled
// RoIs and L1 on the foreground RoIs' own-class deltas divided by the number of sampled RoIs (detco-spec §3.7).
// Inference: softmax scores, per-class decoding and clipping, score > threshold, per-class NMS, a fixed
// number of detections per image (padding: score 0, class −1).

import Kiln

public final class BoxPredictor: Layer, ChildNaming {
    public let classScore: Linear
    public let boxDeltas: Linear
    public let classes: Int

    /// Weights N(0, 0.01) for the classifier and N(0, 0.001) for the deltas, zero biases (detectron2).
    public init(inputs: Int, classes: Int) {
        classScore = Linear(inputs, classes + 1, weightInitializer: .normal(mean: 0, std: 0.01), biasInitializer: .zeros)
        boxDeltas = Linear(inputs, 4 * classes, weightInitializer: .normal(mean: 0, std: 0.001), biasInitializer: .zeros)
        self.classes = classes
    }

    public var namedChildren: [(String, Any)] { [("cls_score", classScore), ("bbox_pred", boxDeltas)] }

    /// (R, D) → class logits (R, C + 1) and deltas (R, 4C).
    public func forward(_ x: Tensor) -> (Tensor, Tensor) { (classScore(x), boxDeltas(x)) }

    /// loss_cls and loss_box_reg of the sampled RoIs (N·S rows of logits and deltas, in slot order).
    public func losses(logits: Tensor, deltas: Tensor, rois: SampledRoIs) -> (classification: Tensor, regression: Tensor) {
        let r = logits.shape[0]
        let valid = rois.valid.reshaped([r]), classTargets = rois.classes.reshaped([r])
        let sampledCount = valid.sum()
        let crossEntropy = -(logits.logSoftmax(axis: -1) * ClassMasks.oneHot(classTargets, count: classes + 1)).sum(axes: [1])
        let classification = ClassMasks.mean((crossEntropy * valid).sum(), count: sampledCount)
        // Background rows select no column; foreground rows their class's four deltas.
        let ownClass = (deltas.reshaped([r, classes, 4]) * ClassMasks.oneHot(classTargets, count: classes).reshaped([r, classes, 1]))
            .sum(axes: [1])
        let l1 = ownClass.smoothL1Loss(rois.regressionTargets.reshaped([r, 4]), beta: 0, weights: rois.foreground.reshaped([r, 1]))
        return (classification, ClassMasks.mean(l1, count: sampledCount))
    }

    /// Detections from the logits and deltas of proposals (N, P): boxes clipped to the canvas.
    public func inference(logits: Tensor, deltas: Tensor, proposals: Proposals, settings: MaskRCNNSettings) -> Detections {
        let n = proposals.boxes.shape[0], p = proposals.boxes.shape[1], c = classes, t = logits.tracer
        let probabilities = logits.softmax(axis: -1).slice(axis: 1, 0..<c).reshaped([n, p, c])
        let scores = Tensor.select(proposals.valid.reshaped([n, p, 1]), probabilities, t.scalar(0)).reshaped([n, p * c])
        let decoded = proposals.boxes.boxesFromDeltas(deltas.reshaped([n, p, 4 * c]), weights: RoISampler.boxWeights)
        let boxes = BoxGeometry.clip(decoded.reshaped([n, p * c, 4]), canvas: settings.canvas)
        let classIDs = t.constant((0..<(p * c)).map { Double($0 % c) }, TensorType(.i32, [1, p * c])).broadcast(to: [n, p * c])
        let kept = boxes.nonMaxSuppression(scores: scores, classes: classIDs, iouThreshold: settings.nmsThreshold,
                                           maxOutputs: settings.detectionsPerImage, scoreThreshold: settings.scoreThreshold)
        let found = kept.greaterEqual(t.scalar(0, .i32))
        let d = settings.detectionsPerImage
        return Detections(
            boxes: Tensor.select(found.reshaped([n, d, 1]), boxes.reshaped([n * p * c, 4]).gather(kept, axis: 0), t.scalar(0)),
            scores: Tensor.select(found, scores.reshaped([n * p * c]).gather(kept, axis: 0), t.scalar(0)),
            classes: Tensor.select(found, classIDs.reshaped([n * p * c]).gather(kept, axis: 0), t.scalar(-1, .i32)))
    }
}
