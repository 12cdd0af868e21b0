// `zoo train detco` / `zoo train mocov2`: self-supervised pre-training on the built-in demo scenes (default) or a
// folder of images, with a progress bar, metrics.jsonl, loss.png, checkpoints and --resume.

import ArgumentParser
import Foundation
import Kiln
import KilnData
import KilnZoo

struct PretrainOptions: ParsableArguments {
    @Option(help: "Training steps (default: the demo schedule).") var steps: Int?
    @Option(help: "Train for this many epochs instead of --steps.") var epochs: Int?
    @Option(help: "Images per step.") var batch = 32
    @Option(help: "Global view size (local patches scale with it).") var size = 64
    @Option(help: "ResNet depth: 18 or 50.") var depth = 18
    @Option(help: "Peak learning rate per 256 images (scaled linearly with --batch).") var lr: Double?
    @Option(help: "Key-encoder momentum m.") var momentum: Double?
    @Option(help: "Keys in each queue (a multiple of --batch).") var queueSize: Int?
    @Option(help: "BN sub-batches (shuffle-BN emulation).") var bnSplits = 2
    @Option(help: "ColorJitter hue strength of the views, 0...0.5 (MoCo v2 uses 0.1; the demo 0.5, see docs/zoo.md).") var hueJitter: Double?
    @Option(help: "Probability that a view gets a background of its own, 0...1 (built-in scenes only; the demo 1, see docs/zoo.md).") var backgroundSwap: Double?
    @Option(help: "InfoNCE temperature τ of MoCo v2 (and of DetCo's g2g and l2l contrasts; l2g keeps 0.5).") var temperature: Double?
    @Option(help: "Smallest area fraction of a global view's random crop (MoCo v2: 0.2).") var cropScale: Double?
    @Option(help: "A folder of JPEG/PNG images (default: the built-in fashion scenes).") var data: String?
    @Option(help: "Output folder for metrics.jsonl, loss.png and checkpoint.safetensors.") var out: String?
    @Option(help: "Write a checkpoint every N steps (and at the end).") var checkpointEvery = 100
    @Flag(help: "Continue the run saved in --out from its last checkpoint.") var resume = false
    @Option(help: "Random seed (initialisation, data order, augmentation).") var seed: UInt64 = 0
    @Option(help: "Data-loader threads.") var dataThreads = 2
    @Option(help: "Every N steps (and at steps 0 and last), kNN top-1 of the query trunk on Fashion-MNIST items, as `zoo eval knn` with a 5,000-item gallery and 1,000 queries (0: off). Each takes seconds for ResNet-18 at 64 px, minutes for ResNet-50 at 224 px.")
    var knnEvery = 0
    @Option(help: "Folder with the Fashion-MNIST IDX files (for --knn-every).") var fashionMnist = FashionMNIST.defaultDirectory.path

    func configuration(_ method: PretrainingMethod) -> PretrainingConfiguration {
        var c = PretrainingConfiguration.demo(method)
        c.batch = batch
        c.size = size
        c.depth = depth
        if let steps { c.steps = steps }
        if let lr { c.baseLearningRate = lr }
        if let momentum { c.keyMomentum = momentum }
        if let queueSize { c.queueSize = queueSize }
        c.batchNormSplits = bnSplits
        if let hueJitter { c.hueJitter = hueJitter }
        // A folder of images has no foreground masks, so it gets no background swap unless asked (then refused).
        // 0 is stored as "off" (nil), which is also how checkpoints from before the option read.
        c.backgroundSwap = (backgroundSwap ?? (data == nil ? c.backgroundSwap : nil)).flatMap { $0 > 0 ? $0 : nil }
        if let cropScale { c.minimumCropScale = cropScale }
        if let temperature { c.temperature = temperature }
        c.seed = seed
        c.checkpointEvery = max(checkpointEvery, 1)
        return c
    }

    func source() throws -> any ImageSource {
        if let data { return try ImageFolder(root: URL(fileURLWithPath: data)) }
        // The scenes are composed on demand (the same pixels as the cached PNGs), with their foreground masks.
        return try FashionSceneSource()
    }
}

struct PretrainDetCo: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "detco", abstract: "Pre-train DetCo (multi-level global/local contrastive learning).")

    @OptionGroup var options: PretrainOptions
    @Option(help: "Loss weights of Res2..Res5, comma separated.") var levelWeights = "0.1,0.4,0.7,1.0"
    @Option(help: "Contrasts to use: any of g2g,l2g,l2l.") var contrasts = "g2g,l2g,l2l"
    @Flag(help: "local→global reads the global↔global queue (8 queues instead of 12).") var sharedGlobalQueue = false
    @Flag(help: "One queue per contrast shared by all levels.") var shareQueuesAcrossLevels = false

    func run() throws {
        var c = options.configuration(.detco)
        let weights = levelWeights.split(separator: ",").compactMap { Double($0.trimmingCharacters(in: .whitespaces)) }
        guard weights.count == 4 else { throw UsageError("--level-weights needs four numbers, e.g. 0.1,0.4,0.7,1.0") }
        c.levelWeights = weights
        c.contrasts = contrasts.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        c.sharedGlobalQueue = sharedGlobalQueue
        c.shareQueuesAcrossLevels = shareQueuesAcrossLevels
        try Pretrainer.run(c, options)
    }
}

struct PretrainMoCo: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "mocov2", abstract: "Pre-train MoCo v2.")

    @OptionGroup var options: PretrainOptions

    func run() throws { try Pretrainer.run(options.configuration(.mocov2), options) }
}

enum Pretrainer {
    static func run(_ configuration: PretrainingConfiguration, _ options: PretrainOptions) throws {
        var c = configuration
        for problem in c.problems() { throw UsageError(problem) }
        let source = try options.source()
        if let epochs = options.epochs {
            guard epochs > 0 else { throw UsageError("--epochs must be positive") }
            c.steps = epochs * max(source.count / c.batch, 1)
        }
        let out = URL(fileURLWithPath: options.out ?? "runs/\(c.method.rawValue)")
        guard options.knnEvery >= 0 else { throw UsageError("--knn-every must not be negative") }
        var knn: KNNMonitorSettings?
        if options.knnEvery > 0 {
            knn = KNNMonitorSettings(every: options.knnEvery)
            knn?.directory = URL(fileURLWithPath: options.fashionMnist)
        }
        let run = try PretrainingRun(c, source: source, out: out, resume: options.resume, dataThreads: options.dataThreads,
                                     knn: knn)
        let name = c.method == .detco ? "DetCo" : "MoCo v2"
        print("\(name), ResNet-\(c.depth), batch \(c.batch), \(c.size)×\(c.size), \(c.steps) steps "
              + "(\(run.batchesPerEpoch) per epoch of \(source.count) images), lr \(c.learningRate), queue \(c.queueSize), out \(out.path)"
              + (run.nextStep > 0 ? ", resuming after step \(run.nextStep)" : ""))
        let bar = ProgressBar(total: c.steps)
        var lastKNN: Double?
        try run.run { r in
            let terms = r.losses.keys.filter { $0 != "loss" }.sorted()
                .map { String(format: "%@ %.4f", String($0.dropFirst(5)), r.losses[$0]!) }.joined(separator: " ")
            lastKNN = r.knnTopOne ?? lastKNN ?? run.initialKNNTopOne
            let fields = String(format: "epoch %d loss %.4f ", r.epoch, r.losses["loss"] ?? .nan) + terms
                + String(format: " lr %.4f %.1f img/s", r.learningRate, r.imagesPerSecond)
                + (lastKNN.map { String(format: " kNN %.1f%%", 100 * $0) } ?? "")
            bar.update(r.step, fields, force: r.knnTopOne != nil)
        }
        print("done: \(out.appendingPathComponent("checkpoint.safetensors").path), \(out.appendingPathComponent("metrics.jsonl").path), "
              + out.appendingPathComponent("loss.png").path + (run.knnMonitor != nil ? ", " + out.appendingPathComponent("knn.png").path : ""))
    }
}
