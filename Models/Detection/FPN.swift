// Feature Pyramid Network (Lin et al. 2017) as detectron2 builds it for the MoCo/DetCo fine-tune configs: a 1×1
// lateral and a 3×3 output convolution per input level, both followed by BatchNorm ("FPN.NORM = SyncBN", which on
// one machine is plain training-mode BN), a top-down path of nearest ×2 upsampling and addition, and a top block —
// P6 = max-pool(P5, k 1, s 2) for Mask R-CNN, or P6 = conv3×3/2(C5), P7 = conv3×3/2(ReLU(P6)) for RetinaNet.

import Kiln

public final class ConvNorm: Layer, ChildNaming {
    public let conv: Conv2d
    public let norm: BatchNorm2d?

    /// detectron2's Conv2d with an optional norm (no bias when normalised); weights c2_xavier_fill =
    /// kaiming_uniform(a = 1) ⇒ U(±√(3 / fan_in)).
    public init(_ cin: Int, _ cout: Int, kernel: Int, stride: Int = 1, normalized: Bool) {
        let fanIn = cin * kernel * kernel
        let bound = (3.0 / Double(fanIn)).squareRoot()
        conv = Conv2d(cin, cout, kernelSize: kernel, stride: stride, padding: kernel / 2, bias: !normalized,
                      weightInitializer: .uniform(low: -bound, high: bound), biasInitializer: .zeros)
        norm = normalized ? BatchNorm2d(cout) : nil
    }

    /// detectron2 names the norm as a child of the conv: `fpn_lateral2.weight`, `fpn_lateral2.norm.weight`.
    public var namedChildren: [(String, Any)] { [("", conv), ("norm", norm as Any)] }

    public func forward(_ x: Tensor) -> Tensor {
        let y = conv(x)
        return norm.map { $0(y) } ?? y
    }
}

public final class FPN: Layer, ChildNaming {
    public enum TopBlock: Sendable {
        /// P6 by max-pooling P5 (Mask R-CNN FPN).
        case maxPool
        /// P6, P7 by strided convolutions on C5 (RetinaNet).
        case retinaNet
        case none
    }

    public let lateral: [ConvNorm]
    public let output: [ConvNorm]
    public let p6: ConvNorm?
    public let p7: ConvNorm?
    public let topBlock: TopBlock
    /// The stage index (2 = Res2) of the first input level.
    public let firstLevel: Int
    public let channels: Int

    /// - Parameters:
    ///   - inputChannels: channels of the input levels, finest first (e.g. Res3..Res5 for RetinaNet).
    ///   - firstLevel: the level number of the first input (2 or 3), used for names (`fpn_lateral3`).
    public init(inputChannels: [Int], firstLevel: Int, channels: Int = 256, normalized: Bool = true, topBlock: TopBlock) {
        lateral = inputChannels.map { ConvNorm($0, channels, kernel: 1, normalized: normalized) }
        output = inputChannels.map { _ in ConvNorm(channels, channels, kernel: 3, normalized: normalized) }
        self.topBlock = topBlock
        self.firstLevel = firstLevel
        self.channels = channels
        if case .retinaNet = topBlock {
            p6 = ConvNorm(inputChannels.last ?? channels, channels, kernel: 3, stride: 2, normalized: false)
            p7 = ConvNorm(channels, channels, kernel: 3, stride: 2, normalized: false)
        } else {
            p6 = nil
            p7 = nil
        }
    }

    public var namedChildren: [(String, Any)] {
        var out: [(String, Any)] = []
        for (i, (l, o)) in zip(lateral, output).enumerated() {
            out.append(("fpn_lateral\(firstLevel + i)", l))
            out.append(("fpn_output\(firstLevel + i)", o))
        }
        if let p6 { out.append(("top_block.p6", p6)) }
        if let p7 { out.append(("top_block.p7", p7)) }
        return out
    }

    /// The number of output levels.
    public var levels: Int { lateral.count + (topBlock == .none ? 0 : topBlock == .maxPool ? 1 : 2) }

    /// Pyramid levels, finest first: P(first)..P5 and then the top block's levels.
    public func forward(_ features: [Tensor]) -> [Tensor] {
        var results: [Tensor] = []
        var previous: Tensor?
        for i in stride(from: features.count - 1, through: 0, by: -1) {
            var lateralFeature = lateral[i](features[i])
            if let previous {
                lateralFeature = lateralFeature + previous.upsampled(size: [lateralFeature.shape[1], lateralFeature.shape[2]], mode: .nearest)
            }
            previous = lateralFeature
            results.insert(output[i](lateralFeature), at: 0)
        }
        switch topBlock {
        case .maxPool:
            if let p5 = results.last { results.append(p5.maxPool2d(PoolAttributes(kernel: [1, 1], stride: [2, 2]))) }
        case .retinaNet:
            if let c5 = features.last, let p6, let p7 {
                let six = p6(c5)
                results.append(six)
                results.append(p7(six.relu()))
            }
        case .none:
            break
        }
        return results
    }
}
