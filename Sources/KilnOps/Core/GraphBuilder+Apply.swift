// Applying an op to values: runs its shape rule and stamps errors with the builder's call site.

import KilnIR

extension GraphBuilder {
    /// Appends `op(inputs) {attributes}` after checking its types.
    public mutating func apply(_ op: any Op.Type, _ inputs: [ValueID], _ attributes: Attributes = [:]) throws(ShapeError) -> ValueID {
        let types = inputs.map { type(of: $0) }
        let outType: TensorType
        do {
            outType = try op.inferType(types, attributes)
        } catch var error as ShapeError {
            if error.location == nil { error.location = location }
            throw error
        } catch {
            throw ShapeError(op: op.name, inputs: types, message: "\(error)", location: location)
        }
        return append(op: op.name, inputs: inputs, type: outType, attributes: attributes)
    }

    /// A constant filled with `value`.
    public mutating func constant(_ value: Double, _ type: TensorType) -> ValueID {
        append(op: LeafOp.constant.rawValue, type: type, attributes: ["value": .float(value)])
    }

    /// A scalar constant of `dtype`.
    public mutating func scalar(_ value: Double, _ dtype: DType = .f32) -> ValueID {
        constant(value, TensorType(dtype, []))
    }

    /// A constant with explicit values (row-major).
    public mutating func constant(values: [Double], _ type: TensorType) -> ValueID {
        append(op: LeafOp.constant.rawValue, type: type, attributes: ["values": .floats(values)])
    }

    public mutating func zeros(_ type: TensorType) -> ValueID { constant(0, type) }
}

/// Reads a constant node's values.
public enum ConstantValue {
    public static func values(of node: Node) throws -> [Double] {
        if case .float(let v)? = node.attributes["value"] { return [Double](repeating: v, count: node.type.count) }
        if case .int(let v)? = node.attributes["value"] { return [Double](repeating: Double(v), count: node.type.count) }
        let values = try node.attributes.floats("values")
        guard values.count == node.type.count else {
            throw ShapeError(op: "constant", inputs: [], message: "has \(values.count) values for type \(node.type)")
        }
        return values
    }

    /// The splat value of a constant node, if every element is the same.
    public static func splat(_ node: Node) -> Double? {
        guard node.op == LeafOp.constant.rawValue else { return nil }
        if case .float(let v)? = node.attributes["value"] { return v }
        if case .int(let v)? = node.attributes["value"] { return Double(v) }
        if let values = try? values(of: node), let first = values.first, values.allSatisfy({ $0 == first }) { return first }
        return nil
    }
}
