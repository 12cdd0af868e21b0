// Mask R-CNN R-FPN (detco-spec §3.4): ResNet trunk → FPN on Res2–Res5 with the max-pool P6 (BN in backbone and
// FPN; heads un-normalised) → RPN on P2–P6 (one anchor size per level) → RoIs sampled from the detached proposals
// plus ground truth → ROIAlignV2 7×7 on the RoI's level → two FC + ReLU → class scores and class-specific boxes;
// mask branch on the foreground RoIs: ROIAlignV2 14×14 → 4 × (3×3 conv + ReLU) → deconv ×2 → 1×1 → 28×28 masks.
// Widths and counts come from MaskRCNNSettings (detectron2's values there, demo values by default).

import Kiln

/// detectron2's FastRCNNConvFCHead with two fully connected layers (c2_xavier_fill, zero bias).
public final class BoxHead: Layer, ChildNaming {
    public let fc1: Linear
    public let fc2: Linear

    public init(inputs: Int, dimension: Int) {
        func fc(_ fanIn: Int) -> Linear {
            let bound = (3.0 / Double(fanIn)).squareRoot()
            return Linear(fanIn, dimension, weightInitializer: .uniform(low: -bound, high: bound), biasInitializer: .zeros)
        }
        fc1 = fc(inputs)
        fc2 = fc(dimension)
    }

    public var namedChildren: [(String, Any)] { [("fc1", fc1), ("fc2", fc2)] }

    /// Pooled RoI features (R, h, w, C) → (R, dimension). NHWC flattening: (h, w, C) order.
    public func forward(_ x: Tensor) -> Tensor { fc2(fc1(x.flattened()).relu()).relu() }
}

public final class MaskRCNNFPN: Detector, ChildNaming {
    public let settings: MaskRCNNSettings
    public let backbone: ResNet
    public let fpn: FPN
    public let rpn: RegionProposalNetwork
    public let boxHead: BoxHead
    public let boxPredictor: BoxPredictor
    public let maskHead: MaskHead

    public var classes: Int { settings.classes }
    public var predictsMasks: Bool { true }

    public init(_ settings: MaskRCNNSettings) throws {
        let depth = try settings.validatedDepth()
        guard settings.anchorSizes.count == 5 else {
            throw FineTuneError("Mask R-CNN FPN needs one anchor size per level P2…P6 (5), got \(settings.anchorSizes.count)")
        }
        self.settings = settings
        backbone = ResNet(depth, classes: nil)
        let c = settings.fpnChannels
        fpn = FPN(inputChannels: depth.channels, firstLevel: 2, channels: c, topBlock: .maxPool)
        rpn = RegionProposalNetwork(channels: c, anchorsPerCell: settings.aspectRatios.count, settings: settings)
        boxHead = BoxHead(inputs: settings.boxPoolerResolution * settings.boxPoolerResolution * c, dimension: settings.boxHeadDimension)
        boxPredictor = BoxPredictor(inputs: settings.boxHeadDimension, classes: settings.classes)
        maskHead = MaskHead(inputs: c, channels: settings.maskHeadChannels, convolutions: 4, classes: settings.classes)
    }

    public var namedChildren: [(String, Any)] {
        [("backbone", backbone), ("fpn", fpn), ("proposal_generator", rpn), ("roi_heads.box_head", boxHead),
         ("roi_heads.box_predictor", boxPredictor), ("roi_heads.mask_head", maskHead)]
    }

    private var boxPooler: LevelRoIPooler {
        LevelRoIPooler(canonicalBoxSize: settings.canonicalBoxSize, resolution: settings.boxPoolerResolution)
    }
    private var maskPooler: LevelRoIPooler {
        LevelRoIPooler(canonicalBoxSize: settings.canonicalBoxSize, resolution: settings.maskPoolerResolution)
    }

    /// P2…P6 and the RPN's predictions on them.
    private func pyramid(_ images: Tensor) -> (levels: [Tensor], rpn: RPNPredictions) {
        let levels = fpn(backbone(images).levels)
        let rpnLevels = zip(levels, settings.anchorSizes).enumerated().map { i, pair in
            RPNLevel(features: pair.0, stride: 4 << i, anchorSizes: [pair.1])
        }
        return (levels, rpn(rpnLevels))
    }

    public func losses(_ x: DetectionInputs) -> [String: Tensor] {
        let (levels, predictions) = pyramid(x.images)
        let (rpnObjectness, rpnLocalization) = rpn.losses(predictions, boxes: x.boxes, counts: x.counts)
        let proposals = rpn.proposals(predictions, training: true)
        let rois = RoISampler.sample(proposals, boxes: x.boxes, labels: x.labels, counts: x.counts, settings: settings)
        let pooled = boxPooler(Array(levels.prefix(4)), boxes: rois.boxes)
        let (logits, deltas) = boxPredictor(boxHead(pooled))
        let (classification, regression) = boxPredictor.losses(logits: logits, deltas: deltas, rois: rois)
        var out = ["loss_rpn_cls": rpnObjectness, "loss_rpn_loc": rpnLocalization, "loss_cls": classification,
                   "loss_box_reg": regression]
        if let masks = x.masks {
            let f = settings.foregroundPerImage, n = x.images.shape[0]
            let fg = rois.leading(f)
            let maskFeatures = maskPooler(Array(levels.prefix(4)), boxes: fg.boxes.reshaped([n, f, 4]))
            let g = masks.shape[1]
            out["loss_mask"] = maskHead.loss(logits: maskHead(maskFeatures), classes: fg.classes, foreground: fg.foreground,
                                             matchedGT: fg.matchedGT, boxes: fg.boxes,
                                             masks: masks.reshaped([n * g, masks.shape[2], masks.shape[3]]))
        }
        return LossTerms.withTotal(out)
    }

    public func detect(_ images: Tensor) -> Detections {
        let (levels, predictions) = pyramid(images)
        let proposals = rpn.proposals(predictions, training: false)
        let pooled = boxPooler(Array(levels.prefix(4)), boxes: proposals.boxes, keep: proposals.valid)
        let (logits, deltas) = boxPredictor(boxHead(pooled))
        var detections = boxPredictor.inference(logits: logits, deltas: deltas, proposals: proposals, settings: settings)
        let n = images.shape[0], d = settings.detectionsPerImage
        let found = detections.classes.greaterEqual(images.tracer.scalar(0, .i32))
        let maskLogits = maskHead(maskPooler(Array(levels.prefix(4)), boxes: detections.boxes, keep: found))
        let m = maskLogits.shape[1]
        detections.masks = maskHead.probabilities(logits: maskLogits, classes: detections.classes.reshaped([n * d])).reshaped([n, d, m, m])
        return detections
    }
}
