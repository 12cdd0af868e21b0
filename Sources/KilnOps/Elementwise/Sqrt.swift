// Elementwise square root.

import KilnIR

public enum Sqrt: ElementwiseOp {
    public static let name = "sqrt"
    public static let arity = 1

    public static func evaluate(_ a: Double, _ b: Double, _ c: Double, _ p: TileParameters) -> Double { a.squareRoot() }

    public static func tile(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ c: UnsafePointer<Float>,
                            _ out: UnsafeMutablePointer<Float>, _ n: Int, _ p: TileParameters) {
        mapTile(a, out, n, { $0.squareRoot() }, { $0.squareRoot() })
    }

    public static func vjp(_ c: VJPContext, _ b: inout GraphBuilder) throws -> [ValueID?] {
        // d√x/dx = 1 / (2√x): reuse the forward value.
        [try b.div(c.grad, try b.mul(c.output, b.scalar(2, c.outputType.dtype)))]
    }
}

extension GraphBuilder {
    public mutating func sqrt(_ x: ValueID) throws(ShapeError) -> ValueID { try apply(Sqrt.self, [x]) }
}
