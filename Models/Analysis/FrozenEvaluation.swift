// Frozen-backbone evaluation on Fashion-MNIST labels: the first N items of the train split form the labelled
// gallery / probe training set and the first M items of the test split the queries, each rendered as a single
// scene-style RGB item at the model's input size (KilnData's `FashionItems`: the pre-training distribution, with
// the Fashion-MNIST label), embedded by GAP(Res5) in eval mode. kNN and the linear probe then run on the features.

import Foundation
import Kiln
import KilnData

public struct FrozenEvaluationSetup: Sendable {
    /// Input size of the rendered items (the pre-training view size, 64 for the demo preset).
    public var size = 64
    public var trainCount = 10_000
    public var testCount = 2_000
    /// Images per forward batch.
    public var batch = 64
    /// Seed of the item renderings (tints and backgrounds).
    public var renderSeed: UInt64 = 0
    public var directory = FashionMNIST.defaultDirectory
    /// When > 0, BN running statistics are first re-estimated on this many batches of training items
    /// (`BatchNormRecalibration`); 0 keeps the checkpoint's statistics.
    public var recalibrationBatches = 0
    /// Render the items in gray (luma replicated to RGB): a diagnostic that removes the tint, a cue that identifies
    /// an instance but says nothing about its class.
    public var grayscale = false

    public init() {}
}

/// Features and labels of the two splits.
public struct FrozenFeatures: Sendable {
    public var train: FeatureMatrix
    public var trainLabels: [Int]
    public var test: FeatureMatrix
    public var testLabels: [Int]
}

public enum FrozenEvaluation {
    public static let classes = 10

    /// Extracts train and test features of `backbone`; `progress(split, done, total)` after each batch.
    public static func features(_ backbone: ResNet, _ setup: FrozenEvaluationSetup,
                                progress: ((String, Int, Int) -> Void)? = nil) throws -> FrozenFeatures {
        guard setup.trainCount > 0, setup.testCount > 0 else { throw AnalysisError("--train-count and --test-count must be positive") }
        if setup.recalibrationBatches > 0 {
            let items = try FashionItems(split: .train, size: setup.size, seed: setup.renderSeed, directory: setup.directory)
            let scratch = TransformScratch()
            try BatchNormRecalibration.recalibrate(backbone, size: setup.size, batch: max(setup.batch, 2), batches: setup.recalibrationBatches,
                                                   count: min(setup.trainCount, items.count)) { i, p in
                let input = SquareInput.prepare(render(items, i, setup, scratch), size: setup.size, scratch: scratch)
                input.data.withUnsafeBufferPointer { p.update(from: $0.baseAddress!, count: $0.count) }
            }
        }
        let extractor = try FeatureExtractor(backbone: backbone, batch: setup.batch, size: setup.size)
        var splits: [(FeatureMatrix, [Int])] = []
        for (split, wanted) in [(FashionMNIST.Split.train, setup.trainCount), (.test, setup.testCount)] {
            let items = try FashionItems(split: split, size: setup.size, seed: setup.renderSeed, directory: setup.directory)
            let count = min(wanted, items.count)
            let scratch = TransformScratch()
            let matrix = try extractor.features(count: count, fill: { i, p in
                let input = SquareInput.prepare(render(items, i, setup, scratch), size: setup.size, scratch: scratch)
                input.data.withUnsafeBufferPointer { p.update(from: $0.baseAddress!, count: $0.count) }
            }, progress: { progress?(split.rawValue, $0, count) })
            splits.append((matrix, (0..<count).map { items.label(at: $0) }))
        }
        return FrozenFeatures(train: splits[0].0, trainLabels: splits[0].1, test: splits[1].0, testLabels: splits[1].1)
    }

    static func render(_ items: FashionItems, _ index: Int, _ setup: FrozenEvaluationSetup, _ scratch: TransformScratch) -> Image {
        let image = items.render(index, scratch: scratch)
        return setup.grayscale ? image.toGray().toRGB() : image
    }

    /// Weighted cosine kNN top-1 (in [0, 1]) of the test features against the train features.
    public static func knn(_ f: FrozenFeatures, k: Int, temperature: Double) throws -> Double {
        let classifier = KNNClassifier(k: k, temperature: temperature, classes: classes)
        return topOneAccuracy(try classifier.predict(queries: f.test, gallery: f.train, galleryLabels: f.trainLabels), f.testLabels)
    }

    /// Linear-probe top-1 (in [0, 1]) on the test features after training on the train features.
    public static func linear(_ f: FrozenFeatures, configuration: LinearProbeConfiguration,
                              onEpoch: ((Int, Double) -> Void)? = nil) throws -> (top1: Double, probe: LinearProbe) {
        let probe = try LinearProbe.train(features: f.train, labels: f.trainLabels, classes: classes,
                                          configuration: configuration, onEpoch: onEpoch)
        return (topOneAccuracy(try probe.predict(f.test), f.testLabels), probe)
    }
}
