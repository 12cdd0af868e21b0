// Converting between raw typed buffers and HostTensor (Double) values.

import KilnIR
import KilnOps

public enum TensorBuffer {
    /// Reads `type.count` elements of `type.dtype` at `p` into a HostTensor.
    public static func read(_ p: UnsafeRawPointer, _ type: TensorType) -> HostTensor {
        let n = type.count
        var data = [Double](repeating: 0, count: n)
        switch type.dtype {
        case .f32: let q = p.assumingMemoryBound(to: Float.self); for i in 0..<n { data[i] = Double(q[i]) }
        case .f64: let q = p.assumingMemoryBound(to: Double.self); for i in 0..<n { data[i] = q[i] }
        case .i32: let q = p.assumingMemoryBound(to: Int32.self); for i in 0..<n { data[i] = Double(q[i]) }
        case .i64: let q = p.assumingMemoryBound(to: Int64.self); for i in 0..<n { data[i] = Double(q[i]) }
        case .bool: let q = p.assumingMemoryBound(to: UInt8.self); for i in 0..<n { data[i] = q[i] != 0 ? 1 : 0 }
        }
        return HostTensor(type, data)
    }

    /// Writes a HostTensor's values to `p` as `tensor.dtype` (values must already fit the dtype).
    public static func write(_ tensor: HostTensor, to p: UnsafeMutableRawPointer) {
        let n = tensor.count
        switch tensor.dtype {
        case .f32: let q = p.assumingMemoryBound(to: Float.self); for i in 0..<n { q[i] = Float(tensor.data[i]) }
        case .f64: let q = p.assumingMemoryBound(to: Double.self); for i in 0..<n { q[i] = tensor.data[i] }
        case .i32: let q = p.assumingMemoryBound(to: Int32.self); for i in 0..<n { q[i] = Int32(clamping: Int64(tensor.data[i])) }
        case .i64: let q = p.assumingMemoryBound(to: Int64.self); for i in 0..<n { q[i] = Int64(tensor.data[i]) }
        case .bool: let q = p.assumingMemoryBound(to: UInt8.self); for i in 0..<n { q[i] = tensor.data[i] != 0 ? 1 : 0 }
        }
    }
}
