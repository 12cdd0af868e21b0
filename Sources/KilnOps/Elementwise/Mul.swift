// Elementwise multiplication with broadcasting.

import KilnIR

public enum Mul: ElementwiseOp {
    public static let name = "mul"
    public static let arity = 2

    public static func evaluate(_ a: Double, _ b: Double, _ c: Double, _ p: TileParameters) -> Double { a * b }

    public static func tile(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ c: UnsafePointer<Float>,
                            _ out: UnsafeMutablePointer<Float>, _ n: Int, _ p: TileParameters) {
        zipTile(a, b, out, n, { $0 * $1 }, { $0 * $1 })
    }

    public static func vjp(_ c: VJPContext, _ b: inout GraphBuilder) throws -> [ValueID?] {
        [c.wants[0] ? try b.mul(c.grad, c.inputs[1]) : nil,
         c.wants[1] ? try b.mul(c.grad, c.inputs[0]) : nil]
    }
}

extension GraphBuilder {
    public mutating func mul(_ x: ValueID, _ y: ValueID) throws(ShapeError) -> ValueID { try apply(Mul.self, [x, y]) }
}
