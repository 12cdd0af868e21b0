// detectron2's MaskRCNNConvUpsampleHead in its two configurations (detco-spec §3.3, §3.4): C4 — no convolutions,
// a 2×2 stride-2 deconvolution (ReLU) and a 1×1 predictor on the 7×7 res5 features; FPN — four 3×3 convolutions
// (ReLU) on 14×14 RoIAlign features, then the same deconvolution and predictor. The loss is the per-pixel BCE of
// the ground-truth class's channel against the GT mask cropped and resized into the RoI, averaged over the
// foreground RoIs' pixels; inference takes the predicted class's channel through a sigmoid.

import Kiln

/// torch.nn.ConvTranspose2d(cin, cout, kernel_size 2, stride 2). Kernel = stride, so output pixels never overlap:
/// a GEMM (H·W·N, Cin) × (Cin, 2·2·Cout) followed by a pixel shuffle. The weight keeps PyTorch's (Cin, Cout, 2, 2).
public final class Deconv2x2: Layer {
    public let weight: Parameter
    public let bias: Parameter

    /// Weights kaiming-normal over PyTorch's fan-out of this weight shape (Cin · 4), as c2_msra_fill; bias 0.
    public init(_ cin: Int, _ cout: Int) {
        weight = Parameter([cin, cout, 2, 2], initializer: .kaimingNormalFanOut(cin * 4))
        bias = Parameter([cout], initializer: .zeros)
    }

    /// (N, H, W, Cin) → (N, 2H, 2W, Cout).
    public func forward(_ x: Tensor) -> Tensor {
        let n = x.shape[0], h = x.shape[1], w = x.shape[2], cin = weight.shape[0], cout = weight.shape[1]
        let kernel = x.tracer.value(of: weight).transposed([0, 2, 3, 1]).reshaped([cin, 4 * cout])
        let taps = x.reshaped([n * h * w, cin]).matmul(kernel).reshaped([n, h, w, 2, 2, cout])
        let shuffled = taps.transposed([0, 1, 3, 2, 4, 5]).reshaped([n, 2 * h, 2 * w, cout])
        return shuffled + x.tracer.value(of: bias)
    }
}

/// Mask head: optional 3×3 convolutions, deconvolution, per-class 1×1 predictor.
public final class MaskHead: Layer, ChildNaming {
    public let convolutions: [Conv2d]
    public let deconv: Deconv2x2
    public let predictor: Conv2d
    public let classes: Int

    /// - Parameters:
    ///   - convolutions: 0 for C4, 4 for FPN.
    public init(inputs: Int, channels: Int, convolutions count: Int, classes: Int) {
        convolutions = (0..<count).map { i in
            Conv2d(i == 0 ? inputs : channels, channels, kernelSize: 3, padding: 1,
                   weightInitializer: .kaimingNormalFanOut(channels * 9), biasInitializer: .zeros)
        }
        deconv = Deconv2x2(count == 0 ? inputs : channels, channels)
        predictor = Conv2d(channels, classes, kernelSize: 1, weightInitializer: .normal(mean: 0, std: 0.001), biasInitializer: .zeros)
        self.classes = classes
    }

    public var namedChildren: [(String, Any)] {
        convolutions.enumerated().map { ("mask_fcn\($0.offset + 1)", $0.element as Any) } + [("deconv", deconv), ("predictor", predictor)]
    }

    /// RoI features (R, h, w, Cin) → mask logits (R, 2h, 2w, C).
    public func forward(_ x: Tensor) -> Tensor {
        var y = x
        for conv in convolutions { y = conv(y).relu() }
        return predictor(deconv(y).relu())
    }

    /// loss_mask: BCE of each foreground RoI's GT-class channel against its mask target.
    /// - Parameters:
    ///   - logits: (R, M, M, C); classes, foreground, matchedGT: (R,); boxes: (R, 4) the RoIs
    ///   - masks: (N·G, H, W) f32 full-canvas instance masks, rows indexed like `matchedGT`
    public func loss(logits: Tensor, classes: Tensor, foreground: Tensor, matchedGT: Tensor, boxes: Tensor, masks: Tensor) -> Tensor {
        let r = logits.shape[0], m = logits.shape[1]
        let own = channel(logits, classes)
        let targets = masks.maskTargets(gtIndex: matchedGT, boxes: boxes, size: m)
        let total = own.binaryCrossEntropyWithLogits(targets: targets, weights: foreground.reshaped([r, 1, 1]))
        return ClassMasks.mean(total, count: foreground.sum() * Double(m * m))
    }

    /// Mask probabilities (R, M, M) of each RoI's class (zeros for class −1).
    public func probabilities(logits: Tensor, classes: Tensor) -> Tensor {
        let found = classes.greaterEqual(logits.tracer.scalar(0, .i32)).cast(.f32).reshaped([logits.shape[0], 1, 1])
        return channel(logits, classes).sigmoid() * found
    }

    /// The channel of each row's class: (R, M, M, C) → (R, M, M).
    private func channel(_ logits: Tensor, _ classes: Tensor) -> Tensor {
        let r = logits.shape[0]
        return (logits * ClassMasks.oneHot(classes, count: self.classes).reshaped([r, 1, 1, self.classes])).sum(axes: [3])
    }
}
