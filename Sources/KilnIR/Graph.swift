// The value-type SSA graph. Nodes are stored in a topological order (every input id is smaller than the node's
// own id), so a forward walk is a valid schedule and a reverse walk a valid reverse-mode order.

/// A named graph result.
public struct GraphOutput: Hashable, Sendable {
    public var name: String
    public var value: ValueID
    public init(name: String, value: ValueID) {
        self.name = name
        self.value = value
    }
}

/// A state update `assign %state = %value`: after a run, the persistent `state` holds `value`.
/// All reads of a state in the graph see its value from before the run (updates are simultaneous).
public struct Assignment: Hashable, Sendable {
    public var state: ValueID
    public var value: ValueID
    public init(state: ValueID, value: ValueID) {
        self.state = state
        self.value = value
    }
}

/// A static, single-assignment tensor graph: a node list in topological order, named outputs and state updates.
public struct Graph: Hashable, Sendable {
    public var name: String
    public var nodes: [Node]
    public var outputs: [GraphOutput]
    public var assignments: [Assignment]

    public init(name: String, nodes: [Node] = [], outputs: [GraphOutput] = [], assignments: [Assignment] = []) {
        self.name = name
        self.nodes = nodes
        self.outputs = outputs
        self.assignments = assignments
    }

    public subscript(id: ValueID) -> Node {
        get { nodes[id.index] }
        set { nodes[id.index] = newValue }
    }

    public var ids: [ValueID] { nodes.indices.map(ValueID.init) }
    public func type(of id: ValueID) -> TensorType { nodes[id.index].type }

    /// Ids of nodes with the given leaf op, in order.
    public func leaves(_ op: LeafOp) -> [ValueID] {
        nodes.indices.filter { nodes[$0].op == op.rawValue }.map(ValueID.init)
    }

    /// The leaf node whose `name` attribute is `name`.
    public func leaf(named name: String, _ op: LeafOp) -> ValueID? {
        nodes.indices.first { nodes[$0].op == op.rawValue && nodes[$0].attributes["name"] == .string(name) }
            .map(ValueID.init)
    }

    public func output(named name: String) -> ValueID? { outputs.first { $0.name == name }?.value }

    /// For each value, the nodes that read it (duplicates removed, in order).
    public func users() -> [[ValueID]] {
        var users = [[ValueID]](repeating: [], count: nodes.count)
        for (i, node) in nodes.enumerated() {
            for input in node.inputs where users[input.index].last != ValueID(i) {
                users[input.index].append(ValueID(i))
            }
        }
        return users
    }

    /// Values read by outputs or assignments (they must be kept alive to the end of a run).
    public var rootValues: [ValueID] { outputs.map(\.value) + assignments.flatMap { [$0.state, $0.value] } }

    /// Appends a node and returns its id.
    @discardableResult
    public mutating func append(_ node: Node) -> ValueID {
        nodes.append(node)
        return ValueID(nodes.count - 1)
    }

    /// Keeps only the nodes that `keep` marks (which must be closed under inputs of kept nodes and contain every
    /// root) and renumbers them densely, preserving order. Returns the new graph and the old → new id map.
    public func compacted(keeping keep: [Bool]) -> (Graph, [ValueID?]) {
        var map = [ValueID?](repeating: nil, count: nodes.count)
        var out = Graph(name: name)
        out.nodes.reserveCapacity(keep.lazy.filter { $0 }.count)
        for (i, node) in nodes.enumerated() where keep[i] {
            var copy = node
            copy.inputs = node.inputs.map { map[$0.index]! }
            map[i] = out.append(copy)
        }
        out.outputs = outputs.map { GraphOutput(name: $0.name, value: map[$0.value.index]!) }
        out.assignments = assignments.map { Assignment(state: map[$0.state.index]!, value: map[$0.value.index]!) }
        return (out, map)
    }

    /// Reorders nodes into the given schedule (a permutation of all ids that respects data dependencies) and
    /// renumbers them. Returns nil when `order` is not a valid topological order.
    public func reordered(_ order: [ValueID]) -> Graph? {
        guard order.count == nodes.count else { return nil }
        var map = [ValueID?](repeating: nil, count: nodes.count)
        var out = Graph(name: name)
        for old in order {
            guard map[old.index] == nil else { return nil }
            var copy = nodes[old.index]
            var inputs: [ValueID] = []
            for input in copy.inputs {
                guard let mapped = map[input.index] else { return nil }
                inputs.append(mapped)
            }
            copy.inputs = inputs
            map[old.index] = out.append(copy)
        }
        out.outputs = outputs.map { GraphOutput(name: $0.name, value: map[$0.value.index]!) }
        out.assignments = assignments.map { Assignment(state: map[$0.state.index]!, value: map[$0.value.index]!) }
        return out
    }
}
