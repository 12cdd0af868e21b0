// Start indices read at run time, shared by dynamic_slice and dynamic_update_slice (XLA semantics: each start is
// clamped so the window stays inside the operand).

import KilnIR

enum DynamicStart {
    /// Checks that `start` is an integer vector with one entry per dimension of `operand`.
    static func check(_ start: TensorType, operand: TensorType, op: String, inputs: [TensorType]) throws {
        guard start.dtype.isInteger, start.shape == [operand.rank] else {
            throw ShapeError(op: op, inputs: inputs, message: "start indices must be an i32/i64 vector of length \(operand.rank)")
        }
    }

    /// Clamped start coordinates for a window of `window` in `shape`.
    static func clamp(_ raw: [Int], shape: [Int], window: [Int]) -> [Int] {
        raw.indices.map { d in Swift.min(Swift.max(raw[d], 0), shape[d] - window[d]) }
    }
}

/// Computes a clamped window offset from a start-index buffer without allocating (kernels run it every step).
struct DynamicOffset {
    let shape: [Int]
    let window: [Int]
    let strides: [Int]
    let start: UnsafeMutableRawPointer
    let startType: DType

    init(shape: [Int], window: [Int], start: UnsafeMutableRawPointer, startType: DType) {
        self.shape = shape
        self.window = window
        strides = Shape.strides(shape)
        self.start = start
        self.startType = startType
    }

    @inline(__always)
    func elements() -> Int {
        var offset = 0
        for d in 0..<shape.count {
            let s = Swift.min(Swift.max(readIndex(start, startType, d), 0), shape[d] - window[d])
            offset += s * strides[d]
        }
        return offset
    }
}
