// `zoo eval coco --gt GT.json --dt RESULTS.json [--iou bbox|segm] [--pool-categories] [--json]`: COCO detection
// metrics with pycocotools' COCOeval semantics (KilnData's COCOEvaluator). Prints pycocotools' 12 summary lines,
// or one JSON object with keys AP, AP50, AP75, APs, APm, APl, AR1, AR10, AR100, ARs, ARm, ARl (values in [0, 1],
// −1 where undefined, as pycocotools reports them).

import ArgumentParser
import Foundation
import KilnData

/// `zoo eval coco`: AP/AR of a results file against a COCO ground truth.
struct EvalCocoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "coco",
        abstract: "COCO box or mask AP/AR of a results file, computed as pycocotools' COCOeval does.",
        discussion: """
            GT.json is a COCO instances file (boxes are used as written). RESULTS.json is a list of \
            {image_id, category_id, bbox [x, y, w, h], score} objects, with an RLE `segmentation` for --iou segm \
            (box-only results are evaluated as box-shaped masks, as in pycocotools).
            """)

    /// The overlap used for matching.
    enum IoU: String, CaseIterable, ExpressibleByArgument {
        case bbox, segm
    }

    @Option(help: "COCO ground-truth JSON.")
    var gt: String

    @Option(help: "Detection results JSON (a list of detections).")
    var dt: String

    @Option(help: "Overlap used for matching: bbox or segm.")
    var iou: IoU = .bbox

    @Flag(help: "Pool all categories into one (pycocotools useCats = 0).")
    var poolCategories = false

    @Flag(help: "Print one JSON object instead of the 12-line summary.")
    var json = false

    func run() throws {
        let iouType: COCOIoUType = iou == .segm ? .segm : .bbox
        let evaluation = try COCOEvaluator.evaluate(groundTruth: URL(fileURLWithPath: gt), results: URL(fileURLWithPath: dt),
                                                    iouType: iouType, useCategories: !poolCategories)
        let summary = evaluation.summary
        print(json ? summary.jsonValue.serialized() : summary.text)
    }
}
