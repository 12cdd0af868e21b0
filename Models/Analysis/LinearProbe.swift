// Linear evaluation on frozen features (the protocol of MoCo's `main_lincls.py`, detco-spec §4.3, scaled down):
// one Linear layer (weights N(0, 0.01), bias 0) trained with Kiln — a compiled TrainStep over minibatches of the
// feature matrix, SGD with momentum, cross-entropy, a cosine learning-rate schedule — then top-1 on held-out
// features. Features are standardised per dimension with training statistics first (a BatchNorm without affine
// in front of the classifier, as MAE's linear probe), so one learning rate suits every backbone.

import Kiln
import KilnKernels

public struct LinearProbeConfiguration: Sendable {
    public var epochs = 30
    public var batch = 256
    /// Peak learning rate (cosine decay to 0 over all steps).
    public var learningRate = 0.1
    public var momentum = 0.9
    public var weightDecay = 0.0
    public var seed: UInt64 = 0

    public init() {}
}

/// A trained linear classifier over standardised features.
public final class LinearProbe {
    public let classes: Int
    public let mean: [Float]
    public let std: [Float]
    /// (classes, dimension), row-major.
    public let weight: [Float]
    public let bias: [Float]
    /// Mean training loss of each epoch.
    public let epochLosses: [Double]

    init(classes: Int, mean: [Float], std: [Float], weight: [Float], bias: [Float], epochLosses: [Double]) {
        self.classes = classes
        self.mean = mean
        self.std = std
        self.weight = weight
        self.bias = bias
        self.epochLosses = epochLosses
    }

    public static let featuresInput = "features", labelsInput = "labels"

    /// Trains a probe on `features` (rows) with `labels` in 0..<classes.
    public static func train(features: FeatureMatrix, labels: [Int], classes: Int,
                             configuration c: LinearProbeConfiguration = LinearProbeConfiguration(),
                             onEpoch: ((Int, Double) -> Void)? = nil) throws -> LinearProbe {
        guard labels.count == features.rows, features.rows > 0 else {
            throw AnalysisError("the linear probe needs one label per feature row (\(labels.count) labels, \(features.rows) rows)")
        }
        if let bad = labels.first(where: { $0 < 0 || $0 >= classes }) { throw AnalysisError("label \(bad) is outside 0..<\(classes)") }
        guard c.epochs > 0, c.batch > 0, c.learningRate > 0 else {
            throw AnalysisError("the linear probe needs positive epochs, batch and learning rate")
        }
        let (mean, std) = features.columnStatistics()
        let x = features.standardized(mean: mean, std: std)
        let d = features.columns, batch = min(c.batch, features.rows)
        let model = Linear(d, classes, weightInitializer: .normal(mean: 0, std: 0.01), biasInitializer: .zeros)
        try model.initialize(seed: c.seed)
        let step = try TrainStep(models: [model],
                                 inputs: [(featuresInput, TensorType(.f32, [batch, d])), (labelsInput, TensorType(.i32, [batch]))],
                                 optimizer: SGD(momentum: c.momentum, weightDecay: c.weightDecay)) { _, inputs in
            ["loss": crossEntropy(model(inputs[featuresInput]!), labels: inputs[labelsInput]!)]
        }
        let exe = step.executable
        guard let featureBuffer = exe.inputBuffer(featuresInput)?.assumingMemoryBound(to: Float.self),
              let labelBuffer = exe.inputBuffer(labelsInput)?.assumingMemoryBound(to: Int32.self) else {
            throw AnalysisError("the compiled probe step has no feature/label inputs")
        }
        let perEpoch = features.rows / batch
        let schedule = CosineSchedule(base: c.learningRate, totalSteps: c.epochs * perEpoch)
        var losses: [Double] = []
        var order = Array(0..<features.rows)
        for epoch in 0..<c.epochs {
            var rng = RandomStream(seed: c.seed, stream: 0x11_7EA2 &+ UInt64(epoch))
            rng.shuffle(&order)
            var total = 0.0
            for b in 0..<perEpoch {
                for slot in 0..<batch {
                    let row = order[b * batch + slot]
                    x.values.withUnsafeBufferPointer { (featureBuffer + slot * d).update(from: $0.baseAddress! + row * d, count: d) }
                    labelBuffer[slot] = Int32(labels[row])
                }
                let loss = try step.run(learningRate: schedule.rate(at: epoch * perEpoch + b))["loss"] ?? .nan
                guard loss.isFinite else { throw AnalysisError("the linear probe's loss became \(loss) in epoch \(epoch + 1)") }
                total += loss
            }
            losses.append(total / Double(perEpoch))
            onEpoch?(epoch + 1, losses[epoch])
        }
        step.syncParameters()
        guard let weight = model.weight.values, let bias = model.bias?.values else {
            throw AnalysisError("the linear probe's parameters were not trained")
        }
        return LinearProbe(classes: classes, mean: mean, std: std, weight: weight, bias: bias, epochLosses: losses)
    }

    /// Class scores (rows, classes) of raw (unstandardised) features.
    public func logits(_ features: FeatureMatrix) throws -> FeatureMatrix {
        let d = mean.count
        guard features.columns == d else { throw AnalysisError("the probe was trained on \(d) features, got \(features.columns)") }
        let x = features.standardized(mean: mean, std: std)
        var out = [Float](repeating: 0, count: features.rows * classes)
        for r in 0..<features.rows {
            for k in 0..<classes {
                var s = bias[k]
                for j in 0..<d { s += weight[k * d + j] * x.values[r * d + j] }
                out[r * classes + k] = s
            }
        }
        return FeatureMatrix(rows: features.rows, columns: classes, values: out)
    }

    /// The predicted class of each row of raw features.
    public func predict(_ features: FeatureMatrix) throws -> [Int] {
        let scores = try logits(features)
        return (0..<scores.rows).map { r in
            let row = scores.values[(r * classes)..<((r + 1) * classes)]
            return (row.indices.max { row[$0] < row[$1] } ?? r * classes) - r * classes
        }
    }
}
