// A tensor value held in Doubles: the currency of reference kernels, the interpreter and gradient checks.
// Integers and booleans are stored exactly (bool as 0/1); f32 values are rounded to Float by the interpreter.

import KilnIR

public struct HostTensor: Hashable, Sendable, CustomStringConvertible {
    public var type: TensorType
    public var data: [Double]

    public init(_ type: TensorType, _ data: [Double]) {
        precondition(data.count == type.count, "HostTensor: \(data.count) values for \(type)")
        self.type = type
        self.data = data
    }

    public init(zeros type: TensorType) { self.init(type, [Double](repeating: 0, count: type.count)) }
    public init(repeating value: Double, _ type: TensorType) { self.init(type, [Double](repeating: value, count: type.count)) }
    public init(scalar value: Double, dtype: DType = .f32) { self.init(TensorType(dtype, []), [value]) }

    public var shape: [Int] { type.shape }
    public var dtype: DType { type.dtype }
    public var count: Int { data.count }
    public var strides: [Int] { type.strides }

    /// Element at the given coordinates.
    public subscript(_ coords: [Int]) -> Double {
        get { data[flatIndex(coords)] }
        set { data[flatIndex(coords)] = newValue }
    }

    public func flatIndex(_ coords: [Int]) -> Int {
        var index = 0
        var step = 1
        for i in Swift.stride(from: coords.count - 1, through: 0, by: -1) {
            index += coords[i] * step
            step *= type.shape[i]
        }
        return index
    }

    /// Rounds values to what `dtype` can hold (f32 rounding, integer truncation, bool as 0/1).
    public func rounded() -> HostTensor {
        var copy = self
        switch dtype {
        case .f64: break
        case .f32: for i in copy.data.indices { copy.data[i] = Double(Float(copy.data[i])) }
        case .i32, .i64:
            for i in copy.data.indices {
                let v = copy.data[i]
                copy.data[i] = v.isFinite ? v.rounded(.towardZero) : 0
            }
        case .bool: for i in copy.data.indices { copy.data[i] = copy.data[i] != 0 ? 1 : 0 }
        }
        return copy
    }

    public var description: String {
        let shown = data.prefix(8).map { "\($0)" }.joined(separator: ", ")
        return "\(type) [\(shown)\(data.count > 8 ? ", …" : "")]"
    }
}
