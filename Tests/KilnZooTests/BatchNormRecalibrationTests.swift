// BN recalibration: running statistics move from their initial (0, 1) to the data's and converge when the same
// batch is seen repeatedly; weights stay as they were.

import Kiln
import KilnData
import KilnZoo
import Testing

@Suite("BN recalibration")
struct BatchNormRecalibrationTests {
    static func values(_ model: ResNet, _ name: String) throws -> [Float] {
        try #require(try model.namedParameters().first { $0.0 == name }?.1.values)
    }

    @Test("statistics converge to the data's, weights are untouched")
    func converges() throws {
        let model = ResNet(.resnet18, classes: nil)
        try model.initialize(seed: 4)
        let inputs = (0..<8).map { SquareInput.prepare(RetrievalTests.picture($0), size: 32) }
        func fill(_ i: Int, _ p: UnsafeMutablePointer<Float>) {
            inputs[i].data.withUnsafeBufferPointer { p.update(from: $0.baseAddress!, count: $0.count) }
        }
        let weights = try Self.values(model, "layer2.0.conv1.weight")
        try BatchNormRecalibration.recalibrate(model, size: 32, batch: 8, batches: 80, count: 8, fill: fill)
        let mean1 = try Self.values(model, "bn1.running_mean")
        #expect(mean1.contains { Swift.abs($0) > 1e-3 })
        #expect(try Self.values(model, "layer4.1.bn2.running_var").contains { Swift.abs($0 - 1) > 1e-3 })
        #expect(try Self.values(model, "layer2.0.conv1.weight") == weights)

        try BatchNormRecalibration.recalibrate(model, size: 32, batch: 8, batches: 80, count: 8, fill: fill)
        let again = try Self.values(model, "bn1.running_mean")
        let scale = mean1.map { Swift.abs($0) }.max() ?? 1
        #expect(zip(mean1, again).allSatisfy { Swift.abs($0 - $1) <= 1e-3 * scale })
        #expect(throws: AnalysisError.self) {
            try BatchNormRecalibration.recalibrate(model, size: 32, batch: 1, batches: 1, count: 8, fill: fill)
        }
    }
}
