// The shared back half of compilation: run the pass pipeline, lower to an executable, and load the persistent
// states (parameters from the model, optimizer slots and counters at zero).

import KilnIR
import KilnOps
import KilnPasses
import KilnRuntime

/// A traced graph after passes and lowering, with its states bound to the model's parameters.
public final class CompiledGraph {
    /// The graph as traced (before passes).
    public let traced: Graph
    /// The graph that runs (after passes).
    public let optimized: Graph
    public let executable: Executable
    /// Model parameters by state name.
    public let parameters: [String: Parameter]

    public init(traced: Graph, parameters: [String: Parameter], options: CompileOptions) throws {
        self.traced = traced
        var pipeline = Pipeline(options.passes ?? StandardPipeline.passes())
        pipeline.observer = options.observer
        optimized = try pipeline.run(traced)
        executable = try Executable(graph: optimized, pool: options.pool)
        self.parameters = parameters
        try loadStates()
    }

    /// Uploads every model parameter; other states (optimizer slots, counters) start at zero.
    public func loadStates() throws {
        for name in executable.stateNames {
            guard let p = parameters[name] else { continue }
            guard let values = p.values else { throw ModelError.uninitialized(name) }
            try executable.setState(name, HostTensor(p.type, values.map(Double.init)))
        }
    }

    /// Copies the current state values back into the model's parameters.
    public func syncParameters() {
        for (name, p) in parameters {
            guard let value = executable.state(name) else { continue }
            p.values = value.data.map(Float.init)
        }
    }
}
