// Elementwise comparison `a > b` with broadcasting; produces bool and has no gradient.

import KilnIR

public enum Greater: ElementwiseOp {
    public static let name = "greater"
    public static let arity = 2

    public static func resultDType(_ inputs: [TensorType], _ attributes: Attributes) throws -> DType {
        guard inputs[0].dtype == inputs[1].dtype else { throw shapeError(inputs, "operands must have the same element type") }
        return .bool
    }

    public static func evaluate(_ a: Double, _ b: Double, _ c: Double, _ p: TileParameters) -> Double { a > b ? 1 : 0 }

    public static func tile(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ c: UnsafePointer<Float>,
                            _ out: UnsafeMutablePointer<Float>, _ n: Int, _ p: TileParameters) {
        zipTile(a, b, out, n, { maskToFloat($0 .> $1) }, { $0 > $1 ? 1 : 0 })
    }

    public static func vjp(_ c: VJPContext, _ b: inout GraphBuilder) throws -> [ValueID?] { [nil, nil] }
}

extension GraphBuilder {
    public mutating func greater(_ x: ValueID, _ y: ValueID) throws(ShapeError) -> ValueID { try apply(Greater.self, [x, y]) }
}
