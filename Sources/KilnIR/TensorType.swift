// The static type of an IR value: element type and shape. Shapes are fully static (no symbolic dims).

/// A tensor type such as `f32[8,64,56,56]`; rank 0 (`f32[]`) is a scalar.
public struct TensorType: Hashable, Sendable, CustomStringConvertible {
    public var dtype: DType
    public var shape: [Int]

    public init(_ dtype: DType, _ shape: [Int]) {
        self.dtype = dtype
        self.shape = shape
    }

    public var rank: Int { shape.count }
    /// Number of elements (1 for a scalar).
    public var count: Int { shape.reduce(1, *) }
    public var byteCount: Int { count * dtype.byteSize }
    public var isScalar: Bool { shape.isEmpty }

    public func with(dtype: DType) -> TensorType { TensorType(dtype, shape) }
    public func with(shape: [Int]) -> TensorType { TensorType(dtype, shape) }

    public var description: String { "\(dtype)[\(shape.map(String.init).joined(separator: ","))]" }

    /// Row-major strides in elements.
    public var strides: [Int] { Shape.strides(shape) }
}

/// Shape arithmetic shared by shape rules, kernels and the reference interpreter.
public enum Shape {
    public static func strides(_ shape: [Int]) -> [Int] {
        var strides = [Int](repeating: 1, count: shape.count)
        var s = 1
        for i in stride(from: shape.count - 1, through: 0, by: -1) {
            strides[i] = s
            s *= shape[i]
        }
        return strides
    }

    /// NumPy broadcasting of two shapes, or nil when they are incompatible.
    public static func broadcast(_ a: [Int], _ b: [Int]) -> [Int]? {
        let rank = max(a.count, b.count)
        var out = [Int](repeating: 1, count: rank)
        for i in 0..<rank {
            let da = i < rank - a.count ? 1 : a[i - (rank - a.count)]
            let db = i < rank - b.count ? 1 : b[i - (rank - b.count)]
            if da == db || db == 1 { out[i] = da } else if da == 1 { out[i] = db } else { return nil }
        }
        return out
    }

    /// Whether `shape` broadcasts to `target` under NumPy rules.
    public static func broadcasts(_ shape: [Int], to target: [Int]) -> Bool {
        broadcast(shape, target) == target
    }

    /// Normalises a possibly negative axis; nil when out of range.
    public static func axis(_ axis: Int, rank: Int) -> Int? {
        let a = axis < 0 ? axis + rank : axis
        return (0..<max(rank, 1)).contains(a) && (rank > 0 || a == 0) ? a : nil
    }

    /// Decomposes a flat row-major index into coordinates.
    @inline(__always)
    public static func coordinates(of index: Int, strides: [Int]) -> [Int] {
        var rest = index
        return strides.map { s in
            let c = rest / s
            rest -= c * s
            return c
        }
    }
}
