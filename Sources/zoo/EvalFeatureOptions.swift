// Options and output shared by `zoo eval knn` and `zoo eval linear`: the frozen-feature setup on Fashion-MNIST
// and the result as a table or one JSON object.

import ArgumentParser
import Foundation
import KilnData
import KilnZoo

struct EvalFeatureOptions: ParsableArguments {
    @Option(help: "Input size of the rendered items (default: the checkpoint's pre-training size, else 64).") var size: Int?
    @Option(help: "Fashion-MNIST training items used (the first N).") var trainCount = 10_000
    @Option(help: "Fashion-MNIST test items used (the first N).") var testCount = 2_000
    @Option(help: "Images per forward batch.") var batch = 64
    @Option(help: "Seed of the item renderings (tints, backgrounds).") var renderSeed: UInt64 = 0
    @Option(help: "Folder with the Fashion-MNIST IDX files.") var fashionMnist = FashionMNIST.defaultDirectory.path
    @Option(help: "Re-estimate BN running statistics on this many batches of training items first (0: keep the checkpoint's).")
    var recalibrateBn = 0
    @Flag(help: "Render the items in gray (a diagnostic: removes the random tint).") var grayscale = false
    @Flag(help: "Print one JSON object instead of a table.") var json = false

    func setup(pretrainingSize: Int?) throws -> FrozenEvaluationSetup {
        guard trainCount > 0, testCount > 0, batch > 0 else { throw UsageError("--train-count, --test-count and --batch must be positive") }
        var s = FrozenEvaluationSetup()
        s.size = size ?? pretrainingSize ?? 64
        guard s.size >= 32 else { throw UsageError("--size must be at least 32") }
        s.trainCount = trainCount
        s.testCount = testCount
        s.batch = batch
        s.renderSeed = renderSeed
        s.directory = URL(fileURLWithPath: fashionMnist)
        guard recalibrateBn >= 0 else { throw UsageError("--recalibrate-bn must not be negative") }
        s.recalibrationBatches = recalibrateBn
        s.grayscale = grayscale
        return s
    }

    /// Extracts the features, showing progress on standard error unless --json.
    func features(_ model: ResNet, _ setup: FrozenEvaluationSetup) throws -> (FrozenFeatures, seconds: Double) {
        let started = Date()
        let f = try FrozenEvaluation.features(model, setup) { split, done, total in
            if !json { reportProgress("features \(split) \(done)/\(total)", done: done == total) }
        }
        return (f, Date().timeIntervalSince(started))
    }

    /// Prints `fields` as sorted-key JSON, or `table` rows aligned.
    func emit(_ fields: [String: Any], table: [(String, String)]) throws {
        if json {
            let data = try JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
            return
        }
        let width = table.map(\.0.count).max() ?? 0
        for (k, v) in table { print(k.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + v) }
    }

    func commonFields(_ description: String, _ setup: FrozenEvaluationSetup, _ f: FrozenFeatures, checkpoint: String?) -> [String: Any] {
        ["backbone": description, "checkpoint": checkpoint ?? "random-init", "size": setup.size,
         "train_count": f.train.rows, "test_count": f.test.rows, "feature_dim": f.train.columns,
         "features": "GAP(Res5), eval-mode BN", "dataset": "fashion-mnist items",
         "bn_recalibration_batches": setup.recalibrationBatches, "grayscale": setup.grayscale]
    }

    func commonRows(_ description: String, _ setup: FrozenEvaluationSetup, _ f: FrozenFeatures, seconds: Double) -> [(String, String)] {
        [("backbone", description),
         ("features", "GAP(Res5) \(f.train.columns)-d at \(setup.size)×\(setup.size), eval-mode BN"
            + (setup.recalibrationBatches > 0 ? " (statistics re-estimated on \(setup.recalibrationBatches) batches)" : "")
            + String(format: ", %.1f s", seconds)),
         ("data", "Fashion-MNIST items\(setup.grayscale ? " (gray)" : ""): first \(f.train.rows) train (gallery / probe training), first \(f.test.rows) test")]
    }
}
