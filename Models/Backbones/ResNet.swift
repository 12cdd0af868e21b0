// torchvision's ResNet (18/34/50/101) on NHWC inputs, returning the Res2..Res5 feature maps (the outputs of
// layer1..layer4) as well as the logits. With `classes: nil` there is no fc (a backbone for MoCo, DetCo, FPN).
// Parameter names equal torchvision's state_dict keys: ResNet-18 has 11,689,512 parameters and ResNet-50
// 25,557,032 with the 1000-class fc.

import Kiln
import KilnIR

/// The outputs of a ResNet forward pass.
public struct ResNetFeatures {
    /// layer1..layer4 outputs (strides 4, 8, 16, 32).
    public var res2: Tensor
    public var res3: Tensor
    public var res4: Tensor
    public var res5: Tensor
    /// fc(avgpool(res5)), when the network has a classifier.
    public var logits: Tensor?

    /// The four levels in order Res2..Res5.
    public var levels: [Tensor] { [res2, res3, res4, res5] }
}

public final class ResNet: Layer {
    public enum Depth: Int, Sendable, CaseIterable {
        case resnet18 = 18, resnet34 = 34, resnet50 = 50, resnet101 = 101

        var blocks: [Int] {
            switch self {
            case .resnet18: [2, 2, 2, 2]
            case .resnet34, .resnet50: [3, 4, 6, 3]
            case .resnet101: [3, 4, 23, 3]
            }
        }
        var bottleneck: Bool { rawValue >= 50 }
        /// Channels of Res2..Res5.
        public var channels: [Int] { bottleneck ? [256, 512, 1024, 2048] : [64, 128, 256, 512] }
    }

    public let depth: Depth
    public let conv1: Conv2d
    public let bn1: BatchNorm2d
    public let maxpool: MaxPool2d
    public let layer1: Sequential
    public let layer2: Sequential
    public let layer3: Sequential
    public let layer4: Sequential
    public let avgpool: AdaptiveAvgPool2d
    public let fc: Linear?

    /// - Parameters:
    ///   - classes: size of the classifier, or nil for a headless backbone.
    ///   - zeroInitResidual: zero-initialise the last BN of each block (torchvision's option).
    public init(_ depth: Depth, classes: Int? = 1000, zeroInitResidual: Bool = false) {
        self.depth = depth
        conv1 = ResNetInit.conv(3, 64, kernel: 7, stride: 2, padding: 3)
        bn1 = BatchNorm2d(64)
        maxpool = MaxPool2d(kernelSize: 3, stride: 2, padding: 1)
        var inChannels = 64
        func stage(_ channels: Int, _ count: Int, _ stride: Int) -> Sequential {
            var blocks: [any Layer<Tensor, Tensor>] = []
            for i in 0..<count {
                let s = i == 0 ? stride : 1
                if depth.bottleneck {
                    blocks.append(Bottleneck(inChannels, channels, stride: s, zeroInitResidual: zeroInitResidual))
                    inChannels = channels * Bottleneck.expansion
                } else {
                    blocks.append(BasicBlock(inChannels, channels, stride: s, zeroInitResidual: zeroInitResidual))
                    inChannels = channels
                }
            }
            return Sequential(blocks)
        }
        layer1 = stage(64, depth.blocks[0], 1)
        layer2 = stage(128, depth.blocks[1], 2)
        layer3 = stage(256, depth.blocks[2], 2)
        layer4 = stage(512, depth.blocks[3], 2)
        avgpool = AdaptiveAvgPool2d()
        fc = classes.map { Linear(inChannels, $0) }
    }

    /// Channels of the pooled Res5 feature (512 or 2048).
    public var featureDimension: Int { depth.channels[3] }

    public func forward(_ x: Tensor) -> ResNetFeatures {
        let stem = maxpool(bn1(conv1(x)).relu())
        let c2 = layer1(stem)
        let c3 = layer2(c2)
        let c4 = layer3(c3)
        let c5 = layer4(c4)
        let logits = fc.map { $0(avgpool(c5).flattened()) }
        return ResNetFeatures(res2: c2, res3: c3, res4: c4, res5: c5, logits: logits)
    }
}
