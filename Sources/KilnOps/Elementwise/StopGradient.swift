// stop_gradient(x): the identity whose VJP is zero (momentum-encoder keys, detached targets).

import KilnIR

public enum StopGradient: ElementwiseOp {
    public static let name = "stop_gradient"
    public static let arity = 1

    public static func evaluate(_ a: Double, _ b: Double, _ c: Double, _ p: TileParameters) -> Double { a }

    public static func tile(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ c: UnsafePointer<Float>,
                            _ out: UnsafeMutablePointer<Float>, _ n: Int, _ p: TileParameters) {
        out.update(from: a, count: n)
    }

    public static func vjp(_ c: VJPContext, _ b: inout GraphBuilder) throws -> [ValueID?] { [nil] }
}

extension GraphBuilder {
    public mutating func stopGradient(_ x: ValueID) throws(ShapeError) -> ValueID { try apply(StopGradient.self, [x]) }
}
