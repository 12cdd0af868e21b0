// Elementwise negation.

import KilnIR

public enum Neg: ElementwiseOp {
    public static let name = "neg"
    public static let arity = 1

    public static func evaluate(_ a: Double, _ b: Double, _ c: Double, _ p: TileParameters) -> Double { -a }

    public static func tile(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ c: UnsafePointer<Float>,
                            _ out: UnsafeMutablePointer<Float>, _ n: Int, _ p: TileParameters) {
        mapTile(a, out, n, { -$0 }, { -$0 })
    }

    public static func vjp(_ c: VJPContext, _ b: inout GraphBuilder) throws -> [ValueID?] {
        [try b.neg(c.grad)]
    }
}

extension GraphBuilder {
    public mutating func neg(_ x: ValueID) throws(ShapeError) -> ValueID { try apply(Neg.self, [x]) }
}
