// Runs a Table1Plan: every stage in order, each in its own folder under the output folder with a stage record
// (StageRecord), so a re-run reuses finished stages and continues an interrupted pre-training or fine-tune from its
// last checkpoint. Data: the training split (DetectionData, the first 90 % of the scenes in file order) is what
// both pre-trainings see (without labels) and what the label fractions are drawn from; every cell is evaluated on
// the same held-out validation images, which no stage trains on. The CLI (`zoo reproduce table1`) only parses
// flags and shows the events.

import Foundation
import Kiln
import KilnData

/// What a run reports while it works.
public enum Table1Event {
    /// Stage `index` (0-based) of `count` begins; `state` says whether it is reused, resumed or run fresh.
    case stageStarted(Table1Stage, index: Int, count: Int, state: StageState)
    case pretrainingStep(PretrainingStepRecord)
    case fineTuneStep(FineTuneStepRecord)
    case evaluationProgress(done: Int, total: Int)
    /// A stage that ran (not a reused one) finished after `seconds`.
    case stageFinished(Table1Stage, seconds: Double)
}

public final class Table1Run {
    public let plan: Table1Plan
    public let out: URL
    public let dataThreads: Int
    /// The training split: pre-training images and the pool the label fractions are drawn from.
    public let training: COCODataset
    /// The held-out images every cell is evaluated on (ground truth as written, as pycocotools reads it).
    public let heldOut: COCODataset
    /// Stages reused from an earlier invocation during `run` (for the report).
    public private(set) var reusedStages = 0
    private let dataIdentity: String

    /// Loads the COCO folder `data` and checks the plan against it (before any work starts).
    public init(_ plan: Table1Plan, data: URL, out: URL, dataThreads: Int = 2) throws {
        let problems = plan.problems()
        guard problems.isEmpty else { throw ExperimentError(problems.joined(separator: "; ")) }
        self.plan = plan
        self.out = out
        self.dataThreads = dataThreads
        training = DetectionData.split(try DetectionData.load(data, forEvaluation: false), .train)
        var validation = DetectionData.split(try DetectionData.load(data, forEvaluation: true), .val)
        if let n = plan.evaluationImages { validation = DetectionData.subset(validation, 0..<n) }
        heldOut = validation
        let dataProblems = plan.problems(trainingImages: training.images.count, heldOutImages: heldOut.images.count)
        guard dataProblems.isEmpty else { throw ExperimentError("\(data.path): " + dataProblems.joined(separator: "; ")) }
        dataIdentity = "\(training.sourceFile): \(training.images.count) training images from id \(training.images.first?.id ?? -1)"
        // Refuse a folder of another configuration now rather than after hours of earlier stages.
        for stage in plan.stages { _ = try StageState.of(folder(stage), inputs: inputs(stage)) }
    }

    public func folder(_ stage: Table1Stage) -> URL { out.appendingPathComponent(stage.folder, isDirectory: true) }

    /// The exported trunk of `method`'s pre-training.
    public func backboneFile(_ method: PretrainingMethod) -> URL {
        folder(.export(method)).appendingPathComponent("backbone.safetensors")
    }

    /// The fine-tuned detector of a cell.
    public func checkpointFile(_ initialization: Table1Initialization, _ fraction: Double) -> URL {
        folder(.fineTune(initialization, fraction)).appendingPathComponent("checkpoint.safetensors")
    }

    /// Everything a stage's output depends on; a stage folder made with other inputs is refused.
    public func inputs(_ stage: Table1Stage) -> [String: String] {
        switch stage {
        case .pretrain(let method):
            return ["pretraining": plan.pretraining(method).json(), "data": dataIdentity]
        case .export(let method):
            return inputs(.pretrain(method)).merging(["export": "query trunk, torchvision names"]) { a, _ in a }
        case .fineTune(let initialization, let fraction):
            var out = ["fine-tune": plan.fineTune(fraction: fraction, dataset: training).json(), "data": dataIdentity]
            out["initialization"] = initialization.method.map { plan.pretraining($0).json() } ?? "random"
            return out
        case .evaluate(let initialization, let fraction):
            return inputs(.fineTune(initialization, fraction)).merging(
                ["evaluation": "\(heldOut.images.count) held-out images from id \(heldOut.images.first?.id ?? -1)"]) { a, _ in a }
        }
    }

    /// Runs (or reuses) every stage and returns the table's numbers.
    public func run(onEvent: (Table1Event) throws -> Void = { _ in }) throws -> Table1Results {
        let stages = plan.stages
        reusedStages = 0
        var results = Table1Results(plan: plan)
        results.evaluatedImages = heldOut.images.count
        for fraction in plan.fractions {
            results.trainingImages[fraction] = training.subset(fraction: fraction, seed: plan.seed).images.count
        }
        for (index, stage) in stages.enumerated() {
            let dir = folder(stage)
            let stageInputs = inputs(stage)
            let state = try StageState.of(dir, inputs: stageInputs)
            try onEvent(.stageStarted(stage, index: index, count: stages.count, state: state))
            var record: StageRecord
            if case .finished(let done) = state {
                record = done
                reusedStages += 1
            } else {
                if state == .fresh { try StageRecord(stage: stage.folder, inputs: stageInputs).write(dir) }
                let started = Date()
                let scores = try execute(stage, in: dir, resume: state == .interrupted, onEvent: onEvent)
                record = StageRecord(stage: stage.folder, inputs: stageInputs, finished: true,
                                     seconds: Date().timeIntervalSince(started), scores: scores)
                try record.write(dir)
                try onEvent(.stageFinished(stage, seconds: record.seconds))
            }
            results.stageSeconds[stage.folder] = record.seconds
            if case .evaluate(let initialization, let fraction) = stage {
                guard let scores = record.scores else {
                    throw ExperimentError("\(dir.appendingPathComponent(StageRecord.fileName).path) holds no scores; delete \(dir.path) to evaluate again")
                }
                results.scores[initialization, default: [:]][fraction] = scores
            }
        }
        return results
    }

    /// Does the work of one stage in `dir`; returns the scores of an evaluation.
    private func execute(_ stage: Table1Stage, in dir: URL, resume: Bool,
                         onEvent: (Table1Event) throws -> Void) throws -> DetectionScores? {
        switch stage {
        case .pretrain(let method):
            try pretrain(method, in: dir, resume: resume, onEvent: onEvent)
        case .export(let method):
            try BackboneExport.export(from: folder(.pretrain(method)).appendingPathComponent("checkpoint.safetensors"),
                                      to: backboneFile(method))
        case .fineTune(let initialization, let fraction):
            try fineTune(initialization, fraction, in: dir, resume: resume, onEvent: onEvent)
        case .evaluate(let initialization, let fraction):
            return try evaluate(initialization, fraction, in: dir, onEvent: onEvent)
        }
        return nil
    }

    private func pretrain(_ method: PretrainingMethod, in dir: URL, resume: Bool, onEvent: (Table1Event) throws -> Void) throws {
        let hasCheckpoint = FileManager.default.fileExists(atPath: dir.appendingPathComponent("checkpoint.safetensors").path)
        let run = try PretrainingRun(plan.pretraining(method), source: training, out: dir, resume: resume && hasCheckpoint,
                                     dataThreads: dataThreads)
        try run.run { try onEvent(.pretrainingStep($0)) }
    }

    private func fineTune(_ initialization: Table1Initialization, _ fraction: Double, in dir: URL, resume: Bool,
                          onEvent: (Table1Event) throws -> Void) throws {
        let c = plan.fineTune(fraction: fraction, dataset: training)
        let detector = try DetectorFactory.make(c)
        // As `zoo finetune --backbone`: loaded before the run initialises the rest (initialisation keeps loaded
        // values); a resumed run then restores everything from its checkpoint.
        if let method = initialization.method { try BackboneWeights.load(backboneFile(method), into: detector.backbone) }
        let hasCheckpoint = FileManager.default.fileExists(atPath: dir.appendingPathComponent("checkpoint.safetensors").path)
        let run = try FineTuneRun(c, detector: detector, dataset: training, backbone: nil, out: dir,
                                  resume: resume && hasCheckpoint, dataThreads: dataThreads)
        try run.run { try onEvent(.fineTuneStep($0)) }
    }

    private func evaluate(_ initialization: Table1Initialization, _ fraction: Double, in dir: URL,
                          onEvent: (Table1Event) throws -> Void) throws -> DetectionScores {
        // From the checkpoint, as `zoo eval detector` does, so a reused fine-tune is evaluated the same way.
        let (c, detector) = try DetectorCheckpoint.load(checkpointFile(initialization, fraction))
        let inference = try DetectorInference(detector, configuration: c, batch: c.batch)
        var progressError: Error?
        let evaluation = try DetectorEvaluation.evaluate(inference, on: heldOut,
                                                         resultsFile: dir.appendingPathComponent("coco_instances_results.json")) { done, total in
            do { try onEvent(.evaluationProgress(done: done, total: total)) } catch { progressError = error }
        }
        if let progressError { throw progressError }
        try Data(evaluation.jsonValue.serialized(pretty: true).utf8).write(to: dir.appendingPathComponent("eval.json"), options: .atomic)
        return DetectionScores(evaluation)
    }
}
