// The epilogue of a fused convolution: what the kernel applies to each output element right after the GEMM (or the
// Winograd output transform) has written it, while the block is still in cache:
//
//   y[i] = relu?( (y[i] · scale[c] + shift[c]) + residual[i] )      c = the element's channel
//
// Every step is optional and they run in this order, each rounded to Float like the separate elementwise ops it
// replaces (mul, add, add, relu), so a fused convolution gives bit for bit what the unfused graph gives for the same
// convolution output. ReLU maps NaN to 0, as the relu op does.
//
// The output is viewed as rows of `channels` floats (NHWC: one row per pixel); scale and shift are indexed by the
// position within the row, and the residual has the output's layout, so an element at offset o from `output` reads
// residual[o]. Kernels pass the blocks they compute as pointers into the output; nothing else needs to know where a
// block sits.

/// Per-channel scale and shift, residual add and ReLU over blocks of a convolution's output.
public struct GemmEpilogue: @unchecked Sendable {
    /// The start of the whole output (offsets into `residual` are taken from here).
    public var output: UnsafeMutablePointer<Float>
    /// Row length of the output: the number of channels.
    public var channels: Int
    public var scale: UnsafePointer<Float>?
    public var shift: UnsafePointer<Float>?
    /// Same layout and size as the output; must not overlap it (the GEMM writes a block before this reads it).
    public var residual: UnsafePointer<Float>?
    public var relu: Bool

    public init(output: UnsafeMutablePointer<Float>, channels: Int, scale: UnsafePointer<Float>? = nil,
                shift: UnsafePointer<Float>? = nil, residual: UnsafePointer<Float>? = nil, relu: Bool = false) {
        self.output = output
        self.channels = channels
        self.scale = scale
        self.shift = shift
        self.residual = residual
        self.relu = relu
    }

    /// Applies the epilogue to a block of the output: `rows` rows of `columns` floats starting at `block`, rows
    /// `ldc` floats apart. `ldc` is a multiple of `channels` (the block's rows start at the same channel), and a
    /// row of the block must not wrap past the end of an output row.
    @inline(__always)
    public func apply(_ block: UnsafeMutablePointer<Float>, ldc: Int, rows: Int, columns: Int) {
        if rows <= 0 || columns <= 0 { return }
        let offset = output.distance(to: block)
        let channel = offset % channels
        for i in 0..<rows {
            applyRow(block + i * ldc, offset: offset + i * ldc, channel: channel, count: columns)
        }
    }

    /// One run of `count` floats at `p` (offset `offset` from the output) whose first element is channel `channel`.
    @inline(__always)
    func applyRow(_ p: UnsafeMutablePointer<Float>, offset: Int, channel: Int, count: Int) {
        let r = residual.map { $0 + offset }
        var j = 0
        while j + 16 <= count {
            store16(apply16(load16(p + j), channel: channel + j, residual: r.map { $0 + j }), p + j)
            j += 16
        }
        while j < count {
            p[j] = apply1(p[j], channel: channel + j, residual: r.map { $0 + j })
            j += 1
        }
    }

    /// The epilogue of one value of channel `channel`, whose residual value (if any) is at `residual`.
    @inline(__always)
    func apply1(_ value: Float, channel: Int, residual r: UnsafePointer<Float>?) -> Float {
        var v = value
        if let scale { v *= scale[channel] }
        if let shift { v += shift[channel] }
        if let r { v += r.pointee }
        if relu { v = v > 0 ? v : 0 }
        return v
    }

    /// The epilogue of 16 consecutive channels starting at `channel`, whose residual values (if any) are at `residual`.
    @inline(__always)
    func apply16(_ value: SIMD16<Float>, channel: Int, residual r: UnsafePointer<Float>?) -> SIMD16<Float> {
        var v = value
        if let scale { v *= load16(scale + channel) }
        if let shift { v += load16(shift + channel) }
        if let r { v += load16(r) }
        if relu { v.replace(with: 0, where: .!(v .> 0)) }
        return v
    }

    /// Applies the epilogue to the first `lanes` (≤ 16) values of `value`, which belong at `target` in the output
    /// (channels `channel` ..< `channel` + lanes); lanes beyond are returned unchanged. For kernels that hold their
    /// results in vectors before storing them (the Winograd output transform).
    @inline(__always)
    public func apply(_ value: SIMD16<Float>, at target: UnsafeMutablePointer<Float>, channel: Int,
                      lanes: Int) -> SIMD16<Float> {
        let r = residual.map { $0 + output.distance(to: target) }
        if lanes >= 16 { return apply16(value, channel: channel, residual: r) }
        var v = value
        for lane in 0..<lanes {
            v[lane] = apply1(v[lane], channel: channel + lane, residual: r.map { $0 + lane })
        }
        return v
    }
}
