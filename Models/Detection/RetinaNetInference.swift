// RetinaNet inference, detectron2's `RetinaNet.inference_single_image` on static shapes, for all images at once:
// per level, the k = min(1000, H·W·A·C) highest class probabilities (sigmoid of the logits) with their anchor and
// class, their boxes decoded from the anchor's deltas; the levels concatenated; class-wise NMS at IoU 0.5 over the
// candidates scoring above 0.05, keeping the best 100. detectron2 thresholds before taking the top k; taking the
// top k first and letting NMS drop the candidates at or below the threshold keeps the same set. Boxes are clipped
// to the canvas (detectron2 clips when it rescales to the original image; evaluation does that step).
// Padding rows: score 0, class −1, box 0.

import Kiln

extension RetinaNet {
    public func detect(_ images: Tensor) -> Detections {
        let t = images.tracer
        let n = images.shape[0], height = images.shape[1], width = images.shape[2], c = settings.classes
        let levels = pyramid(images)
        let outputs = head(levels)
        var boxes: [Tensor] = [], scores: [Tensor] = [], classes: [Tensor] = []
        for (level, (output, anchorLevel)) in zip(outputs, anchorLevels(levels)).enumerated() {
            let positions = output.logits.shape[1]
            let candidates = positions * c
            // Flat candidate indices are converted through f32 below, exact only below 2^24.
            guard n * candidates < 1 << 24 else {
                t.fail(DetectorGraphError("RetinaNet level P\(level + 3): \(n) × \(candidates) candidates exceed the 2^24 index range of the decoder"))
                break
            }
            let k = min(settings.candidatesPerLevel, candidates)
            let probabilities = output.logits.sigmoid().reshaped([n, candidates])
            let (top, flat) = probabilities.topK(k)   // (N, k), flat = image·H·W·A·C + anchor·C + class
            // flat / C = image·H·W·A + anchor (the fraction is ≥ 0.5/C away from an integer), flat mod C = class.
            let flatF = flat.cast(.f32)
            let flatAnchor = ((flatF + 0.5) * (1 / Double(c))).cast(.i32)
            let classOf = (flatF - flatAnchor.cast(.f32) * Double(c)).cast(.i32)
            let anchors = t.anchors([anchorLevel], aspectRatios: settings.aspectRatios)   // (H·W·A, 4)
            let anchorRows = anchors.broadcast(to: [n, positions, 4]).reshaped([n * positions, 4]).gather(flatAnchor, axis: 0)
            let deltaRows = output.deltas.reshaped([n * positions, 4]).gather(flatAnchor, axis: 0)   // (N, k, 4)
            boxes.append(anchorRows.boxesFromDeltas(deltaRows))
            scores.append(top)
            classes.append(classOf)
        }
        let allBoxes = Tensor.concat(boxes, axis: 1), allScores = Tensor.concat(scores, axis: 1)
        let allClasses = Tensor.concat(classes, axis: 1)
        let m = allScores.shape[1], d = settings.detectionsPerImage
        let keep = allBoxes.nonMaxSuppression(scores: allScores, classes: allClasses, iouThreshold: settings.nmsThreshold,
                                              maxOutputs: d, scoreThreshold: settings.scoreThreshold)   // (N, D)
        let kept = keep.greaterEqual(t.constant([0], TensorType(.i32, [])))
        let limits = t.constant([Double(width), Double(height), Double(width), Double(height)], TensorType(.f32, [4]))
        let rawBoxes = allBoxes.reshaped([n * m, 4]).gather(keep, axis: 0)
        let clipped = rawBoxes.maximum(t.constant([0], TensorType(.f32, []))).minimum(limits)
        return Detections(
            boxes: Tensor.select(kept.reshaped([n, d, 1]), clipped, t.constant([0], TensorType(.f32, []))),
            scores: Tensor.select(kept, allScores.reshaped([n * m]).gather(keep, axis: 0), t.constant([0], TensorType(.f32, []))),
            classes: Tensor.select(kept, allClasses.reshaped([n * m]).gather(keep, axis: 0), t.constant([-1], TensorType(.i32, []))))
    }
}
