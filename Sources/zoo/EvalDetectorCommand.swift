// `zoo eval detector CKPT [--data DIR] [--split val|train|all] [--results FILE] [--batch B] [--images N] [--json]`:
// COCO AP of a fine-tuned detector checkpoint (`zoo finetune`) on a COCO folder or the demo scenes. By default it
// evaluates the held-out split that `zoo finetune` did not train on. Writes the COCO results file and prints AP,
// AP50, AP75, APs, APm, APl for boxes (and masks for detectors that predict them), or one JSON object.

import ArgumentParser
import Foundation
import KilnData
import KilnZoo

struct EvalDetectorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "detector",
        abstract: "COCO AP of a fine-tuned detector checkpoint.",
        discussion: """
            --split picks the images of annotations.json: val (the last 10 % in file order, held out by \
            `zoo finetune`), train (the rest) or all. Ground-truth boxes are used as written (pycocotools).
            """)

    @Argument(help: "A checkpoint written by `zoo finetune`.") var checkpoint: String
    @Option(help: "COCO folder (annotations.json + images); default: the demo scenes.") var data: String?
    @Option(help: "Images to evaluate: val, train or all.") var split: String = "val"
    @Option(help: "COCO results file to write (default: coco_instances_results.json beside the checkpoint).") var results: String?
    @Option(help: "Inference batch size (default: the training batch).") var batch: Int?
    @Option(help: "Evaluate only the first N images of the split.") var images: Int?
    @Flag(help: "Print one JSON object instead of the table.") var json = false

    func run() throws {
        guard let part = DetectionData.Split(rawValue: split) else { throw UsageError("--split must be val, train or all") }
        let checkpointURL = URL(fileURLWithPath: checkpoint)
        let loaded = try DetectorCheckpoint.load(checkpointURL)
        var c = loaded.configuration
        if let batch {
            guard batch > 0 else { throw UsageError("--batch must be positive") }
            c.batch = batch
        }
        var dataset = DetectionData.split(try DetectionData.load(try DetectionData.directory(data), forEvaluation: true), part)
        if let images { dataset = DetectionData.subset(dataset, 0..<max(0, images)) }
        guard !dataset.images.isEmpty else { throw UsageError("the \(split) split has no images") }
        guard dataset.categories.count == c.classes else {
            throw UsageError("the checkpoint predicts \(c.classes) classes but \(dataset.sourceFile) has \(dataset.categories.count) categories")
        }
        let resultsURL = results.map { URL(fileURLWithPath: $0) }
            ?? checkpointURL.deletingLastPathComponent().appendingPathComponent("coco_instances_results.json")
        let evaluation = try DetectorEvaluator.evaluate(loaded.detector, c, on: dataset, resultsFile: resultsURL)
        if json {
            print(evaluation.jsonValue.serialized())
        } else {
            print("\(c.kind.rawValue) ResNet-\(c.depth) on \(evaluation.images) images of \(dataset.sourceFile) (\(split)); "
                  + "\(evaluation.results.detections.count) detections written to \(resultsURL.path)")
            print(evaluation.table)
        }
    }
}
