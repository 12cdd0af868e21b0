// COCO evaluation of a detector, as detectron2's COCOEvaluator runs it: inference over every image of a dataset
// (test short side, no flip; DetectorInference), detections written as a COCO results file (contiguous labels
// mapped back to category ids, boxes as [x, y, w, h] in original pixels, masks as RLE), and pycocotools' AP
// computed by KilnData's COCOEvaluator — bbox always, segm when the detections carry masks.

import Foundation
import Kiln
import KilnData

/// AP numbers of one evaluation.
public struct DetectorEvaluationResult: Sendable {
    /// Every detection, in image order then score order (what the results file holds).
    public var results: COCOResults
    public var bbox: COCOEvaluation
    /// Mask AP, when the detections had masks.
    public var segm: COCOEvaluation?
    public var images: Int
    /// Wall-clock seconds of inference (image loading included) and of the AP computation.
    public var inferenceSeconds: Double
    public var evaluationSeconds: Double

    /// The six AP numbers detectron2 reports, ×100.
    public static let reported = ["AP", "AP50", "AP75", "APs", "APm", "APl"]

    /// detectron2's AP table: one row per IoU type, values ×100 (−1 stays "nan" where undefined).
    public var table: String {
        let header = "| type | " + Self.reported.map { $0.padding(toLength: 7, withPad: " ", startingAt: 0) }.joined(separator: " | ") + " |"
        var lines = [header, "|------|" + String(repeating: "---------|", count: Self.reported.count)]
        for (name, evaluation) in [("bbox", bbox), ("segm", segm)] {
            guard let evaluation else { continue }
            let cells = Self.reported.map { key -> String in
                let v = evaluation.summary[key] ?? -1
                return (v < 0 ? "nan" : String(format: "%.3f", v * 100)).padding(toLength: 7, withPad: " ", startingAt: 0)
            }
            lines.append("| \(name) | " + cells.joined(separator: " | ") + " |")
        }
        return lines.joined(separator: "\n")
    }

    /// `{"images": n, "bbox": {AP, AP50, …}, "segm": {…}}` with values in [0, 1] (−1 where undefined).
    public var jsonValue: JSONValue {
        var members: [(String, JSONValue)] = [("images", .int(images)), ("bbox", bbox.summary.jsonValue)]
        if let segm { members.append(("segm", segm.summary.jsonValue)) }
        members.append(("inference_seconds", .number(inferenceSeconds)))
        return .object(members)
    }
}

public enum DetectorEvaluation {
    /// Runs `inference` over every image of `dataset` and evaluates the detections against its annotations.
    /// Load the dataset with `COCOLoadOptions(cleanBoxes: false)` for pycocotools' numbers.
    /// - Parameters:
    ///   - resultsFile: where to write the COCO results JSON (nil: not written).
    ///   - progress: called with (images done, total) after every batch.
    public static func evaluate(_ inference: DetectorInference, on dataset: COCODataset, resultsFile: URL? = nil,
                                progress: (Int, Int) -> Void = { _, _ in }) throws -> DetectorEvaluationResult {
        let started = Date()
        let categoryIDs = dataset.categoryIDsByLabel
        var detections: [COCODetection] = []
        let total = dataset.images.count
        for first in stride(from: 0, to: total, by: inference.batch) {
            let indices = Array(first..<min(first + inference.batch, total))
            let images = try indices.map { try dataset.loadImage(at: $0) }
            let perImage = try inference.detect(images)
            for (index, found) in zip(indices, perImage) {
                let imageID = dataset.images[index].id
                for d in found {
                    guard d.label < categoryIDs.count else {
                        throw FineTuneError("the detector predicted class \(d.label) but \(dataset.sourceFile) has \(categoryIDs.count) categories")
                    }
                    detections.append(COCODetection(imageID: imageID, categoryID: categoryIDs[d.label], score: d.score,
                                                    bbox: d.box.cocoXYWH, segmentation: d.mask.map { RLE(mask: $0) }))
                }
            }
            progress(indices.last.map { $0 + 1 } ?? first, total)
        }
        let inferenceSeconds = Date().timeIntervalSince(started)
        let results = COCOResults(detections: detections)
        if let resultsFile { try results.write(to: resultsFile) }
        // A mask detector gets mask AP even when it found nothing (0, like its box AP), not a missing row.
        return try evaluate(results, against: dataset, images: total, inferenceSeconds: inferenceSeconds,
                            segm: inference.detector.predictsMasks)
    }

    /// AP of already computed detections: bbox, and segm when `segm` says so (by default: when any detection has
    /// a mask).
    public static func evaluate(_ results: COCOResults, against dataset: COCODataset, images: Int? = nil,
                                inferenceSeconds: Double = 0, segm evaluateMasks: Bool? = nil) throws -> DetectorEvaluationResult {
        let started = Date()
        let bbox = try COCOEvaluator(iouType: .bbox).evaluate(groundTruth: dataset, results: results)
        let hasMasks = evaluateMasks ?? results.detections.contains { $0.segmentation != nil }
        let segm = hasMasks ? try COCOEvaluator(iouType: .segm).evaluate(groundTruth: dataset, results: results) : nil
        return DetectorEvaluationResult(results: results, bbox: bbox, segm: segm, images: images ?? dataset.images.count,
                                        inferenceSeconds: inferenceSeconds,
                                        evaluationSeconds: Date().timeIntervalSince(started))
    }
}
