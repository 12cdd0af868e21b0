// Mask R-CNN R-C4 (detco-spec §3.3, detectron2's Res5ROIHeadsExtraNorm): the ResNet trunk stops at res4 (stride
// 16); the RPN runs on res4 with every anchor size at once; RoIs are pooled from res4 by ROIAlignV2 14×14 and
// run through the res5 stage — which IS `backbone.layer4` (first block stride 2), so pre-trained res5 weights
// serve as the RoI head — then an extra BatchNorm, a mean pool, and the class / box predictors. The mask branch
// reuses the 7×7 res5 features of the foreground RoIs: deconv 2×2/2 + ReLU + 1×1 → 14×14 masks. At test time
// the masks are computed from res5 features of the detected boxes.

import Kiln

public final class MaskRCNNC4: Detector, ChildNaming {
    public let settings: MaskRCNNSettings
    public let backbone: ResNet
    public let rpn: RegionProposalNetwork
    /// The extra norm after res5 ("Res5ROIHeadsExtraNorm").
    public let res5Norm: BatchNorm2d
    public let boxPredictor: BoxPredictor
    public let maskHead: MaskHead

    public var classes: Int { settings.classes }
    public var predictsMasks: Bool { true }

    public init(_ settings: MaskRCNNSettings) throws {
        let depth = try settings.validatedDepth()
        self.settings = settings
        backbone = ResNet(depth, classes: nil)
        let res4 = depth.channels[2], res5 = depth.channels[3]
        rpn = RegionProposalNetwork(channels: res4, anchorsPerCell: settings.anchorSizes.count * settings.aspectRatios.count,
                                    settings: settings)
        res5Norm = BatchNorm2d(res5)
        boxPredictor = BoxPredictor(inputs: res5, classes: settings.classes)
        maskHead = MaskHead(inputs: res5, channels: settings.maskHeadChannels, convolutions: 0, classes: settings.classes)
    }

    public var namedChildren: [(String, Any)] {
        [("backbone", backbone), ("proposal_generator", rpn), ("roi_heads.res5.norm", res5Norm),
         ("roi_heads.box_predictor", boxPredictor), ("roi_heads.mask_head", maskHead)]
    }

    /// Stem and res2…res4 (the trunk's forward stops before layer4).
    private func res4(_ images: Tensor) -> Tensor {
        let b = backbone
        return b.layer3(b.layer2(b.layer1(b.maxpool(b.bn1(b.conv1(images)).relu()))))
    }

    private func rpnPredictions(_ res4: Tensor) -> RPNPredictions {
        rpn([RPNLevel(features: res4, stride: 16, anchorSizes: settings.anchorSizes)])
    }

    /// Res5ROIHeads' _shared_roi_transform: boxes (N, K, 4) → res5 features (N·K, r/2, r/2, C5).
    private func res5(_ res4: Tensor, boxes: Tensor, keep: Tensor? = nil) -> Tensor {
        let r = settings.boxPoolerResolution
        let attributes = RoIAlignAttributes(output: [r, r], spatialScale: 1.0 / 16, samplingRatio: 0, aligned: true)
        return res5Norm(backbone.layer4(res4.roiAlign(rois: BoxGeometry.rois(boxes, keep: keep), attributes)))
    }

    public func losses(_ x: DetectionInputs) -> [String: Tensor] {
        let features = res4(x.images)
        let predictions = rpnPredictions(features)
        let (rpnObjectness, rpnLocalization) = rpn.losses(predictions, boxes: x.boxes, counts: x.counts)
        let rois = RoISampler.sample(rpn.proposals(predictions, training: true), boxes: x.boxes, labels: x.labels,
                                     counts: x.counts, settings: settings)
        let roiFeatures = res5(features, boxes: rois.boxes)
        let (logits, deltas) = boxPredictor(roiFeatures.mean(axes: [1, 2]))
        let (classification, regression) = boxPredictor.losses(logits: logits, deltas: deltas, rois: rois)
        var out = ["loss_rpn_cls": rpnObjectness, "loss_rpn_loc": rpnLocalization, "loss_cls": classification,
                   "loss_box_reg": regression]
        if let masks = x.masks {
            let n = x.images.shape[0], s = settings.roisPerImage, f = settings.foregroundPerImage, g = masks.shape[1]
            let side = roiFeatures.shape[1], channels = roiFeatures.shape[3]
            // Slots [0, F) of every image hold all its foreground RoIs (RoISampler).
            let foregroundFeatures = roiFeatures.reshaped([n, s, side, side, channels]).slice(axis: 1, 0..<f)
                .reshaped([n * f, side, side, channels])
            let fg = rois.leading(f)
            out["loss_mask"] = maskHead.loss(logits: maskHead(foregroundFeatures), classes: fg.classes, foreground: fg.foreground,
                                             matchedGT: fg.matchedGT, boxes: fg.boxes,
                                             masks: masks.reshaped([n * g, masks.shape[2], masks.shape[3]]))
        }
        return LossTerms.withTotal(out)
    }

    public func detect(_ images: Tensor) -> Detections {
        let features = res4(images)
        let proposals = rpn.proposals(rpnPredictions(features), training: false)
        let (logits, deltas) = boxPredictor(res5(features, boxes: proposals.boxes, keep: proposals.valid).mean(axes: [1, 2]))
        var detections = boxPredictor.inference(logits: logits, deltas: deltas, proposals: proposals, settings: settings)
        let n = images.shape[0], d = settings.detectionsPerImage
        let found = detections.classes.greaterEqual(images.tracer.scalar(0, .i32))
        let maskLogits = maskHead(res5(features, boxes: detections.boxes, keep: found))
        let m = maskLogits.shape[1]
        detections.masks = maskHead.probabilities(logits: maskLogits, classes: detections.classes.reshaped([n * d])).reshaped([n, d, m, m])
        return detections
    }
}
