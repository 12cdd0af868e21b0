// The sizes of a Mask R-CNN (C4 or FPN), detectron2's defaults (detco-spec §3.3, §3.4, §3.7) scaled to the demo
// canvas. Every count that detectron2 sizes for ~800-pixel COCO images is a field here, so a run on real images
// can restore the original value; `init(_:)` derives the demo values from a fine-tuning configuration.

import Foundation

public struct MaskRCNNSettings: Codable, Equatable, Sendable {
    /// Foreground classes.
    public var classes: Int
    public var depth: Int
    /// The square input canvas (images are padded to it); proposals and detections are clipped to it.
    public var canvas: Int

    // MARK: RPN

    /// Anchor sizes in canvas pixels. FPN: one size per level P2…P6; C4: all sizes on res4. detectron2: 32…512 for
    /// ~800-px images; the demo objects are 12–70 px on a 128 canvas, so the sizes are halved (16…256).
    public var anchorSizes: [Double] = [16, 32, 64, 128, 256]
    public var aspectRatios: [Double] = [0.5, 1, 2]
    /// Anchors sampled per image for the RPN losses, and their foreground fraction.
    public var rpnBatchPerImage = 256
    public var rpnPositiveFraction = 0.5
    /// Proposals kept before NMS (per level for FPN, in total for C4) and after NMS (per image), train / test.
    /// detectron2: FPN 2000/1000 per level and 1000/1000 after NMS; C4 12000/6000 and 2000/1000.
    public var preNMSTrain: Int
    public var preNMSTest: Int
    public var postNMSTrain: Int
    public var postNMSTest: Int
    public var rpnNMSThreshold = 0.7

    // MARK: RoI heads

    /// RoIs sampled per image for the box (and mask) losses; detectron2: 512, 25 % foreground.
    public var roisPerImage: Int
    public var roiPositiveFraction = 0.25
    /// Channels of the FPN levels (detectron2: 256).
    public var fpnChannels = 256
    /// Width of the FPN box head's two fully connected layers (detectron2: 1024).
    public var boxHeadDimension = 1024
    /// Channels of the mask head's convolutions and deconvolution (detectron2: 256).
    public var maskHeadChannels = 256
    /// RoIAlign output for the box head: 7 for FPN, 14 for C4 (res5 then halves it to 7).
    public var boxPoolerResolution: Int
    /// RoIAlign output for the FPN mask head (14; masks come out at twice this). C4 masks are 2 × res5's output.
    public var maskPoolerResolution = 14
    /// FPN level assignment: a box of √(wh) = canonicalBoxSize goes to level 4 (detectron2: 224 on ~800-px images;
    /// here scaled by the same factor as the anchors, so a box still lands on the level whose anchors fit it).
    public var canonicalBoxSize = 112.0

    // MARK: Inference

    public var scoreThreshold = 0.05
    public var nmsThreshold = 0.5
    /// Detection capacity per image (detectron2: 100).
    public var detectionsPerImage = 100

    /// Demo-scale settings for a fine-tuning configuration (`kind` must be a Mask R-CNN).
    public init(_ c: FineTuneConfiguration) {
        classes = c.classes
        depth = c.depth
        canvas = c.canvas
        let scale = Double(c.canvas) / 128
        anchorSizes = anchorSizes.map { $0 * scale }
        canonicalBoxSize *= scale
        // The demo scenes hold 2–6 objects, so 8–16 foreground slots per image (a quarter of the RoIs) cover them.
        if c.kind == .maskrcnnC4 {
            // res4 of a 128 canvas has 8 × 8 × 15 = 960 anchors. The res5 stage runs once per RoI (≈ 0.4 GMAC for
            // ResNet-18 at 14×14 → 7×7), so RoI counts decide the cost of a step and of inference.
            (preNMSTrain, preNMSTest, postNMSTrain, postNMSTest) = (1000, 600, 300, 100)
            roisPerImage = 32
            boxPoolerResolution = 14
        } else {
            // P2…P6 of a 128 canvas hold 3072 + 768 + 192 + 48 + 12 anchors. The mask head's four 3×3
            // convolutions on 14×14 features cost 16 × channels² MACs per foreground RoI: at 256 channels they
            // would dwarf the ResNet-18 trunk, hence 64.
            (preNMSTrain, preNMSTest, postNMSTrain, postNMSTest) = (2000, 1000, 500, 300)
            roisPerImage = 64
            boxPoolerResolution = 7
            fpnChannels = 128
            boxHeadDimension = 256
            maskHeadChannels = 64
        }
    }

    /// Problems that would make the graph invalid, as messages naming the field.
    public func problems() -> [String] {
        var out: [String] = []
        if classes < 1 { out.append("classes must be positive") }
        if anchorSizes.isEmpty || anchorSizes.contains(where: { !($0 > 0) }) { out.append("anchorSizes must be positive") }
        if aspectRatios.isEmpty || aspectRatios.contains(where: { !($0 > 0) }) { out.append("aspectRatios must be positive") }
        for (name, v) in [("preNMSTrain", preNMSTrain), ("preNMSTest", preNMSTest), ("postNMSTrain", postNMSTrain),
                          ("postNMSTest", postNMSTest), ("roisPerImage", roisPerImage), ("rpnBatchPerImage", rpnBatchPerImage),
                          ("detectionsPerImage", detectionsPerImage), ("fpnChannels", fpnChannels),
                          ("boxHeadDimension", boxHeadDimension), ("maskHeadChannels", maskHeadChannels),
                          ("boxPoolerResolution", boxPoolerResolution), ("maskPoolerResolution", maskPoolerResolution)] where v < 1 {
            out.append("\(name) must be positive, got \(v)")
        }
        if Int(Double(roisPerImage) * roiPositiveFraction) < 1 { out.append("roisPerImage × roiPositiveFraction must allow a foreground RoI") }
        if canvas % 32 != 0 { out.append("the canvas must be a multiple of 32") }
        return out
    }

    /// Foreground RoI slots per image: detectron2's sampler never takes more positives than this.
    public var foregroundPerImage: Int { Int(Double(roisPerImage) * roiPositiveFraction) }

    /// The trunk depth, once every setting has been checked (both Mask R-CNN variants start from this).
    func validatedDepth() throws -> ResNet.Depth {
        let found = problems()
        guard found.isEmpty else { throw FineTuneError("Mask R-CNN settings: " + found.joined(separator: "; ")) }
        guard let depth = ResNet.Depth(rawValue: depth) else { throw FineTuneError("--depth must be 18, 34, 50 or 101") }
        return depth
    }
}
