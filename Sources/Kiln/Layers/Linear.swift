// Fully connected layer (torch.nn.Linear): y = x Wᵀ + b with W of shape (out, in), as in PyTorch.

import KilnIR

public final class Linear: Layer {
    public let weight: Parameter
    public let bias: Parameter?

    public init(_ inFeatures: Int, _ outFeatures: Int, bias: Bool = true,
                weightInitializer: Initializer? = nil, biasInitializer: Initializer? = nil) {
        weight = Parameter([outFeatures, inFeatures], initializer: weightInitializer ?? .defaultUniform(fanIn: inFeatures))
        self.bias = bias ? Parameter([outFeatures], initializer: biasInitializer ?? .defaultUniform(fanIn: inFeatures)) : nil
    }

    public func forward(_ x: Tensor) -> Tensor {
        let y = x.matmul(x.tracer.value(of: weight), transposeB: true)
        guard let bias else { return y }
        return y + x.tracer.value(of: bias)
    }
}
