// The residual blocks of torchvision's ResNet: BasicBlock (ResNet-18/34) and Bottleneck v1.5 (ResNet-50/101,
// stride on the 3×3 convolution). Property names match torchvision so checkpoints interoperate.

import Kiln

/// conv3×3 → BN → ReLU → conv3×3 → BN, plus the (projected) input, then ReLU.
public final class BasicBlock: Layer {
    public static let expansion = 1
    public let conv1: Conv2d
    public let bn1: BatchNorm2d
    public let conv2: Conv2d
    public let bn2: BatchNorm2d
    public let downsample: Sequential?

    public init(_ inChannels: Int, _ channels: Int, stride: Int, zeroInitResidual: Bool = false) {
        conv1 = ResNetInit.conv(inChannels, channels, kernel: 3, stride: stride, padding: 1)
        bn1 = BatchNorm2d(channels)
        conv2 = ResNetInit.conv(channels, channels, kernel: 3, stride: 1, padding: 1)
        bn2 = BatchNorm2d(channels, zeroInit: zeroInitResidual)
        downsample = ResNetInit.shortcut(inChannels, channels, stride: stride)
    }

    public func forward(_ x: Tensor) -> Tensor {
        let out = bn2(conv2(bn1(conv1(x)).relu()))
        let identity = downsample.map { $0(x) } ?? x
        return (out + identity).relu()
    }
}

/// conv1×1 → BN → ReLU → conv3×3 (stride) → BN → ReLU → conv1×1 (×4) → BN, plus the input, then ReLU.
public final class Bottleneck: Layer {
    public static let expansion = 4
    public let conv1: Conv2d
    public let bn1: BatchNorm2d
    public let conv2: Conv2d
    public let bn2: BatchNorm2d
    public let conv3: Conv2d
    public let bn3: BatchNorm2d
    public let downsample: Sequential?

    public init(_ inChannels: Int, _ channels: Int, stride: Int, zeroInitResidual: Bool = false) {
        let out = channels * Bottleneck.expansion
        conv1 = ResNetInit.conv(inChannels, channels, kernel: 1, stride: 1, padding: 0)
        bn1 = BatchNorm2d(channels)
        conv2 = ResNetInit.conv(channels, channels, kernel: 3, stride: stride, padding: 1)
        bn2 = BatchNorm2d(channels)
        conv3 = ResNetInit.conv(channels, out, kernel: 1, stride: 1, padding: 0)
        bn3 = BatchNorm2d(out, zeroInit: zeroInitResidual)
        downsample = ResNetInit.shortcut(inChannels, out, stride: stride)
    }

    public func forward(_ x: Tensor) -> Tensor {
        let a = bn1(conv1(x)).relu()
        let b = bn2(conv2(a)).relu()
        let out = bn3(conv3(b))
        let identity = downsample.map { $0(x) } ?? x
        return (out + identity).relu()
    }
}

/// torchvision's initialisation: convolutions kaiming-normal (fan-out, ReLU gain), no conv biases.
enum ResNetInit {
    static func conv(_ cin: Int, _ cout: Int, kernel: Int, stride: Int, padding: Int) -> Conv2d {
        Conv2d(cin, cout, kernelSize: kernel, stride: stride, padding: padding, bias: false,
               weightInitializer: .kaimingNormalFanOut(cout * kernel * kernel))
    }

    /// The 1×1 projection shortcut when the shape changes.
    static func shortcut(_ cin: Int, _ cout: Int, stride: Int) -> Sequential? {
        guard stride != 1 || cin != cout else { return nil }
        return Sequential {
            conv(cin, cout, kernel: 1, stride: stride, padding: 0)
            BatchNorm2d(cout)
        }
    }
}
