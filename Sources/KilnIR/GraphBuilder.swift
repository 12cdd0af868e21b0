// Appends nodes to a graph under construction. The op library (KilnOps) extends it with one typed method per
// op (`b.add(x, y)`, `b.conv2d(x, w, ...)`) that runs the op's shape rule before appending.

/// A graph under construction, with the call site stamped onto every node it appends.
public struct GraphBuilder: Sendable {
    public var graph: Graph
    /// The DSL call site recorded on nodes appended from now on.
    public var location: SourceLocation?

    public init(name: String) { graph = Graph(name: name) }
    public init(graph: Graph) { self.graph = graph }

    public func type(of id: ValueID) -> TensorType { graph.nodes[id.index].type }
    public func node(_ id: ValueID) -> Node { graph.nodes[id.index] }

    /// Appends a node with an already-inferred type.
    @discardableResult
    public mutating func append(op: String, inputs: [ValueID] = [], type: TensorType,
                                attributes: Attributes = [:]) -> ValueID {
        graph.append(Node(op: op, inputs: inputs, type: type, attributes: attributes, location: location))
    }

    /// A fed input, read from the caller each run.
    public mutating func input(_ name: String, _ type: TensorType) -> ValueID {
        append(op: LeafOp.input.rawValue, type: type, attributes: ["name": .string(name)])
    }

    /// A persistent state (parameter, optimizer slot, running statistic, queue).
    public mutating func state(_ name: String, _ type: TensorType) -> ValueID {
        append(op: LeafOp.state.rawValue, type: type, attributes: ["name": .string(name)])
    }

    public mutating func output(_ name: String, _ value: ValueID) {
        graph.outputs.append(GraphOutput(name: name, value: value))
    }

    public mutating func assign(_ state: ValueID, _ value: ValueID) {
        graph.assignments.append(Assignment(state: state, value: value))
    }
}
