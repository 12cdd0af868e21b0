// 2-D convolution layer (torch.nn.Conv2d) on NHWC activations. The weight is stored OHWI internally and
// converted to PyTorch's OIHW in checkpoints.

import KilnIR
import KilnOps

public final class Conv2d: Layer {
    public let weight: Parameter
    public let bias: Parameter?
    public let conv: ConvAttributes

    /// `weightInitializer` replaces PyTorch's default U(±1/√fan_in) (torchvision ResNets use kaiming fan-out).
    public init(_ inChannels: Int, _ outChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0,
                dilation: Int = 1, groups: Int = 1, bias: Bool = true, weightInitializer: Initializer? = nil,
                biasInitializer: Initializer? = nil) {
        let perGroup = inChannels / Swift.max(groups, 1)
        let fanIn = perGroup * kernelSize * kernelSize
        weight = Parameter([outChannels, kernelSize, kernelSize, perGroup], layout: .convolutionWeight,
                           initializer: weightInitializer ?? .defaultUniform(fanIn: fanIn))
        self.bias = bias ? Parameter([outChannels], initializer: biasInitializer ?? .defaultUniform(fanIn: fanIn)) : nil
        conv = ConvAttributes(stride: [stride, stride], padding: [padding, padding, padding, padding],
                              dilation: [dilation, dilation], groups: groups)
    }

    public var outChannels: Int { weight.shape[0] }

    public func forward(_ x: Tensor) -> Tensor {
        let y = x.conv2d(x.tracer.value(of: weight), conv)
        guard let bias else { return y }
        return y + x.tracer.value(of: bias)
    }
}
