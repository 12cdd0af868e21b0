// A workload compiled and initialised so it can run step after step on generated inputs (`zoo profile`,
// `zoo bench`): images come from SyntheticImages (any other f32 input gets deterministic noise), labels are
// in 0..<10, and MoCo/DetCo steps get a fresh shuffle permutation each step.

import Foundation
import Kiln
import KilnIR

public final class RunnableWorkload {
    public let workload: Workload
    public let batch: Int
    public let size: Int
    /// The lowered step that `run()` executes.
    public let executable: Executable
    /// The compiled graph (traced and optimised forms).
    public let compiled: CompiledGraph
    private let trainStep: TrainStep?
    private let data: SyntheticImages
    private var stepIndex = 0

    /// Traces, compiles and initialises `workload` (parameters from `seed`).
    public init(_ workload: Workload, batch: Int? = nil, size: Int? = nil, seed: UInt64 = 0,
                options: CompileOptions = CompileOptions()) throws {
        let batch = batch ?? workload.defaultBatch, size = size ?? workload.defaultSize
        self.workload = workload
        self.batch = batch
        self.size = size
        let traced = try workload.trace(batch: batch, size: size)
        try traced.initialize(seed)
        if let step = traced.step {
            trainStep = try TrainStep(step, options: options)
            compiled = trainStep!.compiled
        } else {
            trainStep = nil
            var parameters: [String: Parameter] = [:]
            for model in traced.models { for (name, p) in try model.namedParameters() { parameters[name] = p } }
            compiled = try CompiledGraph(traced: traced.graph, parameters: parameters, options: options)
        }
        executable = compiled.executable
        data = SyntheticImages(classes: 10, size: size, seed: seed)
        try fillStaticInputs()
    }

    /// Inputs that do not change between steps: every f32 input other than `images` gets fixed noise once.
    private func fillStaticInputs() throws {
        var rng = RandomStream(seed: 17)
        for name in executable.inputNames where name != ResNetTraining.imagesInput && name != TrainStep.learningRateInput {
            guard let t = executable.inputType(name), t.dtype == .f32, let p = executable.inputBuffer(name) else { continue }
            let q = p.assumingMemoryBound(to: Float.self)
            for i in 0..<t.count { q[i] = Float(rng.normal()) }
        }
    }

    /// Writes the next batch of generated images (and labels, shuffles) and runs one step.
    public func run() throws {
        if let images = executable.inputBuffer(ResNetTraining.imagesInput)?.assumingMemoryBound(to: Float.self) {
            let labels = executable.inputBuffer(ResNetTraining.labelsInput)?.assumingMemoryBound(to: Int32.self)
            for i in 0..<batch {
                data.write(stepIndex * batch + i, to: images + i * size * size * 3)
                labels?[i] = data.label(stepIndex * batch + i)
            }
        }
        Pretraining.feedShuffle(executable, batch: batch, seed: 5, step: stepIndex)
        stepIndex += 1
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
