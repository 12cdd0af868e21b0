// One SSA node: an op applied to earlier values, producing exactly one value of a static type.

/// The id of a value: the index of the node that defines it within its graph.
public struct ValueID: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var index: Int
    public init(_ index: Int) { self.index = index }
    public static func < (a: ValueID, b: ValueID) -> Bool { a.index < b.index }
    public var description: String { "%\(index)" }
}

/// Where a node came from in user code; printed as `#src(file:line)`.
public struct SourceLocation: Hashable, Sendable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public init(file: String, line: Int) {
        self.file = file
        self.line = line
    }
    public var description: String { "\(file):\(line)" }
}

/// An SSA node. Leaves are `input` (fed each run), `state` (persistent, updated by `assign`) and `constant`.
///
/// Equality and hashing cover the op, inputs, type and attributes only: the source location and printer
/// annotations are metadata, so two nodes that compute the same thing compare equal (this is what CSE keys on).
public struct Node: Hashable, Sendable {
    public var op: String
    public var inputs: [ValueID]
    public var type: TensorType
    public var attributes: Attributes
    public var location: SourceLocation?
    /// Extra `#name(args)` annotations kept verbatim (e.g. `buf(0,4096)` from the memory planner).
    public var annotations: [String]

    public init(op: String, inputs: [ValueID], type: TensorType, attributes: Attributes = [:],
                location: SourceLocation? = nil, annotations: [String] = []) {
        self.op = op
        self.inputs = inputs
        self.type = type
        self.attributes = attributes
        self.location = location
        self.annotations = annotations
    }

    public static func == (a: Node, b: Node) -> Bool {
        a.op == b.op && a.inputs == b.inputs && a.type == b.type && a.attributes == b.attributes
    }

    public func hash(into h: inout Hasher) {
        h.combine(op)
        h.combine(inputs)
        h.combine(type)
        h.combine(attributes)
    }

    /// Leaf ops carry no inputs.
    public var isLeaf: Bool { LeafOp(rawValue: op) != nil }
}

/// The three leaf ops every graph understands.
public enum LeafOp: String, CaseIterable, Sendable {
    case input, state, constant
}
