// A workload compiled and initialised so it can run step after step on generated data (`zoo profile`): the
// ResNet forward passes run as inference functions, `resnet18-train` as a full SGD train step on SyntheticImages.

import Foundation
import Kiln
import KilnIR

public final class RunnableWorkload {
    public let workload: Workload
    public let batch: Int
    public let size: Int
    /// The lowered step that `run()` executes.
    public let executable: Executable
    private let trainStep: TrainStep?
    private let data: SyntheticImages
    private var nextSample = 0

    /// Traces, compiles and initialises `workload` (parameters from `seed`).
    public init(_ workload: Workload, batch: Int? = nil, size: Int? = nil, seed: UInt64 = 0,
                options: CompileOptions = CompileOptions()) throws {
        let batch = batch ?? workload.defaultBatch, size = size ?? workload.defaultSize
        self.workload = workload
        self.batch = batch
        self.size = size
        let imageType = TensorType(.f32, [batch, size, size, 3])
        switch workload {
        case .resnet18, .resnet50:
            let model = ResNet(workload == .resnet18 ? .resnet18 : .resnet50)
            try model.initialize(seed: seed)
            let function = try InferenceFunction(models: [model], inputs: [(ResNetTraining.imagesInput, imageType)],
                                                 options: options) { _, x in
                ["logits": model(x[ResNetTraining.imagesInput]!).logits!]
            }
            executable = function.executable
            trainStep = nil
            data = SyntheticImages(classes: 10, size: size, seed: seed)
        case .resnet18Train:
            let (model, traced) = try ResNetTraining.trace(depth: .resnet18, classes: 10, batch: batch, size: size,
                                                           optimizer: SGD(momentum: 0.9, weightDecay: 1e-4))
            try model.initialize(seed: seed)
            let step = try TrainStep(traced, options: options)
            executable = step.executable
            trainStep = step
            data = SyntheticImages(classes: 10, size: size, seed: seed)
        }
    }

    /// Writes the next batch of generated images (and labels, when training) and runs one step.
    public func run() throws {
        guard let images = executable.inputBuffer(ResNetTraining.imagesInput)?.assumingMemoryBound(to: Float.self) else {
            throw WorkloadError(message: "the compiled \(workload.rawValue) step has no '\(ResNetTraining.imagesInput)' input")
        }
        let labels = executable.inputBuffer(ResNetTraining.labelsInput)?.assumingMemoryBound(to: Int32.self)
        for i in 0..<batch {
            data.write(nextSample + i, to: images + i * size * size * 3)
            labels?[i] = data.label(nextSample + i)
        }
        nextSample += batch
        if let trainStep {
            try trainStep.run(learningRate: 0.01)
        } else {
            try executable.run()
        }
    }
}

public struct WorkloadError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}
