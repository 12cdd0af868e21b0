// Elementwise power a^b with broadcasting (C `pow` semantics).

import Foundation
import KilnIR

public enum Pow: ElementwiseOp {
    public static let name = "pow"
    public static let arity = 2

    public static func evaluate(_ a: Double, _ b: Double, _ c: Double, _ p: TileParameters) -> Double { Foundation.pow(a, b) }

    public static func tile(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ c: UnsafePointer<Float>,
                            _ out: UnsafeMutablePointer<Float>, _ n: Int, _ p: TileParameters) {
        zipTile(a, b, out, n, { F16(Foundation.pow($0[0], $1[0]), Foundation.pow($0[1], $1[1]), Foundation.pow($0[2], $1[2]), Foundation.pow($0[3], $1[3]), Foundation.pow($0[4], $1[4]), Foundation.pow($0[5], $1[5]), Foundation.pow($0[6], $1[6]), Foundation.pow($0[7], $1[7]), Foundation.pow($0[8], $1[8]), Foundation.pow($0[9], $1[9]), Foundation.pow($0[10], $1[10]), Foundation.pow($0[11], $1[11]), Foundation.pow($0[12], $1[12]), Foundation.pow($0[13], $1[13]), Foundation.pow($0[14], $1[14]), Foundation.pow($0[15], $1[15])) }, { Foundation.pow($0, $1) })
    }

    public static func vjp(_ c: VJPContext, _ b: inout GraphBuilder) throws -> [ValueID?] {
        // d/da = b·a^(b-1); d/db = log(a)·a^b (only built when b needs a gradient: log(a) is nan for a < 0).
        let one = b.scalar(1, c.outputType.dtype)
        return [c.wants[0] ? try b.mul(c.grad, try b.mul(c.inputs[1], try b.pow(c.inputs[0], try b.sub(c.inputs[1], one)))) : nil,
                c.wants[1] ? try b.mul(c.grad, try b.mul(try b.log(c.inputs[0]), c.output)) : nil]
    }
}

extension GraphBuilder {
    public mutating func pow(_ x: ValueID, _ y: ValueID) throws(ShapeError) -> ValueID { try apply(Pow.self, [x, y]) }
}
