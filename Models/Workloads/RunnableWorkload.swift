// A workload compiled and initialised so it can run step after step on generated inputs (`zoo profile`,
// `zoo bench`): images come from SyntheticImages (any other f32 input gets deterministic noise), labels are
// in 0..<10, MoCo/DetCo steps get a fresh shuffle permutation each step, and detection steps get fixed random
// ground truth (SyntheticDetections: boxes, labels, counts, masks).

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

    /// Inputs that do not change between steps: detection ground truth, and fixed noise for every other f32 input
    /// than `images`.
    private func fillStaticInputs() throws {
        let detection = SyntheticDetections.fill(executable, classes: 10, seed: 17)
        let groundTruth: Set<String> = detection ? [FineTuneRun.boxesInput, FineTuneRun.masksInput] : []
        var rng = RandomStream(seed: 17)
        for name in executable.inputNames where name != ResNetTraining.imagesInput && name != TrainStep.learningRateInput
            && !groundTruth.contains(name) {
            guard let t = executable.inputType(name), t.dtype == .f32, let p = executable.inputBuffer(name) else { continue }
            let q = p.assumingMemoryBound(to: Float.self)
            for i in 0..<t.count { q[i] = Float(rng.normal()) }
        }
    }

    /// Writes the next batch of generated images (and labels, shuffles) and runs one step.
    public func run() throws {
        if let images = executable.inputBuffer(ResNetTraining.imagesInput)?.assumingMemoryBound(to: Float.self) {
            // Classification labels (N,); detection labels (N, G) are static ground truth.
            let perImage = executable.inputType(ResNetTraining.labelsInput)?.rank == 1
            let labels = perImage ? executable.inputBuffer(ResNetTraining.labelsInput)?.assumingMemoryBound(to: Int32.self) : nil
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
