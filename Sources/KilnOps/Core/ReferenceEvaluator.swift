// Evaluates a graph with the reference kernels (Double): the semantics every fast path is tested against.
// Used by the interpreter, the gradient checks and the reference kernel of fused nodes.

import KilnIR

public enum ReferenceEvaluator {
    /// A node whose op is unknown or whose operand values do not fit.
    public struct EvaluationError: Error, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }

    /// Values of every node of `graph`. `leaf(id, node)` supplies `input` and `state` values; constants are read
    /// from their attributes. Results are rounded to each node's dtype (f32 rounding, integer truncation).
    public static func evaluate(_ graph: Graph, leaf: (ValueID, Node) throws -> HostTensor) throws -> [HostTensor] {
        var values: [HostTensor] = []
        values.reserveCapacity(graph.nodes.count)
        for (i, node) in graph.nodes.enumerated() {
            let id = ValueID(i)
            let value: HostTensor
            switch LeafOp(rawValue: node.op) {
            case .input?, .state?:
                let v = try leaf(id, node)
                guard v.type == node.type else {
                    throw EvaluationError(message: "\(node.op) \(id) expects \(node.type), got \(v.type)")
                }
                value = v
            case .constant?:
                value = HostTensor(node.type, try ConstantValue.values(of: node))
            case nil:
                guard let op = OpRegistry.op(named: node.op) else {
                    throw EvaluationError(message: "unknown op '\(node.op)' at \(id)")
                }
                value = try op.reference(node.inputs.map { values[$0.index] }, node)
            }
            values.append(value.rounded())
        }
        return values
    }
}
