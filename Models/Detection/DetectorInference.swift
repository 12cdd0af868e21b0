// A detector compiled for inference (eval mode: BatchNorm uses running statistics) on the fine-tuning canvas,
// with detectron2's test-time pre- and post-processing around it: each image is resized so its short side is the
// configuration's test size (long side ≤ canvas), normalised and placed top-left on the zero canvas; detections
// are mapped back to the original image by the resize scale, clipped to it, and empty boxes dropped
// (`detector_postprocess`). Masks, when the detector predicts them, are pasted by the detector (`MaskPasting`).

import Foundation
import Kiln
import KilnData

/// One detection in original image coordinates.
public struct ImageDetection: Equatable, Sendable {
    public var box: Box
    public var score: Double
    /// Contiguous class index (0 ..< classes).
    public var label: Int
    /// The instance mask at image size (detectors that predict masks).
    public var mask: BinaryMask?

    public init(box: Box, score: Double, label: Int, mask: BinaryMask? = nil) {
        self.box = box
        self.score = score
        self.label = label
        self.mask = mask
    }
}

/// A detector whose `detect` returns masks (M×M probabilities inside each box) pastes them into the image with
/// detectron2's `paste_masks_in_image` semantics (bilinear, threshold 0.5). Mask R-CNN conforms; evaluation and
/// drawing use it for every detector that does.
public protocol MaskPasting {
    /// The `width × height` mask of the M×M (`side`²) `probabilities` predicted inside `box` (image coordinates).
    func pasteMask(_ probabilities: ArraySlice<Float>, side: Int, box: Box, width: Int, height: Int) -> BinaryMask
}

public final class DetectorInference {
    public static let imagesInput = "images"

    public let configuration: FineTuneConfiguration
    public let detector: any Detector
    public let batch: Int
    public let function: InferenceFunction
    public let transform: DetectionTransform

    /// Compiles `detector.detect` for `batch` images of the configuration's canvas.
    public init(_ detector: any Detector, configuration c: FineTuneConfiguration, batch: Int) throws {
        guard batch >= 1 else { throw FineTuneError("the inference batch must be positive, got \(batch)") }
        let problems = c.problems()
        guard problems.isEmpty else { throw FineTuneError(problems.joined(separator: "; ")) }
        configuration = c
        self.detector = detector
        self.batch = batch
        transform = DetectionTransform(shortSide: c.testShortSide, maxSize: c.canvas, flip: false)
        function = try InferenceFunction(models: [detector],
                                         inputs: [(Self.imagesInput, TensorType(.f32, [batch, c.canvas, c.canvas, 3]))]) { _, x in
            let d = detector.detect(x[Self.imagesInput]!)
            var out = ["boxes": d.boxes, "scores": d.scores, "classes": d.classes]
            if let masks = d.masks { out["masks"] = masks }
            return out
        }
    }

    /// Detections for up to `batch` images, each in its own coordinates, best first.
    public func detect(_ images: [Image]) throws -> [[ImageDetection]] {
        guard images.count <= batch else { throw FineTuneError("\(images.count) images given to a batch of \(batch)") }
        let s = configuration.canvas
        var canvas = [Float](repeating: 0, count: batch * s * s * 3)
        var contentSizes: [(width: Int, height: Int)] = []
        for (slot, image) in images.enumerated() {
            let input = transform.render(DetectionTransform.Draw(shortSide: configuration.testShortSide, flip: false),
                                         DetectionSample(image: image.toRGB(), boxes: [], labels: []))
            let rows = min(input.image.height, s), columns = min(input.image.width, s)
            for y in 0..<rows {
                let source = y * input.image.width * 3, target = ((slot * s) + y) * s * 3
                canvas.replaceSubrange(target..<(target + columns * 3), with: input.image.data[source..<(source + columns * 3)])
            }
            contentSizes.append((input.contentWidth, input.contentHeight))
        }
        try canvas.withUnsafeBufferPointer { try function.executable.setInput(Self.imagesInput, floats: $0) }
        try function.executable.run()
        guard let boxes = function.executable.output("boxes"), let scores = function.executable.output("scores"),
              let classes = function.executable.output("classes") else {
            throw FineTuneError("the compiled detector lacks a boxes, scores or classes output")
        }
        let masks = function.executable.output("masks")
        let capacity = scores.shape[1]
        return images.indices.map { slot in
            let image = images[slot], content = contentSizes[slot]
            let sx = Double(image.width) / Double(content.width), sy = Double(image.height) / Double(content.height)
            var out: [ImageDetection] = []
            for j in 0..<capacity {
                let row = slot * capacity + j
                let label = Int(classes.data[row])
                guard label >= 0 else { continue }
                let b = boxes.data[(4 * row)..<(4 * row + 4)].map { $0 }
                let box = Box(x0: clamp(b[0] * sx, Double(image.width)), y0: clamp(b[1] * sy, Double(image.height)),
                              x1: clamp(b[2] * sx, Double(image.width)), y1: clamp(b[3] * sy, Double(image.height)))
                guard box.width > 0, box.height > 0 else { continue }
                var detection = ImageDetection(box: box, score: scores.data[row], label: label)
                if let masks, let paster = detector as? any MaskPasting {
                    let side = masks.shape[2], area = side * side
                    let probabilities = masks.data[(row * area)..<((row + 1) * area)].map(Float.init)
                    detection.mask = paster.pasteMask(probabilities[...], side: side, box: box, width: image.width, height: image.height)
                }
                out.append(detection)
            }
            return out
        }
    }

    private func clamp(_ v: Double, _ limit: Double) -> Double { min(max(v, 0), limit) }
}
