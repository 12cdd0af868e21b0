// Batch normalisation over the channel (last) axis of NHWC activations, as a composition of primitives.
// Training mode normalises with batch statistics and returns the updated running statistics (momentum update,
// unbiased running variance, as PyTorch); eval mode normalises with the running statistics.

import KilnIR

/// The result of a batch-norm application.
public struct BatchNormResult {
    public var output: ValueID
    /// New running mean and variance (training mode only).
    public var runningMean: ValueID?
    public var runningVar: ValueID?
}

extension GraphBuilder {
    /// - Parameter groups: in training, normalise each of `groups` equal sub-batches with its own statistics
    ///   ("ghost" / split BN — MoCo's shuffle-BN on one machine); running statistics take the mean over groups.
    public mutating func batchNorm(_ x: ValueID, scale: ValueID, shift: ValueID, runningMean: ValueID, runningVar: ValueID,
                                   training: Bool, momentum: Double = 0.1, epsilon: Double = 1e-5,
                                   groups: Int = 1) throws(ShapeError) -> BatchNormResult {
        let t = type(of: x)
        guard t.rank >= 2, let channels = t.shape.last,
              [scale, shift, runningMean, runningVar].allSatisfy({ type(of: $0) == TensorType(t.dtype, [channels]) }) else {
            throw ShapeError(op: "batch_norm", inputs: [t] + [scale, shift, runningMean, runningVar].map { type(of: $0) },
                             message: "expects channels-last input and four (C,) parameters", location: location)
        }
        let axes = Array(0..<(t.rank - 1))
        let eps = scalar(epsilon, t.dtype)
        if training && groups > 1 {
            return try groupedBatchNorm(x, scale: scale, shift: shift, runningMean: runningMean, runningVar: runningVar,
                                        momentum: momentum, epsilon: epsilon, groups: groups)
        }
        if !training {
            let inv = try mul(try rsqrt(try add(runningVar, eps)), scale)
            let bias = try sub(shift, try mul(runningMean, inv))
            return BatchNormResult(output: try add(try mul(x, inv), bias), runningMean: nil, runningVar: nil)
        }
        let mean = try reduceMean(x, axes: axes)
        let centered = try sub(x, mean)
        let variance = try reduceMean(try mul(centered, centered), axes: axes)
        let inv = try mul(try rsqrt(try add(variance, eps)), scale)
        let output = try add(try mul(centered, inv), shift)
        let n = Double(t.count / channels)
        let m = scalar(momentum, t.dtype), keep = scalar(1 - momentum, t.dtype)
        let unbiased = try mul(try stopGradient(variance), scalar(n / Swift.max(n - 1, 1), t.dtype))
        let newMean = try add(try mul(runningMean, keep), try mul(try stopGradient(mean), m))
        let newVar = try add(try mul(runningVar, keep), try mul(unbiased, m))
        return BatchNormResult(output: output, runningMean: newMean, runningVar: newVar)
    }
}

extension GraphBuilder {
    /// Training-mode BN with per-sub-batch statistics: x (N, ..., C) is viewed as (G, N/G, ..., C).
    mutating func groupedBatchNorm(_ x: ValueID, scale: ValueID, shift: ValueID, runningMean: ValueID, runningVar: ValueID,
                                   momentum: Double, epsilon: Double, groups: Int) throws(ShapeError) -> BatchNormResult {
        let t = type(of: x)
        guard t.shape[0] % groups == 0 else {
            throw ShapeError(op: "batch_norm", inputs: [t], message: "batch \(t.shape[0]) does not split into \(groups) BN groups",
                             location: location)
        }
        let channels = t.shape[t.rank - 1]
        let grouped = try reshape(x, [groups, t.shape[0] / groups] + Array(t.shape.dropFirst()))
        let axes = Array(1..<t.rank)
        let mean = try reduceMean(grouped, axes: axes, keepdims: true)
        let centered = try sub(grouped, mean)
        let variance = try reduceMean(try mul(centered, centered), axes: axes, keepdims: true)
        let inv = try mul(try rsqrt(try add(variance, scalar(epsilon, t.dtype))), scale)
        let output = try reshape(try add(try mul(centered, inv), shift), t.shape)
        let n = Double(t.count / channels / groups)
        let m = scalar(momentum, t.dtype), keep = scalar(1 - momentum, t.dtype)
        let meanOfMeans = try reshape(try reduceMean(try stopGradient(mean), axes: Array(0..<t.rank)), [channels])
        let meanOfVars = try reshape(try reduceMean(try stopGradient(variance), axes: Array(0..<t.rank)), [channels])
        let unbiased = try mul(meanOfVars, scalar(n / Swift.max(n - 1, 1), t.dtype))
        let newMean = try add(try mul(runningMean, keep), try mul(meanOfMeans, m))
        let newVar = try add(try mul(runningVar, keep), try mul(unbiased, m))
        return BatchNormResult(output: output, runningMean: newMean, runningVar: newVar)
    }
}
