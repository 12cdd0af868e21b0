// Builds the detector a fine-tuning configuration names. Mask R-CNN settings are derived from the configuration
// (MaskRCNNSettings(_:)), so a checkpoint's stored configuration rebuilds the same network.

public enum DetectorFactory {
    public static func make(_ c: FineTuneConfiguration) throws -> any Detector {
        switch c.kind {
        case .maskrcnnFPN: return try MaskRCNNFPN(MaskRCNNSettings(c))
        case .maskrcnnC4: return try MaskRCNNC4(MaskRCNNSettings(c))
        case .retinanet: throw FineTuneError("RetinaNet lives on the retina branch; this build has Mask R-CNN (maskrcnn-fpn, maskrcnn-c4) only")
        }
    }
}
