// Logistic sigmoid 1 / (1 + e^-x), computed without overflow for large |x|.

import Foundation
import KilnIR
import KilnKernels

public enum Sigmoid: ElementwiseOp {
    public static let name = "sigmoid"
    public static let arity = 1

    public static func evaluate(_ a: Double, _ b: Double, _ c: Double, _ p: TileParameters) -> Double { a >= 0 ? 1 / (1 + Foundation.exp(-a)) : Foundation.exp(a) / (1 + Foundation.exp(a)) }

    public static func tile(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ c: UnsafePointer<Float>,
                            _ out: UnsafeMutablePointer<Float>, _ n: Int, _ p: TileParameters) {
        VMath.apply(VMath.sigmoid, x: a, y: out, count: n)
    }

    public static func vjp(_ c: VJPContext, _ b: inout GraphBuilder) throws -> [ValueID?] {
        // σ' = σ(1 − σ): reuse the forward value.
        let y = c.output
        return [try b.mul(c.grad, try b.mul(y, try b.sub(b.scalar(1, c.outputType.dtype), y)))]
    }
}

extension GraphBuilder {
    public mutating func sigmoid(_ x: ValueID) throws(ShapeError) -> ValueID { try apply(Sigmoid.self, [x]) }
}

