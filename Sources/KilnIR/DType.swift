// Element types of IR values. f64 exists for gradient checks; the fast executor computes in f32.

/// The element type of a tensor.
public enum DType: String, CaseIterable, Hashable, Sendable, CustomStringConvertible {
    case f32, f64, i32, i64, bool

    /// Bytes per element in a buffer.
    public var byteSize: Int {
        switch self {
        case .f32, .i32: 4
        case .f64, .i64: 8
        case .bool: 1
        }
    }

    public var isFloatingPoint: Bool { self == .f32 || self == .f64 }
    public var isInteger: Bool { self == .i32 || self == .i64 }

    public var description: String { rawValue }
}
