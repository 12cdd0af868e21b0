// The error every shape rule throws: it names the op, the input types and, when known, the DSL call site.

/// An op applied to inputs whose types it cannot accept.
public struct ShapeError: Error, Hashable, CustomStringConvertible {
    public var op: String
    public var inputs: [TensorType]
    public var message: String
    public var location: SourceLocation?

    public init(op: String, inputs: [TensorType], message: String, location: SourceLocation? = nil) {
        self.op = op
        self.inputs = inputs
        self.message = message
        self.location = location
    }

    public var description: String {
        let site = location.map { "\($0): " } ?? ""
        return "\(site)\(op)(\(inputs.map(\.description).joined(separator: ", "))): \(message)"
    }
}
