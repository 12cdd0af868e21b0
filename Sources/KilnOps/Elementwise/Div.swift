// Elementwise division with broadcasting (IEEE semantics: x/0 = ±inf, 0/0 = nan).

import KilnIR

public enum Div: ElementwiseOp {
    public static let name = "div"
    public static let arity = 2

    public static func evaluate(_ a: Double, _ b: Double, _ c: Double, _ p: TileParameters) -> Double { a / b }

    public static func tile(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ c: UnsafePointer<Float>,
                            _ out: UnsafeMutablePointer<Float>, _ n: Int, _ p: TileParameters) {
        zipTile(a, b, out, n, { $0 / $1 }, { $0 / $1 })
    }

    public static func vjp(_ c: VJPContext, _ b: inout GraphBuilder) throws -> [ValueID?] {
        // d(a/b)/db = -(a/b)/b: reuse the forward value.
        [c.wants[0] ? try b.div(c.grad, c.inputs[1]) : nil,
         c.wants[1] ? try b.neg(try b.mul(c.grad, try b.div(c.output, c.inputs[1]))) : nil]
    }
}

extension GraphBuilder {
    public mutating func div(_ x: ValueID, _ y: ValueID) throws(ShapeError) -> ValueID { try apply(Div.self, [x, y]) }
}
