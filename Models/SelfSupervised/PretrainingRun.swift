// A MoCo v2 or DetCo pre-training run: data loader, one compiled step, cosine schedule, metrics, plots,
// checkpoints and bit-exact resumption. The CLI (`zoo train detco|mocov2`) only parses flags and shows progress.

import Foundation
import Kiln
import KilnData

public struct PretrainingStepRecord {
    public var step: Int
    public var totalSteps: Int
    public var epoch: Int
    public var losses: [String: Double]
    public var learningRate: Double
    public var imagesPerSecond: Double
    /// The kNN monitor's top-1 (in [0, 1]) after this step, when it ran.
    public var knnTopOne: Double? = nil
}

public struct PretrainingError: Error, CustomStringConvertible {
    public var description: String
    init(_ message: String) { description = message }
}

public final class PretrainingRun {
    public let configuration: PretrainingConfiguration
    public let model: any Module
    public let step: TrainStep
    public let out: URL?
    /// The step to run next (0-based); > 0 after resuming.
    public private(set) var nextStep = 0
    private let loader: AnyPretrainingLoader
    private let metrics: MetricsLog?
    private let patchSize: Int
    /// Evaluates the query trunk every few steps when the run was made with `knn` settings.
    public let knnMonitor: KNNMonitor?
    /// The monitor's top-1 of the untrained trunk (step 0 of a new run), once `run` has evaluated it.
    public private(set) var initialKNNTopOne: Double?

    public var checkpointURL: URL? { out?.appendingPathComponent("checkpoint.safetensors") }

    /// Builds the model and its step, and resumes from `out/checkpoint.safetensors` when `resume` is set. With `knn`,
    /// a kNN monitor (`KNNMonitor`) logs `knn_top1` to metrics.jsonl and knn.png, also at step 0 of a new run. Every
    /// check that can fail runs before anything in `out` is written.
    public init(_ configuration: PretrainingConfiguration, source: any ImageSource, out: URL?, resume: Bool,
                dataThreads: Int = 2, knn: KNNMonitorSettings? = nil) throws {
        let problems = configuration.problems()
        guard problems.isEmpty else { throw PretrainingError(problems.joined(separator: "; ")) }
        self.configuration = configuration
        self.out = out
        let optimizer = SGD(momentum: configuration.sgdMomentum, weightDecay: configuration.weightDecay)
        var loaderConfiguration = DataLoaderConfiguration(sampleCount: source.count, batchSize: configuration.batch,
                                                          seed: configuration.seed)
        loaderConfiguration.threads = dataThreads
        var views = DetCoViews(size: configuration.size)
        views.global.photometric = configuration.photometric(views.global.photometric)
        views.local.photometric = configuration.photometric(views.local.photometric)
        views.global.crop.scale = configuration.cropScale
        patchSize = views.local.patchSize
        switch configuration.method {
        case .mocov2:
            let m = MoCoV2(configuration.moco)
            try m.initialize(seed: configuration.seed)
            model = m
            step = try TrainStep(try Pretraining.moco(m, batch: configuration.batch, size: configuration.size, optimizer: optimizer))
            loader = .moco(try DataLoader.moco(source: source, augment: views.global, backgrounds: configuration.backgrounds,
                                               configuration: loaderConfiguration))
        case .detco:
            let d = DetCo(configuration.detco)
            try d.initialize(seed: configuration.seed)
            model = d
            step = try TrainStep(try Pretraining.detco(d, batch: configuration.batch, size: configuration.size,
                                                       patch: patchSize, optimizer: optimizer))
            loader = .detco(try DataLoader.detco(source: source, views: views, backgrounds: configuration.backgrounds,
                                                 configuration: loaderConfiguration))
        }
        if let knn {
            let backbone: ResNet
            switch model {
            case let m as MoCoV2: backbone = m.encoderQ.backbone
            case let d as DetCo: backbone = d.encoderQ.backbone
            default: throw PretrainingError("the kNN monitor knows MoCo v2 and DetCo models only")
            }
            knnMonitor = try KNNMonitor(knn, backbone: backbone, parameterPrefix: "encoder_q.", size: configuration.size)
        } else {
            knnMonitor = nil
        }
        var resumedAt: Int?
        if resume {
            guard let url = out?.appendingPathComponent("checkpoint.safetensors") else {
                throw PretrainingError("--resume needs --out DIR holding checkpoint.safetensors")
            }
            guard FileManager.default.fileExists(atPath: url.path) else {
                throw PretrainingError("\(url.path): no checkpoint to resume from")
            }
            let metadata = try TrainingCheckpoint.restore(step.compiled, from: url)
            guard metadata["configuration"] == configuration.json() else {
                throw PretrainingError("\(url.path): was written by a run with a different configuration (\(metadata["configuration"] ?? "none")); resume with the same flags")
            }
            guard let done = metadata["step"].flatMap(Int.init) else { throw PretrainingError("\(url.path): metadata field 'step' is missing") }
            nextStep = done
            resumedAt = done
        }
        metrics = try out.map { try MetricsLog(directory: $0, resumingAfter: resumedAt) }
        positionLoader(at: nextStep)
    }

    public var batchesPerEpoch: Int { loader.batchesPerEpoch }

    /// Starts the epoch containing global step `s` and skips to it (augmentation is seeded per sample and epoch,
    /// so the batches are those of an uninterrupted run).
    private func positionLoader(at s: Int) {
        let perEpoch = max(loader.batchesPerEpoch, 1)
        loader.start(epoch: s / perEpoch)
        for _ in 0..<(s % perEpoch) { _ = try? loader.next() }
    }

    /// Runs the remaining steps, calling `onStep` after each; writes checkpoints, metrics and the loss plot.
    public func run(onStep: (PretrainingStepRecord) throws -> Void = { _ in }) throws {
        let c = configuration
        let schedule = CosineSchedule(base: c.learningRate, totalSteps: c.steps, warmupSteps: c.warmupSteps)
        let exe = step.executable
        let perEpoch = max(loader.batchesPerEpoch, 1)
        if let knnMonitor, nextStep == 0 {
            let top1 = try knnMonitor.evaluate(step.compiled)
            initialKNNTopOne = top1
            metrics?.append(["step": 0, "knn_top1": top1])
        }
        while nextStep < c.steps {
            let s = nextStep
            if s > 0 && s % perEpoch == 0 { loader.start(epoch: s / perEpoch) }
            let started = Date()
            try loader.feedNext(exe)
            Pretraining.feedShuffle(exe, batch: c.batch, seed: c.seed, step: s)
            let lr = schedule.rate(at: s)
            let losses = try step.run(learningRate: lr)
            if let bad = losses.first(where: { !$0.value.isFinite }) {
                let last = checkpointURL.map { " The last good checkpoint is \($0.path)." } ?? ""
                throw PretrainingError("\(bad.key) became \(bad.value) at step \(s + 1); stopping without saving this step.\(last)")
            }
            nextStep = s + 1
            let rate = Double(c.batch) / Date().timeIntervalSince(started)
            var record = losses
            record["step"] = Double(s + 1)
            record["lr"] = lr
            record["images_per_s"] = rate
            var knn: Double?
            if let knnMonitor, knnMonitor.isDue(after: nextStep, of: c.steps) {
                knn = try knnMonitor.evaluate(step.compiled)
                record["knn_top1"] = knn
            }
            metrics?.append(record)
            try onStep(PretrainingStepRecord(step: s + 1, totalSteps: c.steps, epoch: s / perEpoch, losses: losses,
                                             learningRate: lr, imagesPerSecond: rate, knnTopOne: knn))
            if nextStep % c.checkpointEvery == 0 || nextStep == c.steps { try saveCheckpoint() }
        }
        try metrics?.plot(title: "\(c.method.rawValue) ResNet-\(c.depth), batch \(c.batch), \(c.size)x\(c.size)")
    }

    /// Writes out/checkpoint.safetensors (atomically): every state plus the configuration and step.
    public func saveCheckpoint() throws {
        guard let url = checkpointURL else { return }
        try TrainingCheckpoint.save(step.compiled, metadata: [
            "format": "pt", "kiln": "training-checkpoint", "step": String(nextStep),
            "configuration": configuration.json(),
        ], to: url)
        try metrics?.plot(title: "\(configuration.method.rawValue) ResNet-\(configuration.depth)")
    }
}

/// The two loaders behind one interface.
enum AnyPretrainingLoader {
    case moco(DataLoader<MoCoBatch>)
    case detco(DataLoader<DetCoBatch>)

    var batchesPerEpoch: Int {
        switch self {
        case .moco(let l): l.batchesPerEpoch
        case .detco(let l): l.batchesPerEpoch
        }
    }

    func start(epoch: Int) {
        switch self {
        case .moco(let l): l.start(epoch: epoch)
        case .detco(let l): l.start(epoch: epoch)
        }
    }

    func next() throws -> AnyObject? {
        switch self {
        case .moco(let l): try l.next()
        case .detco(let l): try l.next()
        }
    }

    /// Copies the next batch into the step's inputs.
    func feedNext(_ exe: Executable) throws {
        switch self {
        case .moco(let l):
            guard let b = try l.next() else { throw PretrainingError("the data loader ran out of batches") }
            try exe.setInput(Pretraining.x1, floats: UnsafeBufferPointer(b.x1.storage))
            try exe.setInput(Pretraining.x2, floats: UnsafeBufferPointer(b.x2.storage))
        case .detco(let l):
            guard let b = try l.next() else { throw PretrainingError("the data loader ran out of batches") }
            try exe.setInput(Pretraining.x1, floats: UnsafeBufferPointer(b.x1.storage))
            try exe.setInput(Pretraining.x2, floats: UnsafeBufferPointer(b.x2.storage))
            try exe.setInput(Pretraining.x3, floats: UnsafeBufferPointer(b.x3.storage))
            try exe.setInput(Pretraining.x4, floats: UnsafeBufferPointer(b.x4.storage))
        }
    }
}
