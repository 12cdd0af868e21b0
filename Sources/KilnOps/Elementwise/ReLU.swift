// Rectified linear unit max(x, 0).

import KilnIR

public enum ReLU: ElementwiseOp {
    public static let name = "relu"
    public static let arity = 1

    public static func evaluate(_ a: Double, _ b: Double, _ c: Double, _ p: TileParameters) -> Double { a > 0 ? a : 0 }

    public static func tile(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ c: UnsafePointer<Float>,
                            _ out: UnsafeMutablePointer<Float>, _ n: Int, _ p: TileParameters) {
        mapTile(a, out, n, { $0.replacing(with: 0, where: .!($0 .> 0)) }, { $0 > 0 ? $0 : 0 })
    }

    public static func vjp(_ c: VJPContext, _ b: inout GraphBuilder) throws -> [ValueID?] {
        // NOTE: select on x > 0 (not maximum's VJP) so the gradient at exactly 0 is 0, as in PyTorch.
        let zero = b.scalar(0, c.outputType.dtype)
        return [try b.select(try b.greater(c.inputs[0], zero), c.grad, zero)]
    }
}

extension GraphBuilder {
    public mutating func relu(_ x: ValueID) throws(ShapeError) -> ValueID { try apply(ReLU.self, [x]) }
}
