// Builds the detector a fine-tuning configuration names. The one place that maps `DetectorKind` to a model, used
// by `zoo finetune`, `zoo eval detector`, `zoo detect` and the bench workloads.

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
        case .maskrcnnFPN, .maskrcnnC4:
            throw FineTuneError("\(c.kind.rawValue) is built on the maskrcnn branch and is not part of this build")
        }
    }
}
