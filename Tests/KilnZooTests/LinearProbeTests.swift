// The linear probe, trained by a compiled Kiln TrainStep, learns a linearly separable toy problem (three Gaussian
// blobs plus noise dimensions) to perfect training accuracy and near-perfect held-out accuracy, with a falling
// loss; bad labels are errors.

import Kiln
import KilnZoo
import Testing

@Suite("Linear probe")
struct LinearProbeTests {
    /// Three classes centred at (4, 0), (−4, 2), (0, −4) in the first two of six dimensions, plus offsets and scales
    /// that standardisation must undo.
    static func blobs(_ count: Int, seed: UInt64) -> (FeatureMatrix, [Int]) {
        let centres: [(Double, Double)] = [(4, 0), (-4, 2), (0, -4)]
        var rng = RandomStream(seed: seed)
        var values: [Float] = [], labels: [Int] = []
        for i in 0..<count {
            let label = (i * 7) % 3
            let (cx, cy) = centres[label]
            values += [Float(cx + rng.normal()), Float(100 + 50 * (cy + rng.normal()))]
            values += (0..<4).map { _ in Float(rng.normal(std: 3)) }
            labels.append(label)
        }
        return (FeatureMatrix(rows: count, columns: 6, values: values), labels)
    }

    @Test("a separable toy problem is learned")
    func separable() throws {
        let (train, trainLabels) = Self.blobs(301, seed: 1)
        let (test, testLabels) = Self.blobs(150, seed: 2)
        var c = LinearProbeConfiguration()
        c.epochs = 20
        c.batch = 32
        c.learningRate = 0.1
        let probe = try LinearProbe.train(features: train, labels: trainLabels, classes: 3, configuration: c)
        #expect(probe.epochLosses.count == 20)
        #expect(probe.epochLosses.last! < 0.2 * probe.epochLosses.first!)
        #expect(topOneAccuracy(try probe.predict(train), trainLabels) >= 0.99)
        #expect(topOneAccuracy(try probe.predict(test), testLabels) >= 0.97)
        #expect(probe.weight.count == 3 * 6 && probe.bias.count == 3)
    }

    @Test("mismatched labels and feature sizes are errors")
    func badInputs() throws {
        let (train, labels) = Self.blobs(10, seed: 0)
        #expect(throws: AnalysisError.self) { try LinearProbe.train(features: train, labels: Array(labels.dropLast()), classes: 3) }
        #expect(throws: AnalysisError.self) { try LinearProbe.train(features: train, labels: labels.map { $0 + 1 }, classes: 3) }
        var c = LinearProbeConfiguration()
        c.epochs = 1
        c.batch = 64   // larger than the data: one full batch per epoch
        let probe = try LinearProbe.train(features: train, labels: labels, classes: 3, configuration: c)
        #expect(throws: AnalysisError.self) { try probe.predict(FeatureMatrix(rows: 1, columns: 2, values: [0, 0])) }
    }
}
