// The reference interpreter: runs a graph with the Double reference kernels, holding persistent state between
// runs. Slow and simple on purpose; every fast path (kernels, passes, the executor) is tested against it.

import KilnIR
import KilnOps

public final class Interpreter {
    public let graph: Graph
    /// Persistent state values by name.
    public var states: [String: HostTensor]

    /// An input or state that is missing or has the wrong type.
    public struct BindingError: Error, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }

    public init(graph: Graph, states: [String: HostTensor] = [:]) throws {
        try OpRegistry.verify(graph)
        self.graph = graph
        self.states = states
    }

    /// Runs once: returns the named outputs and applies the graph's state assignments.
    @discardableResult
    public func run(_ inputs: [String: HostTensor] = [:]) throws -> [String: HostTensor] {
        let values = try ReferenceEvaluator.evaluate(graph) { _, node in
            guard case .string(let name)? = node.attributes["name"] else {
                throw BindingError(message: "\(node.op) without a name")
            }
            let source = node.op == LeafOp.input.rawValue ? inputs[name] : states[name]
            guard let value = source else { throw BindingError(message: "no value for \(node.op) '\(name)' (\(node.type))") }
            guard value.type == node.type else {
                throw BindingError(message: "\(node.op) '\(name)' expects \(node.type), got \(value.type)")
            }
            return value
        }
        for a in graph.assignments {
            if case .string(let name)? = graph[a.state].attributes["name"] { states[name] = values[a.value.index] }
        }
        var outputs: [String: HostTensor] = [:]
        for o in graph.outputs { outputs[o.name] = values[o.value.index] }
        return outputs
    }
}
