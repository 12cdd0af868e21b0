// A compiled training step: forward, loss, backward and optimizer update in ONE graph (like a jitted train
// step). Parameters, optimizer slots and running statistics are persistent states updated in place each run.

import KilnIR
import KilnOps
import KilnPasses
import KilnRuntime

public final class TrainStep {
    public let compiled: CompiledGraph
    /// Names of the graph outputs (sorted); "loss" is always present.
    public let outputNames: [String]
    /// Names of the trained parameters.
    public let trainedParameters: [String]
    /// Number of steps run so far (drives the learning-rate schedule when one is used).
    public var stepsRun = 0

    public static let learningRateInput = "lr"
    public static let optimizerStepState = "optimizer.step"

    /// Traces `body` in training mode over `models`, differentiates the returned "loss" with respect to the used
    /// trainable parameters, appends the optimizer's update, and compiles.
    /// - Parameters:
    ///   - inputs: the fed inputs (name and type), in order.
    ///   - body: computes named outputs from the inputs; must return a scalar "loss".
    public convenience init(models: [any Module], inputs: [(String, TensorType)], optimizer: any Optimizer,
                            options: CompileOptions = CompileOptions(),
                            body: (Tracer, [String: Tensor]) -> [String: Tensor]) throws {
        let traced = try TrainStep.trace(models: models, inputs: inputs, optimizer: optimizer,
                                         trainable: options.trainable, body: body)
        try self.init(traced, options: options)
    }

    /// Compiles an already traced step.
    public init(_ traced: TracedStep, options: CompileOptions = CompileOptions()) throws {
        compiled = try CompiledGraph(traced: traced.graph, parameters: traced.parameters, options: options)
        outputNames = traced.outputNames
        trainedParameters = traced.trainedParameters
    }

    /// A traced (not yet optimised or lowered) train step.
    public struct TracedStep {
        public var graph: Graph
        public var parameters: [String: Parameter]
        public var outputNames: [String]
        public var trainedParameters: [String]
    }

    /// Builds the train-step graph: forward, loss, gradients, optimizer update, state assignments.
    public static func trace(models: [any Module], inputs: [(String, TensorType)], optimizer: any Optimizer,
                             trainable: ((String) -> Bool)? = nil,
                             body: (Tracer, [String: Tensor]) -> [String: Tensor]) throws -> TracedStep {
        var outputs: [String: Tensor] = [:]
        var trained: [String] = []
        let (graph, tracer) = try Tracer.trace(name: "train_step", training: true, models: models) { t in
            var feeds: [String: Tensor] = [:]
            for (name, type) in inputs { feeds[name] = t.input(name, type) }
            outputs = body(t, feeds)
            guard let loss = outputs["loss"] else {
                t.fail(ShapeError(op: "train_step", inputs: [], message: "the step body must return an output named \"loss\""))
                return
            }
            t.finishUpdates()
            t.finishStepCounter()
            guard t.error == nil else { return }
            do {
                trained = try appendUpdate(t, loss: loss, optimizer: optimizer, trainable: trainable)
            } catch {
                t.fail(error)
            }
            for name in outputs.keys.sorted() { t.builder.output(name, outputs[name]!.id) }
        }
        var parameters: [String: Parameter] = [:]
        for (name, p, _) in tracer.usedParameters { parameters[name] = p }
        return TracedStep(graph: graph, parameters: parameters, outputNames: outputs.keys.sorted(), trainedParameters: trained)
    }

    /// Gradients of the loss and the optimizer update for every trainable parameter.
    static func appendUpdate(_ t: Tracer, loss: Tensor, optimizer: any Optimizer, trainable: ((String) -> Bool)?) throws -> [String] {
        let used = t.usedParameters.filter { $0.parameter.isTrainable && (trainable?($0.name) ?? true) }
        let assigned = Set(t.builder.graph.assignments.map(\.state))
        if let clash = used.first(where: { assigned.contains($0.value) }) {
            throw ShapeError(op: "train_step", inputs: [], message: "parameter '\(clash.name)' is both trained and updated by the model; exclude it with CompileOptions.trainable")
        }
        var b = t.builder
        let lr = b.input(learningRateInput, TensorType(.f32, []))
        let stepState = b.state(optimizerStepState, TensorType(.i64, []))
        let step = try b.add(stepState, b.scalar(1, .i64))
        b.assign(stepState, step)
        b.location = nil
        let grads = try b.gradients(of: loss.id, wrt: used.map(\.value))
        let slots = SlotRecorder()
        for (entry, g) in zip(used, grads) {
            let update = ParameterUpdate(name: entry.name, value: entry.value, grad: g, type: b.type(of: entry.value),
                                         learningRate: lr, step: step, slots: slots)
            let newValue = try optimizer.apply(update, &b)
            b.assign(entry.value, newValue)
        }
        t.builder = b
        return used.map(\.name)
    }

    public var executable: Executable { compiled.executable }

    /// Runs one step with the given inputs and learning rate; returns every scalar output (e.g. "loss").
    @discardableResult
    public func run(_ feeds: [String: HostTensor], learningRate: Double) throws -> [String: Double] {
        for (name, value) in feeds { try executable.setInput(name, value) }
        return try run(learningRate: learningRate)
    }

    /// Runs one step on inputs already written to the executable's input buffers (no allocation in the step).
    @discardableResult
    public func run(learningRate: Double) throws -> [String: Double] {
        if let lr = executable.inputBuffer(TrainStep.learningRateInput) {
            lr.storeBytes(of: Float(learningRate), as: Float.self)
        }
        try executable.run()
        stepsRun += 1
        var out: [String: Double] = [:]
        for name in outputNames { if let v = executable.scalarOutput(name) { out[name] = v } }
        return out
    }

    /// Copies trained values back into the model's parameters.
    public func syncParameters() { compiled.syncParameters() }
}
