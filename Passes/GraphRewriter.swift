// Rebuilding a graph node by node: the machinery shared by the rewriting passes (CSE, constant folding,
// algebraic simplification), so that each pass only states *what* replaces a node.
//
// Contract of `GraphRewriter.rewrite(graph, pass:) { rw, node in ... }`:
//   1. Nodes are visited in order. The closure sees each node with its operands already mapped into the new graph
//      (so it sees operands that earlier rewrites produced) and returns the value that stands for the node there:
//      `rw.keep(node)` copies it, `rw.emit(...)` / `rw.constant(...)` append a replacement, or any value already in
//      the new graph may be returned.
//   2. A replacement must have exactly the replaced node's type; a mismatch is a thrown `RewriteError` naming the
//      pass and the node (a bug in a rule, never silently accepted).
//   3. Nodes appended by `emit` inherit the replaced node's source location and annotations; kept nodes keep their
//      own. Outputs and assignments are remapped.
//   4. Values left unused *by the rewrite* are swept: the result keeps what reaches an output or assignment, every
//      input and state, and whatever was already unused before (removing that is DCE's job, so only `dce` changes a
//      graph's interface). A rewrite that replaces nothing returns the graph unchanged.

import Foundation
import KilnIR
import KilnOps

/// Builds the rewritten graph; passes receive it `inout` in their per-node closure.
public struct GraphRewriter {
    /// The graph under construction (operand ids seen by the closure refer to it).
    public private(set) var graph: Graph
    /// The id, in the source graph, of the node being visited (for logs and errors).
    public private(set) var sourceID = ValueID(0)
    private var current: Node?
    private var keptID: ValueID?

    private init(name: String) { graph = Graph(name: name) }

    /// A node of the graph under construction.
    public func node(_ id: ValueID) -> Node { graph[id] }
    public func type(of id: ValueID) -> TensorType { graph.type(of: id) }

    /// Copies the visited node unchanged into the new graph.
    public mutating func keep(_ node: Node) -> ValueID {
        let id = graph.append(node)
        keptID = id
        return id
    }

    /// Appends `op(inputs) {attributes}` (type inferred by the op's shape rule), stamped with the visited node's
    /// location and annotations.
    public mutating func emit(_ op: any Op.Type, _ inputs: [ValueID], _ attributes: Attributes = [:]) throws -> ValueID {
        let type = try op.inferType(inputs.map { graph.type(of: $0) }, attributes)
        return append(Node(op: op.name, inputs: inputs, type: type, attributes: attributes))
    }

    /// Appends a constant holding `value`: a splat `value` attribute when every element is the same (bit for bit),
    /// else one `values` entry per element.
    public mutating func constant(_ value: HostTensor) -> ValueID {
        append(Node(op: LeafOp.constant.rawValue, inputs: [], type: value.type, attributes: Self.constantAttributes(value.data)))
    }

    /// The attributes of a constant with these row-major values.
    public static func constantAttributes(_ values: [Double]) -> Attributes {
        if let first = values.first, values.allSatisfy({ $0.bitPattern == first.bitPattern }) {
            return ["value": .float(first)]
        }
        return ["values": .floats(values)]
    }

    private mutating func append(_ node: Node) -> ValueID {
        var node = node
        node.location = current?.location
        node.annotations = current?.annotations ?? []
        return graph.append(node)
    }

    /// Rebuilds `source`, asking `body` for the value that stands for each node (see the file header).
    public static func rewrite(_ source: Graph, pass: String,
                               _ body: (inout GraphRewriter, Node) throws -> ValueID) throws -> Graph {
        var rw = GraphRewriter(name: source.name)
        rw.graph.nodes.reserveCapacity(source.nodes.count)
        var map: [ValueID] = []
        map.reserveCapacity(source.nodes.count)
        var replaced = false
        for (i, original) in source.nodes.enumerated() {
            var node = original
            node.inputs = original.inputs.map { map[$0.index] }
            rw.sourceID = ValueID(i)
            rw.current = node
            rw.keptID = nil
            let result = try body(&rw, node)
            guard result.index < rw.graph.nodes.count else {
                throw RewriteError(pass: pass, node: ValueID(i), message: "replacement \(result) does not exist")
            }
            if result != rw.keptID {
                let replacementType = rw.graph.type(of: result)
                guard replacementType == original.type else {
                    throw RewriteError(pass: pass, node: ValueID(i), message:
                        "\(original.op) of type \(original.type) replaced by a value of type \(replacementType)")
                }
                replaced = true
            }
            map.append(result)
        }
        guard replaced else { return source }
        rw.graph.outputs = source.outputs.map { GraphOutput(name: $0.name, value: map[$0.value.index]) }
        rw.graph.assignments = source.assignments.map { Assignment(state: map[$0.state.index], value: map[$0.value.index]) }

        // Roots of the sweep: the graph's roots, every input and state, and copies of nodes that were unused before.
        let usedBefore = reachable(source, from: source.rootValues)
        var roots = rw.graph.rootValues
        for (i, node) in source.nodes.enumerated() where !usedBefore[i] || node.op == LeafOp.input.rawValue
            || node.op == LeafOp.state.rawValue {
            roots.append(map[i])
        }
        return rw.graph.compacted(keeping: reachable(rw.graph, from: roots)).0
    }

    /// Marks every value that `roots` depend on.
    static func reachable(_ graph: Graph, from roots: [ValueID]) -> [Bool] {
        var live = [Bool](repeating: false, count: graph.nodes.count)
        for root in roots { live[root.index] = true }
        for i in graph.nodes.indices.reversed() where live[i] {
            for input in graph.nodes[i].inputs { live[input.index] = true }
        }
        return live
    }
}

/// A rewrite rule produced an invalid replacement.
public struct RewriteError: Error, CustomStringConvertible {
    public var pass: String
    public var node: ValueID
    public var message: String
    public var description: String { "\(pass): at \(node): \(message)" }
}

/// Whether KILN_VERBOSE asks passes to log each rewrite to stderr.
enum PassLog {
    static var verbose: Bool { ProcessInfo.processInfo.environment["KILN_VERBOSE"].map { $0 != "" && $0 != "0" } ?? false }

    static func write(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }
}
