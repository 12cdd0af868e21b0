// The IR verifier: structural invariants of a graph, plus (given the op library's type rule) that every node's
// recorded type is what its op infers from its inputs. The pass pipeline runs it after every pass.

/// A violated graph invariant, naming the node.
public struct VerifierError: Error, Hashable, CustomStringConvertible {
    public var graph: String
    public var node: Int?
    public var message: String
    public var description: String {
        "graph @\(graph)" + (node.map { ", %\($0)" } ?? "") + ": " + message
    }
}

public enum Verifier {
    /// Infers a node's type from its input types; supplied by the op library (KilnOps).
    public typealias TypeRule = (_ node: Node, _ inputTypes: [TensorType]) throws -> TensorType

    /// Checks `graph`; with `typeRule`, also re-infers every node type (recursing into fused bodies).
    public static func verify(_ graph: Graph, typeRule: TypeRule? = nil) throws(VerifierError) {
        func fail(_ node: Int?, _ message: String) -> VerifierError {
            VerifierError(graph: graph.name, node: node, message: message)
        }
        var names: [String: Int] = [:]
        for (i, node) in graph.nodes.enumerated() {
            for input in node.inputs where !(0..<i).contains(input.index) {
                throw fail(i, "operand \(input) of \(node.op) is not defined before it")
            }
            if node.type.shape.contains(where: { $0 < 0 }) { throw fail(i, "negative dimension in \(node.type)") }
            if let leaf = LeafOp(rawValue: node.op) {
                guard node.inputs.isEmpty else { throw fail(i, "\(node.op) takes no operands") }
                if leaf != .constant {
                    guard case .string(let name)? = node.attributes["name"] else {
                        throw fail(i, "\(node.op) needs a string attribute 'name'")
                    }
                    if let other = names[name] { throw fail(i, "name \"\(name)\" is already used by %\(other)") }
                    names[name] = i
                }
            }
            if let typeRule, !node.isLeaf || node.op == LeafOp.constant.rawValue {
                let inferred: TensorType
                do {
                    inferred = try typeRule(node, node.inputs.map { graph.nodes[$0.index].type })
                } catch {
                    throw fail(i, "\(error)")
                }
                if inferred != node.type {
                    throw fail(i, "\(node.op) produces \(inferred) but the node is typed \(node.type)")
                }
            }
        }
        let count = graph.nodes.count
        var outputNames = Set<String>()
        for output in graph.outputs {
            guard (0..<count).contains(output.value.index) else { throw fail(nil, "output \(output.name) refers to undefined \(output.value)") }
            guard outputNames.insert(output.name).inserted else { throw fail(nil, "output name \(output.name) is used twice") }
        }
        var assigned = Set<ValueID>()
        for a in graph.assignments {
            guard (0..<count).contains(a.state.index), (0..<count).contains(a.value.index) else {
                throw fail(nil, "assign \(a.state) = \(a.value) refers to an undefined value")
            }
            guard graph[a.state].op == LeafOp.state.rawValue else {
                throw fail(a.state.index, "assign target must be a state, not \(graph[a.state].op)")
            }
            guard graph[a.state].type == graph[a.value].type else {
                throw fail(a.state.index, "assign of \(graph[a.value].type) to a state of type \(graph[a.state].type)")
            }
            guard assigned.insert(a.state).inserted else { throw fail(a.state.index, "state is assigned twice") }
        }
    }
}
