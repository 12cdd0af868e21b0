// Copies a box (a sub-block) between two row-major tensors: the shared mechanism behind the fast kernels of
// slice, pad and concat. Innermost contiguous runs are copied with memcpy; no allocation per call.

import KilnIR

struct BoxCopy {
    let extent: [Int]
    let srcStrides: [Int]
    let dstStrides: [Int]
    let srcBase: Int
    let dstBase: Int
    let elementSize: Int
    let innerBytes: Int
    let rank: Int

    /// A copy of the box `extent` from `src` at `srcOffset` to `dst` at `dstOffset` (element coordinates).
    init(extent: [Int], srcShape: [Int], srcOffset: [Int], dstShape: [Int], dstOffset: [Int], elementSize: Int) {
        // Merge trailing dimensions that are contiguous in both tensors into one run.
        var rank = extent.count
        var inner = 1
        while rank > 0 && extent[rank - 1] == srcShape[rank - 1] && extent[rank - 1] == dstShape[rank - 1] {
            inner *= extent[rank - 1]
            rank -= 1
        }
        if rank > 0 {
            inner *= extent[rank - 1]
            rank -= 1
        }
        let ss = Shape.strides(srcShape), ds = Shape.strides(dstShape)
        self.extent = Array(extent.prefix(rank))
        srcStrides = Array(ss.prefix(rank))
        dstStrides = Array(ds.prefix(rank))
        srcBase = zip(srcOffset, ss).reduce(0) { $0 + $1.0 * $1.1 }
        dstBase = zip(dstOffset, ds).reduce(0) { $0 + $1.0 * $1.1 }
        self.elementSize = elementSize
        innerBytes = inner * elementSize
        self.rank = rank
    }

    var isEmpty: Bool { innerBytes == 0 || extent.contains(0) }

    func run(_ src: UnsafeRawPointer, _ dst: UnsafeMutableRawPointer) {
        run(src, dst, srcOffset: 0, dstOffset: 0)
    }

    /// Copies with extra element offsets computed at run time (dynamic slices).
    func run(_ src: UnsafeRawPointer, _ dst: UnsafeMutableRawPointer, srcOffset: Int, dstOffset: Int) {
        guard !isEmpty else { return }
        copy(depth: 0, src: src + (srcBase + srcOffset) * elementSize, dst: dst + (dstBase + dstOffset) * elementSize)
    }

    private func copy(depth: Int, src: UnsafeRawPointer, dst: UnsafeMutableRawPointer) {
        if depth == rank {
            dst.copyMemory(from: src, byteCount: innerBytes)
            return
        }
        let s = srcStrides[depth] * elementSize, d = dstStrides[depth] * elementSize
        for i in 0..<extent[depth] { copy(depth: depth + 1, src: src + i * s, dst: dst + i * d) }
    }
}

/// Fills `count` elements of `elementSize` bytes with the bit pattern of `value` converted to `dtype`.
func fill(_ dst: UnsafeMutableRawPointer, count: Int, value: Double, dtype: DType) {
    switch dtype {
    case .f32: dst.assumingMemoryBound(to: Float.self).update(repeating: Float(value), count: count)
    case .f64: dst.assumingMemoryBound(to: Double.self).update(repeating: value, count: count)
    case .i32: dst.assumingMemoryBound(to: Int32.self).update(repeating: Int32(value), count: count)
    case .i64: dst.assumingMemoryBound(to: Int64.self).update(repeating: Int64(value), count: count)
    case .bool: dst.assumingMemoryBound(to: UInt8.self).update(repeating: value != 0 ? 1 : 0, count: count)
    }
}
