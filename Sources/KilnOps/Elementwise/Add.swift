// Elementwise addition with broadcasting.

import KilnIR

public enum Add: ElementwiseOp {
    public static let name = "add"
    public static let arity = 2

    public static func evaluate(_ a: Double, _ b: Double, _ c: Double, _ p: TileParameters) -> Double { a + b }

    public static func tile(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ c: UnsafePointer<Float>,
                            _ out: UnsafeMutablePointer<Float>, _ n: Int, _ p: TileParameters) {
        zipTile(a, b, out, n, { $0 + $1 }, { $0 + $1 })
    }

    public static func vjp(_ c: VJPContext, _ b: inout GraphBuilder) throws -> [ValueID?] {
        [c.grad, c.grad]
    }
}

extension GraphBuilder {
    public mutating func add(_ x: ValueID, _ y: ValueID) throws(ShapeError) -> ValueID { try apply(Add.self, [x, y]) }
}
