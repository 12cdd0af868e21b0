// Re-estimating a frozen backbone's BatchNorm running statistics on evaluation images ("precise BN", as
// Detectron2's TEST.PRECISE_BN): a training-mode forward graph — batch statistics, running-statistic updates with
// the layers' momentum, no gradients — runs over `batches` batches, then the new statistics are copied into the
// model. Weights are untouched. Used to tell apart what a backbone's weights learned from what its running
// statistics contribute (a randomly initialised ResNet has mean 0 / variance 1, i.e. BN is the identity in eval mode).

import Kiln
import KilnData

public enum BatchNormRecalibration {
    /// Runs `batches` training-mode forward passes of `batch` images (`fill(i, pointer)` writes image i of the
    /// stream, normalised, as (size, size, 3) floats; i wraps around `count`) and stores the resulting running
    /// statistics in `backbone`.
    public static func recalibrate(_ backbone: ResNet, size: Int, batch: Int, batches: Int, count: Int,
                                   fill: (Int, UnsafeMutablePointer<Float>) throws -> Void) throws {
        guard batches > 0, batch > 1, count > 0 else {
            throw AnalysisError("BN recalibration needs a positive number of batches of at least 2 images")
        }
        let input = "images"
        let function = try InferenceFunction(models: [backbone], inputs: [(input, TensorType(.f32, [batch, size, size, 3]))],
                                             training: true) { _, x in
            ["features": backbone(x[input]!).res5.globalAvgPool()]
        }
        let exe = function.executable
        guard let buffer = exe.inputBuffer(input)?.assumingMemoryBound(to: Float.self) else {
            throw AnalysisError("the recalibration graph has no input '\(input)'")
        }
        let perImage = size * size * 3
        for b in 0..<batches {
            for slot in 0..<batch { try fill((b * batch + slot) % count, buffer + slot * perImage) }
            try exe.run()
        }
        function.compiled.syncParameters()
    }
}
