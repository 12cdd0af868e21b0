// select(cond, a, b): a where cond is true, else b, with broadcasting over all three operands.

import KilnIR

public enum Select: ElementwiseOp {
    public static let name = "select"
    public static let arity = 3

    public static func resultDType(_ inputs: [TensorType], _ attributes: Attributes) throws -> DType {
        guard inputs[0].dtype == .bool else { throw shapeError(inputs, "the condition must be bool") }
        guard inputs[1].dtype == inputs[2].dtype else { throw shapeError(inputs, "both branches must have the same element type") }
        return inputs[1].dtype
    }

    public static func evaluate(_ a: Double, _ b: Double, _ c: Double, _ p: TileParameters) -> Double { a != 0 ? b : c }

    public static func tile(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ c: UnsafePointer<Float>,
                            _ out: UnsafeMutablePointer<Float>, _ n: Int, _ p: TileParameters) {
        var i = 0
        while i + 16 <= n {
            store16(load16(c, i).replacing(with: load16(b, i), where: load16(a, i) .!= 0), out, i)
            i += 16
        }
        while i < n { out[i] = a[i] != 0 ? b[i] : c[i]; i += 1 }
    }

    public static func vjp(_ c: VJPContext, _ b: inout GraphBuilder) throws -> [ValueID?] {
        let zero = b.scalar(0, c.outputType.dtype)
        return [nil,
                c.wants[1] ? try b.select(c.inputs[0], c.grad, zero) : nil,
                c.wants[2] ? try b.select(c.inputs[0], zero, c.grad) : nil]
    }
}

extension GraphBuilder {
    public mutating func select(_ condition: ValueID, _ x: ValueID, _ y: ValueID) throws(ShapeError) -> ValueID {
        try apply(Select.self, [condition, x, y])
    }
}
