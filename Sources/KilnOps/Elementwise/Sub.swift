// Elementwise subtraction with broadcasting.

import KilnIR

public enum Sub: ElementwiseOp {
    public static let name = "sub"
    public static let arity = 2

    public static func evaluate(_ a: Double, _ b: Double, _ c: Double, _ p: TileParameters) -> Double { a - b }

    public static func tile(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ c: UnsafePointer<Float>,
                            _ out: UnsafeMutablePointer<Float>, _ n: Int, _ p: TileParameters) {
        zipTile(a, b, out, n, { $0 - $1 }, { $0 - $1 })
    }

    public static func vjp(_ c: VJPContext, _ b: inout GraphBuilder) throws -> [ValueID?] {
        [c.grad, c.wants[1] ? try b.neg(c.grad) : nil]
    }
}

extension GraphBuilder {
    public mutating func sub(_ x: ValueID, _ y: ValueID) throws(ShapeError) -> ValueID { try apply(Sub.self, [x, y]) }
}
