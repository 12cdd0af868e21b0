// `zoo eval knn CKPT [--json]`: weighted cosine kNN top-1 on Fashion-MNIST labels with frozen GAP(Res5) features
// (InstDisc / MoCo monitor protocol: k 200, τ 0.07). `--random-init --depth 18` gives the baseline.

import ArgumentParser
import Foundation
import KilnZoo

struct EvalKNNCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "knn",
        abstract: "Weighted kNN top-1 of frozen backbone features on Fashion-MNIST labels.",
        discussion: """
            Training items form the labelled gallery, test items the queries. Features are GAP(Res5) in eval \
            mode, L2-normalised; each query's k most cosine-similar gallery items vote for their label with \
            weight exp(similarity / temperature).
            """)

    @Argument(help: "The checkpoint (omit with --random-init).") var checkpoint: String?
    @OptionGroup var backbone: BackboneOptions
    @OptionGroup var features: EvalFeatureOptions
    @Option(help: "Neighbours that vote.") var k = 200
    @Option(help: "Temperature τ of the vote weights exp(s/τ).") var temperature = 0.07

    func run() throws {
        guard k > 0, temperature > 0 else { throw UsageError("--k and --temperature must be positive") }
        let (model, description, trainedSize) = try backbone.load(checkpoint)
        let setup = try features.setup(pretrainingSize: trainedSize)
        let (f, seconds) = try features.features(model, setup)
        let started = Date()
        let top1 = try FrozenEvaluation.knn(f, k: k, temperature: temperature)
        let knnSeconds = Date().timeIntervalSince(started)
        var fields = features.commonFields(description, setup, f, checkpoint: checkpoint)
        fields["method"] = "knn"
        fields["k"] = k
        fields["temperature"] = temperature
        fields["top1"] = (top1 * 10_000).rounded() / 100
        fields["seconds"] = ((seconds + knnSeconds) * 10).rounded() / 10
        try features.emit(fields, table: [(String(format: "kNN top-1 (k %d, τ %g)", k, temperature), String(format: "%.2f %%", 100 * top1))]
                          + features.commonRows(description, setup, f, seconds: seconds)
                          + [("kNN time", String(format: "%.1f s", knnSeconds))])
    }
}
