// The symbolic tensor of the DSL: a value of the graph being traced. Operations record nodes; errors surface when
// tracing ends (see Tracer). Methods take the caller's `#fileID:#line` so errors point at user code; calls made
// from inside Kiln's own layers report the user's layer call site instead.

import KilnIR
import KilnOps

public struct Tensor {
    public let id: ValueID
    public let type: TensorType
    public let tracer: Tracer

    public var shape: [Int] { type.shape }
    public var dtype: DType { type.dtype }
    public var rank: Int { type.rank }

    /// Records `op` with this tensor's tracer; `fallback` types the placeholder returned after an error.
    @inline(__always)
    public func record(_ fallback: TensorType? = nil, _ file: String, _ line: Int,
                _ op: (inout GraphBuilder) throws -> ValueID) -> Tensor {
        let user = !file.isEmpty && !file.hasPrefix("Kiln/")
        return tracer.record(fallback ?? type, file: user ? file : nil, line: user ? line : nil, op)
    }

    /// Applies a binary builder op to this tensor and a scalar constant of its dtype.
    func withScalar(_ v: Double, scalarFirst: Bool = false,
                    _ op: @escaping (inout GraphBuilder, ValueID, ValueID) throws -> ValueID) -> Tensor {
        record(nil, "", 0) { b in
            let s = b.scalar(v, dtype)
            return scalarFirst ? try op(&b, s, id) : try op(&b, id, s)
        }
    }
}

// MARK: - Arithmetic

extension Tensor {
    public static func + (a: Tensor, b: Tensor) -> Tensor { a.record(nil, "", 0) { try $0.add(a.id, b.id) } }
    public static func - (a: Tensor, b: Tensor) -> Tensor { a.record(nil, "", 0) { try $0.sub(a.id, b.id) } }
    public static func * (a: Tensor, b: Tensor) -> Tensor { a.record(nil, "", 0) { try $0.mul(a.id, b.id) } }
    public static func / (a: Tensor, b: Tensor) -> Tensor { a.record(nil, "", 0) { try $0.div(a.id, b.id) } }
    public static func + (a: Tensor, b: Double) -> Tensor { a.withScalar(b) { try $0.add($1, $2) } }
    public static func - (a: Tensor, b: Double) -> Tensor { a.withScalar(b) { try $0.sub($1, $2) } }
    public static func * (a: Tensor, b: Double) -> Tensor { a.withScalar(b) { try $0.mul($1, $2) } }
    public static func / (a: Tensor, b: Double) -> Tensor { a.withScalar(b) { try $0.div($1, $2) } }
    public static func * (a: Double, b: Tensor) -> Tensor { b * a }
    public static func + (a: Double, b: Tensor) -> Tensor { b + a }
    public static func - (a: Double, b: Tensor) -> Tensor { b.withScalar(a, scalarFirst: true) { try $0.sub($1, $2) } }
    public static prefix func - (a: Tensor) -> Tensor { a.record(nil, "", 0) { try $0.neg(a.id) } }

    public func relu(file: String = #fileID, line: Int = #line) -> Tensor { record(nil, file, line) { try $0.relu(id) } }
    public func sigmoid(file: String = #fileID, line: Int = #line) -> Tensor { record(nil, file, line) { try $0.sigmoid(id) } }
    public func tanh(file: String = #fileID, line: Int = #line) -> Tensor { record(nil, file, line) { try $0.tanh(id) } }
    public func exp(file: String = #fileID, line: Int = #line) -> Tensor { record(nil, file, line) { try $0.exp(id) } }
    public func log(file: String = #fileID, line: Int = #line) -> Tensor { record(nil, file, line) { try $0.log(id) } }
    public func sqrt(file: String = #fileID, line: Int = #line) -> Tensor { record(nil, file, line) { try $0.sqrt(id) } }
    public func rsqrt(file: String = #fileID, line: Int = #line) -> Tensor { record(nil, file, line) { try $0.rsqrt(id) } }
    public func abs(file: String = #fileID, line: Int = #line) -> Tensor { record(nil, file, line) { try $0.abs(id) } }
    public func pow(_ e: Tensor, file: String = #fileID, line: Int = #line) -> Tensor { record(nil, file, line) { try $0.pow(id, e.id) } }
    public func maximum(_ o: Tensor, file: String = #fileID, line: Int = #line) -> Tensor { record(nil, file, line) { try $0.maximum(id, o.id) } }
    public func minimum(_ o: Tensor, file: String = #fileID, line: Int = #line) -> Tensor { record(nil, file, line) { try $0.minimum(id, o.id) } }
    /// The same values with no gradient flowing back (PyTorch's `detach`).
    public func detached(file: String = #fileID, line: Int = #line) -> Tensor { record(nil, file, line) { try $0.stopGradient(id) } }
    public func cast(_ dtype: DType, file: String = #fileID, line: Int = #line) -> Tensor {
        record(type.with(dtype: dtype), file, line) { try $0.cast(id, dtype) }
    }

    public func greater(_ o: Tensor, file: String = #fileID, line: Int = #line) -> Tensor { record(type.with(dtype: .bool), file, line) { try $0.greater(id, o.id) } }
    public func less(_ o: Tensor, file: String = #fileID, line: Int = #line) -> Tensor { record(type.with(dtype: .bool), file, line) { try $0.less(id, o.id) } }
    public func equal(_ o: Tensor, file: String = #fileID, line: Int = #line) -> Tensor { record(type.with(dtype: .bool), file, line) { try $0.equal(id, o.id) } }
    public func greaterEqual(_ o: Tensor, file: String = #fileID, line: Int = #line) -> Tensor { record(type.with(dtype: .bool), file, line) { try $0.greaterEqual(id, o.id) } }

    /// `where(condition, self, other)`.
    public static func select(_ condition: Tensor, _ a: Tensor, _ b: Tensor, file: String = #fileID, line: Int = #line) -> Tensor {
        a.record(nil, file, line) { try $0.select(condition.id, a.id, b.id) }
    }
}

// MARK: - Reductions and shapes

extension Tensor {
    public func sum(axes: [Int]? = nil, keepdims: Bool = false, file: String = #fileID, line: Int = #line) -> Tensor {
        record(nil, file, line) { try $0.reduceSum(id, axes: axes, keepdims: keepdims) }
    }
    public func mean(axes: [Int]? = nil, keepdims: Bool = false, file: String = #fileID, line: Int = #line) -> Tensor {
        record(nil, file, line) { try $0.reduceMean(id, axes: axes, keepdims: keepdims) }
    }
    public func max(axes: [Int]? = nil, keepdims: Bool = false, file: String = #fileID, line: Int = #line) -> Tensor {
        record(nil, file, line) { try $0.reduceMax(id, axes: axes, keepdims: keepdims) }
    }
    public func argmax(axis: Int, file: String = #fileID, line: Int = #line) -> Tensor {
        record(type.with(dtype: .i64), file, line) { try $0.argmax(id, axis: axis) }
    }
    public func reshaped(_ shape: [Int], file: String = #fileID, line: Int = #line) -> Tensor {
        record(nil, file, line) { try $0.reshape(id, shape) }
    }
    /// Flattens dimensions `startDim...` into one (PyTorch's `flatten(start_dim)`).
    public func flattened(startDim: Int = 1, file: String = #fileID, line: Int = #line) -> Tensor {
        let keep = Array(shape.prefix(Swift.max(0, Swift.min(startDim, rank))))
        return reshaped(keep + [-1], file: file, line: line)
    }
    public func transposed(_ permutation: [Int], file: String = #fileID, line: Int = #line) -> Tensor {
        record(nil, file, line) { try $0.transpose(id, permutation) }
    }
    public func broadcast(to shape: [Int], file: String = #fileID, line: Int = #line) -> Tensor {
        record(nil, file, line) { try $0.broadcast(id, shape) }
    }
    public func slice(axis: Int, _ range: Range<Int>, file: String = #fileID, line: Int = #line) -> Tensor {
        record(nil, file, line) { try $0.slice(id, axis: axis, range) }
    }
    public func padded(low: [Int], high: [Int], value: Double = 0, file: String = #fileID, line: Int = #line) -> Tensor {
        record(nil, file, line) { try $0.pad(id, low: low, high: high, value: value) }
    }
    public func gather(_ indices: Tensor, axis: Int, file: String = #fileID, line: Int = #line) -> Tensor {
        record(nil, file, line) { try $0.gather(id, indices: indices.id, axis: axis) }
    }
    public static func concat(_ xs: [Tensor], axis: Int, file: String = #fileID, line: Int = #line) -> Tensor {
        xs[0].record(nil, file, line) { try $0.concat(xs.map(\.id), axis: axis) }
    }
}

// MARK: - Neural-network ops

extension Tensor {
    public func matmul(_ other: Tensor, transposeA: Bool = false, transposeB: Bool = false,
                       file: String = #fileID, line: Int = #line) -> Tensor {
        record(nil, file, line) { try $0.matmul(id, other.id, transposeA: transposeA, transposeB: transposeB) }
    }
    /// NHWC convolution with an OHWI weight.
    public func conv2d(_ weight: Tensor, _ conv: ConvAttributes = ConvAttributes(), file: String = #fileID, line: Int = #line) -> Tensor {
        record(nil, file, line) { try $0.conv2d(id, weight.id, conv) }
    }
    public func maxPool2d(_ pool: PoolAttributes, file: String = #fileID, line: Int = #line) -> Tensor {
        record(nil, file, line) { try $0.maxPool2d(id, pool) }
    }
    public func avgPool2d(_ pool: PoolAttributes, countIncludePad: Bool = true, file: String = #fileID, line: Int = #line) -> Tensor {
        record(nil, file, line) { try $0.avgPool2d(id, pool, countIncludePad: countIncludePad) }
    }
    /// NHWC → (N, C) spatial mean.
    public func globalAvgPool(file: String = #fileID, line: Int = #line) -> Tensor {
        record(nil, file, line) { try $0.globalAvgPool(id) }
    }
    public func upsampled(size: [Int], mode: ResizeMode = .nearest, file: String = #fileID, line: Int = #line) -> Tensor {
        record(nil, file, line) { try $0.upsample(id, size: size, mode: mode) }
    }
    public func softmax(axis: Int = -1, file: String = #fileID, line: Int = #line) -> Tensor {
        record(nil, file, line) { try $0.softmax(id, axis: axis) }
    }
    public func logSoftmax(axis: Int = -1, file: String = #fileID, line: Int = #line) -> Tensor {
        record(nil, file, line) { try $0.logSoftmax(id, axis: axis) }
    }
    public func l2Normalized(axis: Int = -1, epsilon: Double = 1e-12, file: String = #fileID, line: Int = #line) -> Tensor {
        record(nil, file, line) { try $0.l2Normalize(id, axis: axis, epsilon: epsilon) }
    }
}

extension Tensor {
    /// `x` with the window at run-time coordinates `start` replaced by `update` (clamped into range).
    public func updatingSlice(_ update: Tensor, start: Tensor, file: String = #fileID, line: Int = #line) -> Tensor {
        record(nil, file, line) { try $0.dynamicUpdateSlice(id, update: update.id, start: start.id) }
    }
    /// The window of shape `sizes` at run-time coordinates `start`.
    public func dynamicSlice(start: Tensor, sizes: [Int], file: String = #fileID, line: Int = #line) -> Tensor {
        record(type.with(shape: sizes), file, line) { try $0.dynamicSlice(id, start: start.id, sizes: sizes) }
    }
}

/// Mean over rows of −log softmax(logits)[0]: InfoNCE's cross-entropy with the positive logit in column 0.
public func crossEntropyFirstClass(_ logits: Tensor, file: String = #fileID, line: Int = #line) -> Tensor {
    logits.record(TensorType(logits.dtype, []), file, line) { try $0.crossEntropyFirstClass(logits: logits.id) }
}

/// Mean cross-entropy of logits (N, C) against integer labels (N,).
public func crossEntropy(_ logits: Tensor, labels: Tensor, file: String = #fileID, line: Int = #line) -> Tensor {
    logits.record(TensorType(logits.dtype, []), file, line) { try $0.crossEntropy(logits: logits.id, labels: labels.id) }
}
