// Hyperbolic tangent.

import Foundation
import KilnIR
import KilnKernels

public enum Tanh: ElementwiseOp {
    public static let name = "tanh"
    public static let arity = 1

    public static func evaluate(_ a: Double, _ b: Double, _ c: Double, _ p: TileParameters) -> Double { Foundation.tanh(a) }

    public static func tile(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ c: UnsafePointer<Float>,
                            _ out: UnsafeMutablePointer<Float>, _ n: Int, _ p: TileParameters) {
        VMath.apply(VMath.tanh, x: a, y: out, count: n)
    }

    public static func vjp(_ c: VJPContext, _ b: inout GraphBuilder) throws -> [ValueID?] {
        // tanh' = 1 − tanh²: reuse the forward value.
        let y = c.output
        return [try b.mul(c.grad, try b.sub(b.scalar(1, c.outputType.dtype), try b.mul(y, y)))]
    }
}

extension GraphBuilder {
    public mutating func tanh(_ x: ValueID) throws(ShapeError) -> ValueID { try apply(Tanh.self, [x]) }
}
