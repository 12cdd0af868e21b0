// Overlap measures with pycocotools' conventions (`maskUtils.iou`): boxes are [x, y, w, h] in continuous
// coordinates; against a crowd ground truth the denominator is the detection's own area, so a detection lying
// inside a crowd region scores 1 no matter how large the region is.

/// Box and mask IoU helpers shared by datasets, detectors and the COCO evaluator.
public enum IoU {
    /// IoU of two [x, y, w, h] boxes; with `crowd` the union is replaced by the area of `detection`.
    public static func box(_ detection: [Double], _ groundTruth: [Double], crowd: Bool = false) -> Double {
        precondition(detection.count == 4 && groundTruth.count == 4, "IoU.box: boxes are [x, y, w, h]")
        let iw = min(detection[0] + detection[2], groundTruth[0] + groundTruth[2]) - max(detection[0], groundTruth[0])
        let ih = min(detection[1] + detection[3], groundTruth[1] + groundTruth[3]) - max(detection[1], groundTruth[1])
        guard iw > 0, ih > 0 else { return 0 }
        let intersection = iw * ih
        let detectionArea = detection[2] * detection[3]
        let union = crowd ? detectionArea : detectionArea + groundTruth[2] * groundTruth[3] - intersection
        return union > 0 ? intersection / union : 0
    }

    /// IoU of two masks; with `crowd` the union is replaced by the area of `detection`. Masks of different
    /// sizes give -1, as in pycocotools.
    public static func mask(_ detection: RLE, _ groundTruth: RLE, crowd: Bool = false) -> Double {
        guard detection.height == groundTruth.height, detection.width == groundTruth.width else { return -1 }
        let intersection = Double(RLE.intersectionArea(detection, groundTruth))
        let union = crowd ? Double(detection.area)
            : Double(detection.area) + Double(groundTruth.area) - intersection
        return union > 0 ? intersection / union : 0
    }

    /// Matrix `[d][g]` of box IoUs between detections and ground truths (pycocotools `iou` layout).
    public static func boxes(_ detections: [[Double]], _ groundTruths: [[Double]], crowd: [Bool]) -> [[Double]] {
        detections.map { d in groundTruths.indices.map { box(d, groundTruths[$0], crowd: crowd[$0]) } }
    }

    /// Matrix `[d][g]` of mask IoUs between detections and ground truths.
    public static func masks(_ detections: [RLE], _ groundTruths: [RLE], crowd: [Bool]) -> [[Double]] {
        detections.map { d in groundTruths.indices.map { mask(d, groundTruths[$0], crowd: crowd[$0]) } }
    }
}
