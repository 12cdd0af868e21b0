// Elementwise e^x.

import Foundation
import KilnIR
import KilnKernels

public enum Exp: ElementwiseOp {
    public static let name = "exp"
    public static let arity = 1

    public static func evaluate(_ a: Double, _ b: Double, _ c: Double, _ p: TileParameters) -> Double { Foundation.exp(a) }

    public static func tile(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ c: UnsafePointer<Float>,
                            _ out: UnsafeMutablePointer<Float>, _ n: Int, _ p: TileParameters) {
        VMath.apply(VMath.exp, x: a, y: out, count: n)
    }

    public static func vjp(_ c: VJPContext, _ b: inout GraphBuilder) throws -> [ValueID?] {
        [try b.mul(c.grad, c.output)]
    }
}

extension GraphBuilder {
    public mutating func exp(_ x: ValueID) throws(ShapeError) -> ValueID { try apply(Exp.self, [x]) }
}
