// Elementwise absolute value.

import KilnIR

public enum Abs: ElementwiseOp {
    public static let name = "abs"
    public static let arity = 1

    public static func evaluate(_ a: Double, _ b: Double, _ c: Double, _ p: TileParameters) -> Double { Swift.abs(a) }

    public static func tile(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ c: UnsafePointer<Float>,
                            _ out: UnsafeMutablePointer<Float>, _ n: Int, _ p: TileParameters) {
        mapTile(a, out, n, { $0.replacing(with: -$0, where: $0 .< 0) }, { Swift.abs($0) })
    }

    public static func vjp(_ c: VJPContext, _ b: inout GraphBuilder) throws -> [ValueID?] {
        // d|x|/dx = sign(x), 0 at 0.
        let zero = b.scalar(0, c.outputType.dtype)
        let sign = try b.sub(try b.cast(try b.greater(c.inputs[0], zero), c.outputType.dtype),
                             try b.cast(try b.less(c.inputs[0], zero), c.outputType.dtype))
        return [try b.mul(c.grad, sign)]
    }
}

extension GraphBuilder {
    public mutating func abs(_ x: ValueID) throws(ShapeError) -> ValueID { try apply(Abs.self, [x]) }
}
