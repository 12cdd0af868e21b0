// RetinaNet's hyper-parameters (detco-spec §3.5, detectron2's `Base-RetinaNet.yaml` and `MODEL.RETINANET.*`
// defaults). Everything is detectron2's value except the anchor sizes, which follow the canvas: detectron2's
// {32, 64, 128, 256, 512} suit 800-pixel COCO images, the demo's 128-pixel canvas holds objects of 10–80 px, so
// its default is {16, 32, 64, 128, 256} (2× the level's stride instead of 4×; see docs/detection.md).

import Foundation

/// The settings of one RetinaNet.
public struct RetinaNetSettings: Equatable, Sendable {
    /// Foreground classes C.
    public var classes: Int
    /// ResNet depth of the trunk.
    public var depth: ResNet.Depth
    /// Base anchor size of P3…P7 in canvas pixels.
    public var anchorSizes: [Double]
    /// Anchor scales on every level (each multiplies the level's base size): 2^0, 2^(1/3), 2^(2/3).
    public var anchorScales: [Double] = [1, pow(2, 1.0 / 3), pow(2, 2.0 / 3)]
    /// Height / width ratios.
    public var aspectRatios: [Double] = [0.5, 1, 2]
    /// Channels of the FPN levels and of the head's towers.
    public var channels = 256
    /// 3×3 conv + ReLU blocks in each tower.
    public var towerConvs = 4
    /// Prior foreground probability that sets the classifier's initial bias.
    public var priorProbability = 0.01
    /// Matcher: IoU < 0.4 background, ≥ 0.5 foreground, in between ignored; low-quality matches allowed.
    public var matchThresholds: [Double] = [0.4, 0.5]
    public var focalAlpha = 0.25
    public var focalGamma = 2.0
    /// Smooth-L1 β of the box loss (0: L1).
    public var smoothL1Beta = 0.0
    /// The loss normaliser is an EMA of the positive-anchor count with this momentum, starting here.
    public var normalizerMomentum = 0.9
    public var normalizerInitial = 100.0
    /// Inference: candidates must score above this …
    public var scoreThreshold = 0.05
    /// … at most this many per level (before NMS) …
    public var candidatesPerLevel = 1000
    /// … class-wise NMS at this IoU …
    public var nmsThreshold = 0.5
    /// … and this many detections per image (the capacity D of `Detections`).
    public var detectionsPerImage = 100

    public init(classes: Int, depth: ResNet.Depth, anchorSizes: [Double] = RetinaNetSettings.demoAnchorSizes) {
        self.classes = classes
        self.depth = depth
        self.anchorSizes = anchorSizes
    }

    /// detectron2's sizes for COCO at 800 pixels.
    public static let cocoAnchorSizes: [Double] = [32, 64, 128, 256, 512]
    /// The demo canvas (128 pixels) default.
    public static let demoAnchorSizes: [Double] = [16, 32, 64, 128, 256]

    /// Anchors per feature-map position (A).
    public var anchorsPerPosition: Int { anchorScales.count * aspectRatios.count }

    /// Problems that make the settings unusable, as messages naming the setting.
    public func problems() -> [String] {
        var out: [String] = []
        if classes < 1 { out.append("RetinaNet needs at least one class") }
        if anchorSizes.count != 5 { out.append("RetinaNet needs 5 anchor sizes (P3..P7), got \(anchorSizes.count)") }
        if anchorSizes.contains(where: { !($0 > 0) }) { out.append("anchor sizes must be positive") }
        if channels < 1 || towerConvs < 0 { out.append("head channels must be positive and tower depth non-negative") }
        if !(priorProbability > 0 && priorProbability < 1) { out.append("the prior probability must be in (0, 1)") }
        if matchThresholds.count != 2 || !(matchThresholds[0] > 0 && matchThresholds[0] <= matchThresholds[1]) {
            out.append("match thresholds must be two ascending IoUs, the first positive")
        }
        if candidatesPerLevel < 1 || detectionsPerImage < 1 { out.append("candidate and detection counts must be positive") }
        return out
    }
}
