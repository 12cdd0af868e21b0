// RetinaNet (Lin et al. 2017) as detectron2 builds it for the MoCo/DetCo fine-tuning configs (detco-spec §3.5):
// a ResNet trunk, an FPN on Res3–Res5 with BatchNorm in laterals and outputs plus P6 = conv3×3/2(C5) and
// P7 = conv3×3/2(ReLU(P6)), and a head shared over P3–P7. Training losses are in RetinaNetLosses.swift,
// inference in RetinaNetInference.swift. Parameter names: `backbone.*` (torchvision ResNet names, where
// pre-trained weights load), `fpn.*` and `head.*` (detectron2 names), and the loss normaliser's EMA state
// `loss_normalizer`.

import Kiln

public final class RetinaNet: Detector, ChildNaming {
    public let settings: RetinaNetSettings
    public let backbone: ResNet
    public let fpn: FPN
    public let head: RetinaNetHead
    /// EMA of the positive-anchor count (a buffer updated by every training step, saved in checkpoints).
    public let lossNormalizer: Parameter

    /// - Throws: `FineTuneError` naming the first unusable setting.
    public init(_ settings: RetinaNetSettings) throws {
        let problems = settings.problems()
        guard problems.isEmpty else { throw FineTuneError(problems.joined(separator: "; ")) }
        self.settings = settings
        backbone = ResNet(settings.depth, classes: nil)
        let trunk = settings.depth.channels
        fpn = FPN(inputChannels: Array(trunk[1...]), firstLevel: 3, channels: settings.channels, normalized: true,
                  topBlock: .retinaNet)
        head = RetinaNetHead(channels: settings.channels, classes: settings.classes,
                             anchorsPerPosition: settings.anchorsPerPosition, towerConvs: settings.towerConvs,
                             priorProbability: settings.priorProbability)
        lossNormalizer = Parameter([], kind: .buffer, initializer: .constant(settings.normalizerInitial))
    }

    public var classes: Int { settings.classes }
    public var predictsMasks: Bool { false }

    public var namedChildren: [(String, Any)] {
        [("backbone", backbone), ("fpn", fpn), ("head", head), ("loss_normalizer", lossNormalizer)]
    }

    /// P3…P7 of (N, H, W, 3) images.
    public func pyramid(_ images: Tensor) -> [Tensor] {
        let features = backbone(images)
        return fpn([features.res3, features.res4, features.res5])
    }

    /// The anchor levels of a pyramid: feature size from each map, stride 2^(3+i), sizes × scales.
    public func anchorLevels(_ pyramid: [Tensor]) -> [AnchorLevel] {
        pyramid.enumerated().map { i, p in
            let base = settings.anchorSizes[min(i, settings.anchorSizes.count - 1)]
            return AnchorLevel(featureSize: [p.shape[1], p.shape[2]], stride: Double(1 << (3 + i)),
                               sizes: settings.anchorScales.map { base * $0 })
        }
    }
}
