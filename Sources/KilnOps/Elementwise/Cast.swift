// cast(x) {dtype}: converts element types. Float → integer truncates toward zero (NaN → 0, out of range
// saturates); anything → bool tests x != 0; bool → number gives 0/1.

import KilnIR

public enum Cast: ElementwiseOp {
    public static let name = "cast"
    public static let arity = 1

    public static func resultDType(_ inputs: [TensorType], _ attributes: Attributes) throws -> DType {
        let name = try attributes.string("dtype")
        guard let dtype = DType(rawValue: name) else { throw shapeError(inputs, "unknown dtype '\(name)'") }
        return dtype
    }

    public static func evaluate(_ a: Double, _ b: Double, _ c: Double, _ p: TileParameters) -> Double {
        switch p.outputDType {
        case .f32, .f64: return a
        case .i32: return a.isNaN ? 0 : Swift.min(Swift.max(a.rounded(.towardZero), Double(Int32.min)), Double(Int32.max))
        case .i64: return a.isNaN ? 0 : Swift.min(Swift.max(a.rounded(.towardZero), -0x1p63), 0x1p63 - 1024)
        case .bool: return a != 0 ? 1 : 0
        }
    }

    public static func tile(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ c: UnsafePointer<Float>,
                            _ out: UnsafeMutablePointer<Float>, _ n: Int, _ p: TileParameters) {
        switch p.outputDType {
        case .f32, .f64: mapTile(a, out, n, { $0 }, { $0 })
        case .i32, .i64:
            mapTile(a, out, n, { v in v.rounded(.towardZero).replacing(with: 0, where: v .!= v) },
                    { $0.isNaN ? 0 : $0.rounded(.towardZero) })
        case .bool: mapTile(a, out, n, { maskToFloat($0 .!= 0) }, { $0 != 0 ? 1 : 0 })
        }
    }

    public static func vjp(_ c: VJPContext, _ b: inout GraphBuilder) throws -> [ValueID?] {
        guard c.inputTypes[0].dtype.isFloatingPoint, c.outputType.dtype.isFloatingPoint else { return [nil] }
        return [try b.cast(c.grad, c.inputTypes[0].dtype)]
    }
}

extension GraphBuilder {
    public mutating func cast(_ x: ValueID, _ dtype: DType) throws(ShapeError) -> ValueID {
        try apply(Cast.self, [x], ["dtype": .string(dtype.rawValue)])
    }
}
