// `zoo train MODEL`: training runs of the zoo's models.

import ArgumentParser
import Foundation
import Kiln
import KilnIR
import KilnZoo

struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train", abstract: "Train a model of the zoo.",
        subcommands: [PretrainDetCo.self, PretrainMoCo.self, TrainResNet.self])
}

struct TrainResNet: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resnet18",
        abstract: "Train ResNet-18 on generated 10-class images (a smoke test of the whole stack).")

    @Option(help: "Number of steps.") var steps = 100
    @Option(help: "Batch size.") var batch = 32
    @Option(help: "Square image size.") var size = 64
    @Option(help: "Random seed for initialisation and data.") var seed: UInt64 = 0
    @Option(help: "Peak learning rate (cosine schedule).") var lr = 0.05
    @Option(help: "Write a safetensors checkpoint here at the end.") var checkpoint: String?
    @Option(help: "Start from the weights of this safetensors checkpoint (torchvision names).") var initFrom: String?

    func run() throws {
        guard steps > 0, batch > 0, size >= 32 else { throw UsageError("--steps and --batch must be positive and --size at least 32") }
        let (model, traced) = try ResNetTraining.trace(depth: .resnet18, classes: 10, batch: batch, size: size,
                                                       optimizer: SGD(momentum: 0.9, weightDecay: 5e-4))
        try model.initialize(seed: seed)
        if let initFrom { try Checkpoint.load(URL(fileURLWithPath: initFrom), into: model) }
        let step = try TrainStep(traced)
        let data = SyntheticImages(classes: 10, size: size, seed: seed)
        let schedule = CosineSchedule(base: lr, totalSteps: steps, warmupSteps: min(10, steps / 10))
        let exe = step.executable
        guard let images = exe.inputBuffer(ResNetTraining.imagesInput)?.assumingMemoryBound(to: Float.self),
              let labels = exe.inputBuffer(ResNetTraining.labelsInput)?.assumingMemoryBound(to: Int32.self) else {
            throw UsageError("the compiled step has no image/label inputs")
        }
        print("ResNet-18, batch \(batch), \(size)×\(size), \(steps) steps, seed \(seed)")
        let bar = ProgressBar(total: steps)
        var first: Double?
        for i in 0..<steps {
            data.batch(from: i * batch, count: batch, images: images, labels: labels)
            let t0 = Date()
            let loss = try step.run(learningRate: schedule.rate(at: i))["loss"] ?? .nan
            guard loss.isFinite else { throw UsageError("loss became \(loss) at step \(i + 1); stopping") }
            first = first ?? loss
            let rate = Double(batch) / Date().timeIntervalSince(t0)
            print(String(format: "step %d loss %.4f", i + 1, loss))
            bar.update(i + 1, String(format: "loss %.4f lr %.4f %.1f img/s", loss, schedule.rate(at: i), rate))
        }
        if let checkpoint {
            step.syncParameters()
            try Checkpoint.save(model, to: URL(fileURLWithPath: checkpoint))
            print("wrote \(checkpoint)")
        }
    }
}
