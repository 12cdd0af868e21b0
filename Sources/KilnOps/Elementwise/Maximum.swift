// Elementwise maximum with broadcasting; NaN propagates.

import KilnIR

public enum Maximum: ElementwiseOp {
    public static let name = "maximum"
    public static let arity = 2

    public static func evaluate(_ a: Double, _ b: Double, _ c: Double, _ p: TileParameters) -> Double { a.isNaN || b.isNaN ? .nan : Swift.max(a, b) }

    public static func tile(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ c: UnsafePointer<Float>,
                            _ out: UnsafeMutablePointer<Float>, _ n: Int, _ p: TileParameters) {
        zipTile(a, b, out, n, { $0.replacing(with: $1, where: $1 .> $0) }, { $0.isNaN || $1.isNaN ? .nan : Swift.max($0, $1) })
    }

    public static func vjp(_ c: VJPContext, _ b: inout GraphBuilder) throws -> [ValueID?] {
        // NOTE: ties send the whole gradient to the first operand (a subgradient; finite differences avoid ties).
        let zero = b.scalar(0, c.outputType.dtype)
        let takeA = try b.greaterEqual(c.inputs[0], c.inputs[1])
        return [c.wants[0] ? try b.select(takeA, c.grad, zero) : nil,
                c.wants[1] ? try b.select(takeA, zero, c.grad) : nil]
    }
}

extension GraphBuilder {
    public mutating func maximum(_ x: ValueID, _ y: ValueID) throws(ShapeError) -> ValueID { try apply(Maximum.self, [x, y]) }
}
