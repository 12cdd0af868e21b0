// Parameter-free layers: ReLU, pooling, flatten, dropout, identity.

import KilnIR
import KilnOps

public final class ReLU: Layer {
    public init() {}
    public func forward(_ x: Tensor) -> Tensor { x.relu() }
}

public final class Identity: Layer {
    public init() {}
    public func forward(_ x: Tensor) -> Tensor { x }
}

/// torch.nn.MaxPool2d (floor mode) on NHWC.
public final class MaxPool2d: Layer {
    public let pool: PoolAttributes
    public init(kernelSize: Int, stride: Int? = nil, padding: Int = 0) {
        pool = PoolAttributes(kernel: [kernelSize, kernelSize], stride: [stride ?? kernelSize, stride ?? kernelSize],
                              padding: [padding, padding, padding, padding])
    }
    public func forward(_ x: Tensor) -> Tensor { x.maxPool2d(pool) }
}

/// torch.nn.AvgPool2d (floor mode, count_include_pad) on NHWC.
public final class AvgPool2d: Layer {
    public let pool: PoolAttributes
    public let countIncludePad: Bool
    public init(kernelSize: Int, stride: Int? = nil, padding: Int = 0, countIncludePad: Bool = true) {
        pool = PoolAttributes(kernel: [kernelSize, kernelSize], stride: [stride ?? kernelSize, stride ?? kernelSize],
                              padding: [padding, padding, padding, padding])
        self.countIncludePad = countIncludePad
    }
    public func forward(_ x: Tensor) -> Tensor { x.avgPool2d(pool, countIncludePad: countIncludePad) }
}

/// torch.nn.AdaptiveAvgPool2d(1): NHWC (N, H, W, C) → (N, 1, 1, C).
public final class AdaptiveAvgPool2d: Layer {
    public init() {}
    public func forward(_ x: Tensor) -> Tensor {
        let pooled = x.globalAvgPool()
        return pooled.reshaped([pooled.shape.first ?? 0, 1, 1, pooled.shape.last ?? 0])
    }
}

/// Flattens dimensions from `startDim` on. NOTE: activations are NHWC, so a spatial map flattens in (H, W, C)
/// order, not PyTorch's (C, H, W); weights of a following Linear differ in order from a PyTorch model's.
public final class Flatten: Layer {
    public let startDim: Int
    public init(startDim: Int = 1) { self.startDim = startDim }
    public func forward(_ x: Tensor) -> Tensor { x.flattened(startDim: startDim) }
}

/// Inverted dropout (torch.nn.Dropout): in training, zeroes elements with probability p and scales the rest by
/// 1/(1−p); the identity in eval mode. Masks are drawn from the step counter, so every step differs and a resumed
/// run repeats them exactly.
public final class Dropout: Layer {
    public let probability: Double
    public init(_ p: Double = 0.5) { probability = p }

    public func forward(_ x: Tensor) -> Tensor {
        let t = x.tracer
        guard t.training, probability > 0 else { return x }
        let counter = t.stepCounter
        let seed = t.nextSeed()
        let u = x.record(nil, "", 0) { b in try b.randomUniform(x.type, seed: seed, counter: counter.id) }
        let keep = u.greaterEqual(Tensor(id: t.builder.scalar(probability, x.dtype), type: TensorType(x.dtype, []), tracer: t))
        let zero = Tensor(id: t.builder.scalar(0, x.dtype), type: TensorType(x.dtype, []), tracer: t)
        return Tensor.select(keep, x * (1 / (1 - probability)), zero)
    }
}
