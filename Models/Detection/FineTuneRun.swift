// A detection fine-tuning run: a COCO dataset (label fraction applied), fixed-shape detection batches, one compiled
// train step (losses, backward, SGD), detectron2's warm-up + multi-step schedule, metrics, loss plot, atomic
// checkpoints and bit-exact resumption. The detector itself is passed in (RetinaNet, Mask R-CNN C4/FPN).

import Foundation
import Kiln
import KilnData

public struct FineTuneStepRecord {
    public var iteration: Int
    public var totalIterations: Int
    public var losses: [String: Double]
    public var learningRate: Double
    public var imagesPerSecond: Double
}

public final class FineTuneRun {
    public static let imagesInput = "images", boxesInput = "boxes", labelsInput = "labels", countsInput = "counts", masksInput = "masks"

    public let configuration: FineTuneConfiguration
    public let detector: any Detector
    public let step: TrainStep
    public let dataset: COCODataset
    public let out: URL?
    public private(set) var nextIteration = 0
    private let loader: DataLoader<DetectionBatch>
    private let metrics: MetricsLog?

    public var checkpointURL: URL? { out?.appendingPathComponent("checkpoint.safetensors") }

    /// - Parameters:
    ///   - backbone: torchvision-named ResNet weights (a `zoo export backbone` file) to start from; nil keeps the
    ///     random initialisation.
    public init(_ configuration: FineTuneConfiguration, detector: any Detector, dataset: COCODataset, backbone: URL?,
                out: URL?, resume: Bool, dataThreads: Int = 2) throws {
        let problems = configuration.problems()
        guard problems.isEmpty else { throw FineTuneError(problems.joined(separator: "; ")) }
        self.configuration = configuration
        self.detector = detector
        self.out = out
        self.dataset = configuration.fraction < 1 ? dataset.subset(fraction: configuration.fraction, seed: configuration.seed) : dataset
        try detector.initialize(seed: configuration.seed)
        if let backbone { try Checkpoint.load(backbone, into: detector.backbone, strict: false) }
        step = try TrainStep(try FineTuneRun.trace(detector, configuration))
        let transform = DetectionTransform(shortSides: configuration.shortSides, maxSize: configuration.canvas, flip: true)
        var loaderConfiguration = DataLoaderConfiguration(sampleCount: self.dataset.images.count, batchSize: configuration.batch,
                                                          seed: configuration.seed)
        loaderConfiguration.threads = dataThreads
        loader = try DataLoader.detection(dataset: self.dataset, transform: transform, maxInstances: configuration.maxInstances,
                                          withMasks: detector.predictsMasks,
                                          canvas: (configuration.canvas, configuration.canvas), configuration: loaderConfiguration)
        var resumedAt: Int?
        if resume {
            guard let url = out?.appendingPathComponent("checkpoint.safetensors"), FileManager.default.fileExists(atPath: url.path) else {
                throw FineTuneError("--resume needs --out DIR holding checkpoint.safetensors")
            }
            let metadata = try TrainingCheckpoint.restore(step.compiled, from: url)
            guard metadata["configuration"] == configuration.json() else {
                throw FineTuneError("\(url.path): was written by a run with a different configuration; resume with the same flags")
            }
            guard let done = metadata["iteration"].flatMap(Int.init) else { throw FineTuneError("\(url.path): metadata field 'iteration' is missing") }
            nextIteration = done
            resumedAt = done
        }
        metrics = try out.map { try MetricsLog(directory: $0, resumingAfter: resumedAt) }
        let perEpoch = max(loader.batchesPerEpoch, 1)
        loader.start(epoch: nextIteration / perEpoch)
        for _ in 0..<(nextIteration % perEpoch) { _ = try loader.next() }
    }

    /// The traced train step of `detector` on batches of this configuration.
    public static func trace(_ detector: any Detector, _ c: FineTuneConfiguration) throws -> TrainStep.TracedStep {
        let n = c.batch, g = c.maxInstances, s = c.canvas
        var inputs: [(String, TensorType)] = [
            (imagesInput, TensorType(.f32, [n, s, s, 3])), (boxesInput, TensorType(.f32, [n, g, 4])),
            (labelsInput, TensorType(.i32, [n, g])), (countsInput, TensorType(.i32, [n])),
        ]
        if detector.predictsMasks { inputs.append((masksInput, TensorType(.bool, [n, g, s, s]))) }
        let optimizer = SGD(momentum: c.momentum, weightDecay: c.weightDecay)
        return try TrainStep.trace(models: [detector], inputs: inputs, optimizer: optimizer) { _, x in
            detector.losses(DetectionInputs(images: x[imagesInput]!, boxes: x[boxesInput]!, labels: x[labelsInput]!,
                                            counts: x[countsInput]!, masks: x[masksInput].map { $0.cast(.f32) }))
        }
    }

    /// Copies a loader batch into the step's inputs.
    static func feed(_ b: DetectionBatch, _ exe: Executable) throws {
        try exe.setInput(imagesInput, floats: UnsafeBufferPointer(b.images.storage))
        try exe.setInput(boxesInput, floats: UnsafeBufferPointer(b.boxes.storage))
        for (name, buffer) in [(labelsInput, b.labels), (countsInput, b.counts)] {
            if let p = exe.inputBuffer(name) { p.copyMemory(from: UnsafeRawPointer(buffer.storage.baseAddress!), byteCount: buffer.storage.count * 4) }
        }
        if let masks = b.masks, let p = exe.inputBuffer(masksInput) {
            p.copyMemory(from: UnsafeRawPointer(masks.storage.baseAddress!), byteCount: masks.storage.count)
        }
    }

    /// Runs the remaining iterations, calling `onStep` after each.
    public func run(onStep: (FineTuneStepRecord) throws -> Void = { _ in }) throws {
        let c = configuration
        let schedule = MultiStepSchedule(base: c.learningRate, milestones: c.milestones, gamma: 0.1,
                                         warmupSteps: c.warmupIterations, warmupFactor: 0.001)
        let exe = step.executable
        let perEpoch = max(loader.batchesPerEpoch, 1)
        while nextIteration < c.iterations {
            let i = nextIteration
            if i > 0 && i % perEpoch == 0 { loader.start(epoch: i / perEpoch) }
            let started = Date()
            guard let batch = try loader.next() else { throw FineTuneError("the data loader ran out of batches") }
            try FineTuneRun.feed(batch, exe)
            let lr = schedule.rate(at: i)
            let losses = try step.run(learningRate: lr)
            if let bad = losses.first(where: { !$0.value.isFinite }) {
                let last = checkpointURL.map { " The last good checkpoint is \($0.path)." } ?? ""
                throw FineTuneError("\(bad.key) became \(bad.value) at iteration \(i + 1); stopping without saving it.\(last)")
            }
            nextIteration = i + 1
            let rate = Double(c.batch) / Date().timeIntervalSince(started)
            var record = losses
            record["step"] = Double(i + 1)
            record["lr"] = lr
            record["images_per_s"] = rate
            metrics?.append(record)
            try onStep(FineTuneStepRecord(iteration: i + 1, totalIterations: c.iterations, losses: losses, learningRate: lr,
                                          imagesPerSecond: rate))
            if nextIteration % c.checkpointEvery == 0 || nextIteration == c.iterations { try saveCheckpoint() }
        }
        try metrics?.plot(title: "\(c.kind.rawValue) ResNet-\(c.depth), \(Int(c.fraction * 100))% labels")
    }

    public func saveCheckpoint() throws {
        guard let url = checkpointURL else { return }
        try TrainingCheckpoint.save(step.compiled, metadata: [
            "format": "pt", "kiln": "detector-checkpoint", "iteration": String(nextIteration),
            "configuration": configuration.json(),
        ], to: url)
    }
}
