// The interface every detector of the zoo implements (RetinaNet, Mask R-CNN C4 and FPN), and the static-shape
// batch it trains on: images padded to a fixed canvas, ground truth padded to a fixed instance capacity with a
// count per image (architecture brief §1: data-dependent sizes become capacities plus validity).

import Kiln

/// One training batch as graph tensors.
public struct DetectionInputs {
    /// (N, H, W, 3) normalised images on a fixed canvas.
    public var images: Tensor
    /// (N, G, 4) ground-truth boxes (x0, y0, x1, y1) in canvas pixels; rows at or past `counts[n]` are padding.
    public var boxes: Tensor
    /// (N, G) i32 contiguous class indices (0 ..< classes); −1 for padding rows.
    public var labels: Tensor
    /// (N,) i32 number of valid ground-truth rows per image.
    public var counts: Tensor
    /// (N, G, H, W) f32 0/1 instance masks on the canvas (Mask R-CNN only).
    public var masks: Tensor?

    public init(images: Tensor, boxes: Tensor, labels: Tensor, counts: Tensor, masks: Tensor? = nil) {
        self.images = images
        self.boxes = boxes
        self.labels = labels
        self.counts = counts
        self.masks = masks
    }
}

/// Fixed-capacity detections per image, sorted by score; padding rows have score 0 and class −1.
public struct Detections {
    /// (N, D, 4) boxes in canvas pixels.
    public var boxes: Tensor
    /// (N, D) scores.
    public var scores: Tensor
    /// (N, D) i32 class indices.
    public var classes: Tensor
    /// (N, D, M, M) mask probabilities inside each box (Mask R-CNN).
    public var masks: Tensor?

    public init(boxes: Tensor, scores: Tensor, classes: Tensor, masks: Tensor? = nil) {
        self.boxes = boxes
        self.scores = scores
        self.classes = classes
        self.masks = masks
    }
}

public protocol Detector: Module {
    /// Foreground classes.
    var classes: Int { get }
    /// Whether the detector predicts instance masks (and needs mask targets).
    var predictsMasks: Bool { get }
    /// The ResNet trunk, named like torchvision, that pre-trained weights load into.
    var backbone: ResNet { get }
    /// Training losses; must contain "loss", the sum that is minimised, and one entry per term.
    func losses(_ x: DetectionInputs) -> [String: Tensor]
    /// Inference on (N, H, W, 3) images.
    func detect(_ images: Tensor) -> Detections
}
