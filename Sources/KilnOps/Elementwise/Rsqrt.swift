// Elementwise reciprocal square root 1/√x.

import KilnIR

public enum Rsqrt: ElementwiseOp {
    public static let name = "rsqrt"
    public static let arity = 1

    public static func evaluate(_ a: Double, _ b: Double, _ c: Double, _ p: TileParameters) -> Double { 1 / a.squareRoot() }

    public static func tile(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ c: UnsafePointer<Float>,
                            _ out: UnsafeMutablePointer<Float>, _ n: Int, _ p: TileParameters) {
        mapTile(a, out, n, { 1 / $0.squareRoot() }, { 1 / $0.squareRoot() })
    }

    public static func vjp(_ c: VJPContext, _ b: inout GraphBuilder) throws -> [ValueID?] {
        // d(x^-1/2)/dx = -x^-3/2 / 2 = -y³/2.
        let y = c.output
        return [try b.mul(c.grad, try b.mul(try b.mul(y, try b.mul(y, y)), b.scalar(-0.5, c.outputType.dtype)))]
    }
}

extension GraphBuilder {
    public mutating func rsqrt(_ x: ValueID) throws(ShapeError) -> ValueID { try apply(Rsqrt.self, [x]) }
}
