// `zoo finetune retinanet|maskrcnn-fpn|maskrcnn-c4`: detectron2-style detection fine-tuning (detco-spec §3) on a
// COCO folder or the built-in demo scenes, from a pre-trained backbone or from scratch. Trains on the split's
// train images (DetectionData: the last 10 % in file order are held out), with a progress bar, metrics.jsonl,
// loss.png, checkpoints and --resume (FineTuneRun), then evaluates on the held-out images: the AP table is printed
// and written to eval.json, the detections to coco_instances_results.json.

import ArgumentParser
import Foundation
import Kiln
import KilnData
import KilnZoo

struct FinetuneCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "finetune",
        abstract: "Fine-tune a detector (RetinaNet, Mask R-CNN FPN or C4) and evaluate it (COCO AP).",
        discussion: """
            Data: --data DIR holds annotations.json (COCO instances) and its images; without it the built-in \
            fashion scenes are used (10,000 scenes of 96×96, generated once and cached). The last 10 % of the \
            images (file order) are held out for the final evaluation. Schedules are detectron2's (12k, 1x, 2x) \
            times --scale; --iters sets the length directly.
            """)

    @Argument(help: "Detector: \(DetectorKind.allCases.map(\.rawValue).joined(separator: ", ")).") var kind: String
    @Option(help: "Pre-trained trunk: a torchvision-named ResNet or a `zoo train detco|mocov2` checkpoint (its query encoder).") var backbone: String?
    @Option(help: "COCO folder (annotations.json + images); default: the demo scenes.") var data: String?
    @Option(help: "Fraction of the training images used (1%, 10% … protocols).") var fraction = 1.0
    @Option(help: "Iterations (overrides the schedule's length, milestones scale along).") var iters: Int?
    @Option(help: "detectron2 schedule: 12k, 1x or 2x (multiplied by --scale).") var schedule: String?
    @Option(help: "Multiplier of the --schedule lengths (e.g. 0.01).") var scale = 1.0
    @Option(help: "Images per step (learning rate scales linearly from 16).") var batch = 4
    @Option(help: "Base learning rate per 16 images (default: detectron2's, 0.02 for Mask R-CNN, 0.01 for RetinaNet).") var lr: Double?
    @Option(help: "ResNet depth: 18, 34, 50 or 101.") var depth = 18
    @Option(help: "Output folder (default runs/finetune-KIND).") var out: String?
    @Flag(help: "Continue the run saved in --out from its last checkpoint.") var resume = false
    @Option(help: "Write a checkpoint every N iterations (and at the end).") var checkpointEvery: Int?
    @Option(help: "Random seed (initialisation, data order, augmentation).") var seed: UInt64 = 0
    @Option(help: "Evaluate at most this many held-out images (default: all).") var evalImages: Int?
    @Flag(help: "Skip the final evaluation.") var noEval = false
    @Option(help: "Data-loader threads.") var dataThreads = 2

    func run() throws {
        guard let detectorKind = DetectorKind(rawValue: kind) else {
            throw UsageError("unknown detector '\(kind)' (\(DetectorKind.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        let directory = try DetectionData.directory(data)
        if data == nil { FileHandle.standardError.write(Data("using the built-in fashion scenes at \(directory.path)\n".utf8)) }
        let training = DetectionData.split(try DetectionData.load(directory, forEvaluation: false), .train)
        var c = FineTuneConfiguration(kind: detectorKind)
        c.depth = depth
        c.batch = batch
        c.fraction = fraction
        c.seed = seed
        if let lr {
            guard lr > 0, lr.isFinite else { throw UsageError("--lr must be a positive number") }
            c.baseLearningRate = lr
        }
        c.classes = training.categories.count
        c.classNames = training.categoryIDsByLabel.compactMap { id in training.categories.first { $0.id == id }?.name }
        if let schedule { try c.apply(schedule: schedule, scale: scale) }
        if let iters {
            guard iters > 0 else { throw UsageError("--iters must be positive") }
            c.set(iterations: iters)
        }
        if let checkpointEvery {
            guard checkpointEvery > 0 else { throw UsageError("--checkpoint-every must be positive") }
            c.checkpointEvery = checkpointEvery
        }
        for problem in c.problems() { throw UsageError(problem) }
        let outURL = URL(fileURLWithPath: out ?? "runs/finetune-\(detectorKind.rawValue)", isDirectory: true)

        let detector = try DetectorFactory.make(c)
        if let backbone {
            // Loaded before the run initialises the rest of the model (initialisation keeps loaded values).
            let prefix = try BackboneWeights.load(URL(fileURLWithPath: backbone), into: detector.backbone)
            print("backbone weights from \(backbone)" + (prefix.isEmpty ? "" : " (the '\(prefix)' encoder)"))
        }
        let run = try FineTuneRun(c, detector: detector, dataset: training, backbone: nil, out: outURL, resume: resume,
                                  dataThreads: dataThreads)
        print("\(detectorKind.rawValue) ResNet-\(c.depth), \(run.dataset.images.count) training images "
              + "(\(Int((c.fraction * 100).rounded())) %), batch \(c.batch), canvas \(c.canvas), \(c.iterations) iterations "
              + "(steps at \(c.milestones.map(String.init).joined(separator: ", "))), lr \(c.learningRate), out \(outURL.path)"
              + (run.nextIteration > 0 ? ", resuming after iteration \(run.nextIteration)" : ""))
        let bar = ProgressBar(total: c.iterations)
        try run.run { r in
            let terms = r.losses.keys.filter { $0.hasPrefix("loss_") }.sorted()
                .map { String(format: "%@ %.4f", String($0.dropFirst(5)), r.losses[$0] ?? .nan) }.joined(separator: " ")
            bar.update(r.iteration, String(format: "loss %.4f ", r.losses["loss"] ?? .nan) + terms
                       + String(format: " lr %.5f %.1f img/s", r.learningRate, r.imagesPerSecond))
        }
        print("checkpoint \(outURL.appendingPathComponent("checkpoint.safetensors").path), metrics "
              + "\(outURL.appendingPathComponent("metrics.jsonl").path), plot \(outURL.appendingPathComponent("loss.png").path)")
        guard !noEval else { return }

        run.step.syncParameters()
        var validation = DetectionData.split(try DetectionData.load(directory, forEvaluation: true), .val)
        if let evalImages { validation = DetectionData.subset(validation, 0..<max(0, evalImages)) }
        guard !validation.images.isEmpty else { throw UsageError("no held-out images to evaluate (the dataset is too small)") }
        let evaluation = try DetectorEvaluator.evaluate(detector, c, on: validation,
                                                        resultsFile: outURL.appendingPathComponent("coco_instances_results.json"))
        print("evaluation on \(evaluation.images) held-out images (\(String(format: "%.1f", evaluation.inferenceSeconds)) s):")
        print(evaluation.table)
        let evalFile = outURL.appendingPathComponent("eval.json")
        try Data(evaluation.jsonValue.serialized(pretty: true).utf8).write(to: evalFile, options: .atomic)
        print("wrote \(evalFile.path) and \(outURL.appendingPathComponent("coco_instances_results.json").path)")
    }
}

/// Evaluation with a progress bar, shared by `zoo finetune` and `zoo eval detector`.
enum DetectorEvaluator {
    static func evaluate(_ detector: any Detector, _ c: FineTuneConfiguration, on dataset: COCODataset,
                         resultsFile: URL?) throws -> DetectorEvaluationResult {
        let inference = try DetectorInference(detector, configuration: c, batch: c.batch)
        let bar = ProgressBar(total: dataset.images.count)
        return try DetectorEvaluation.evaluate(inference, on: dataset, resultsFile: resultsFile) { done, _ in
            bar.update(done, "evaluating")
        }
    }
}
