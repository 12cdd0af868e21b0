// `zoo eval linear CKPT [--json]`: linear-probe top-1 on Fashion-MNIST labels with a frozen backbone — a Linear
// layer trained by Kiln (SGD, cross-entropy, cosine schedule) on standardised GAP(Res5) features.

import ArgumentParser
import Foundation
import KilnZoo

struct EvalLinearCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "linear",
        abstract: "Linear-probe top-1 of frozen backbone features on Fashion-MNIST labels.",
        discussion: """
            Features are GAP(Res5) in eval mode, standardised per dimension with training statistics; a Linear \
            layer (N(0, 0.01) weights, zero bias) is trained with SGD (momentum 0.9) and a cosine learning rate \
            on the training items and evaluated on the test items.
            """)

    @Argument(help: "The checkpoint (omit with --random-init).") var checkpoint: String?
    @OptionGroup var backbone: BackboneOptions
    @OptionGroup var features: EvalFeatureOptions
    @Option(help: "Training epochs over the features.") var epochs = 30
    @Option(help: "Peak learning rate (cosine decay).") var lr = 0.1
    @Option(help: "Probe minibatch size.") var probeBatch = 256
    @Option(help: "Weight decay.") var weightDecay = 0.0
    @Option(help: "Seed of the probe's initialisation and sample order.") var seed: UInt64 = 0

    func run() throws {
        guard epochs > 0, lr > 0, probeBatch > 0, weightDecay >= 0 else {
            throw UsageError("--epochs, --lr and --probe-batch must be positive and --weight-decay not negative")
        }
        let (model, description, trainedSize) = try backbone.load(checkpoint)
        let setup = try features.setup(pretrainingSize: trainedSize)
        let (f, seconds) = try features.features(model, setup)
        var c = LinearProbeConfiguration()
        c.epochs = epochs
        c.learningRate = lr
        c.batch = probeBatch
        c.weightDecay = weightDecay
        c.seed = seed
        let started = Date()
        let quiet = features.json
        let (top1, probe) = try FrozenEvaluation.linear(f, configuration: c) { epoch, loss in
            if !quiet { reportProgress(String(format: "probe epoch %d/%d loss %.4f", epoch, epochs, loss), done: epoch == epochs) }
        }
        let probeSeconds = Date().timeIntervalSince(started)
        var fields = features.commonFields(description, setup, f, checkpoint: checkpoint)
        fields["method"] = "linear"
        fields["epochs"] = epochs
        fields["lr"] = lr
        fields["probe_batch"] = probeBatch
        fields["weight_decay"] = weightDecay
        fields["final_loss"] = ((probe.epochLosses.last ?? .nan) * 10_000).rounded() / 10_000
        fields["top1"] = (top1 * 10_000).rounded() / 100
        fields["seconds"] = ((seconds + probeSeconds) * 10).rounded() / 10
        try features.emit(fields, table: [("linear top-1", String(format: "%.2f %%", 100 * top1))]
                          + features.commonRows(description, setup, f, seconds: seconds)
                          + [("probe", String(format: "%d epochs, batch %d, lr %g cosine, wd %g, final loss %.4f, %.1f s",
                                             epochs, min(probeBatch, f.train.rows), lr, weightDecay, probe.epochLosses.last ?? .nan, probeSeconds))])
    }
}
