// Elementwise natural logarithm (log 0 = -inf, log of a negative number = nan).

import Foundation
import KilnIR
import KilnKernels

public enum Log: ElementwiseOp {
    public static let name = "log"
    public static let arity = 1

    public static func evaluate(_ a: Double, _ b: Double, _ c: Double, _ p: TileParameters) -> Double { Foundation.log(a) }

    public static func tile(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ c: UnsafePointer<Float>,
                            _ out: UnsafeMutablePointer<Float>, _ n: Int, _ p: TileParameters) {
        VMath.apply(VMath.log, x: a, y: out, count: n)
    }

    public static func vjp(_ c: VJPContext, _ b: inout GraphBuilder) throws -> [ValueID?] {
        [try b.div(c.grad, c.inputs[0])]
    }
}

extension GraphBuilder {
    public mutating func log(_ x: ValueID) throws(ShapeError) -> ValueID { try apply(Log.self, [x]) }
}
