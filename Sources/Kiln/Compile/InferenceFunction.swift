// A compiled forward function in eval mode (BN uses running statistics, dropout is off).

import KilnIR
import KilnOps
import KilnRuntime

public final class InferenceFunction {
    public let compiled: CompiledGraph
    public let outputNames: [String]

    public init(models: [any Module], inputs: [(String, TensorType)], options: CompileOptions = CompileOptions(),
                training: Bool = false, body: (Tracer, [String: Tensor]) -> [String: Tensor]) throws {
        var outputs: [String: Tensor] = [:]
        let (graph, tracer) = try Tracer.trace(name: "inference", training: training, models: models) { t in
            var feeds: [String: Tensor] = [:]
            for (name, type) in inputs { feeds[name] = t.input(name, type) }
            outputs = body(t, feeds)
            for name in outputs.keys.sorted() { t.builder.output(name, outputs[name]!.id) }
        }
        var parameters: [String: Parameter] = [:]
        for (name, p, _) in tracer.usedParameters { parameters[name] = p }
        compiled = try CompiledGraph(traced: graph, parameters: parameters, options: options)
        outputNames = outputs.keys.sorted()
    }

    public var executable: Executable { compiled.executable }

    /// Runs with the given inputs and returns every output.
    public func callAsFunction(_ feeds: [String: HostTensor]) throws -> [String: HostTensor] {
        try executable.run(feeds)
    }
}
