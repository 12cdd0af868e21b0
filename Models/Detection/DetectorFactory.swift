// Builds the detector a fine-tuning configuration names. The one place that maps `DetectorKind` to a model, used
// by `zoo finetune`, `zoo eval detector`, `zoo detect` and the bench workloads. Mask R-CNN settings are derived
// from the configuration (MaskRCNNSettings(_:)), so a checkpoint's stored configuration rebuilds the same network.

public enum DetectorFactory {
    /// A freshly constructed (not yet initialised) detector for `c`.
    /// - Throws: `FineTuneError` when the configuration does not describe a buildable detector.
    public static func make(_ c: FineTuneConfiguration) throws -> any Detector {
        guard let depth = ResNet.Depth(rawValue: c.depth) else {
            throw FineTuneError("ResNet depth \(c.depth) is not one of 18, 34, 50, 101")
        }
        switch c.kind {
        case .retinanet:
            return try RetinaNet(RetinaNetSettings(classes: c.classes, depth: depth, anchorSizes: c.retinaNetAnchorSizes))
        case .maskrcnnFPN:
            return try MaskRCNNFPN(MaskRCNNSettings(c))
        case .maskrcnnC4:
            return try MaskRCNNC4(MaskRCNNSettings(c))
        }
    }
}
