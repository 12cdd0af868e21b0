// The (outer, index, inner) view shared by gather and scatter_add along an axis.

import KilnIR

struct GatherLayout {
    let axis: Int
    let outer: Int
    let inner: Int
    /// Size of the indexed axis of the source (gather) or target (scatter_add).
    let axisSize: Int
    /// Number of indices.
    let indexCount: Int

    init(data: TensorType, indices: TensorType, axis: Int) {
        self.axis = axis
        outer = data.shape[..<axis].reduce(1, *)
        inner = data.shape[(axis + 1)...].reduce(1, *)
        axisSize = data.shape[axis]
        indexCount = indices.count
    }

    /// The data-side shape for the given indices: data.shape[..<axis] + indices.shape + data.shape[(axis+1)...].
    static func gatheredShape(data: [Int], indices: [Int], axis: Int) -> [Int] {
        Array(data[..<axis]) + indices + Array(data[(axis + 1)...])
    }

    static func resolveAxis(_ attributes: Attributes, data: TensorType, op: String, inputs: [TensorType]) throws -> Int {
        let a = try attributes.int("axis")
        guard data.rank > 0, let axis = Shape.axis(a, rank: data.rank) else {
            throw ShapeError(op: op, inputs: inputs, message: "axis \(a) is out of range for rank \(data.rank)")
        }
        return axis
    }

    /// Out-of-range indices are clamped to the valid range (XLA's gather semantics), so a bad index can never read
    /// or write outside a buffer; negative indices count from the end first, as in NumPy.
    @inline(__always)
    func clamp(_ raw: Int) -> Int {
        let i = raw < 0 ? raw + axisSize : raw
        return Swift.min(Swift.max(i, 0), axisSize - 1)
    }
}

/// Reads index i of an i32 or i64 buffer.
@inline(__always)
func readIndex(_ p: UnsafeMutableRawPointer, _ dtype: DType, _ i: Int) -> Int {
    dtype == .i64 ? Int(p.assumingMemoryBound(to: Int64.self)[i]) : Int(p.assumingMemoryBound(to: Int32.self)[i])
}
