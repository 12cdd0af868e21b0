// Detection fine-tuning transforms (Detectron2's ResizeShortestEdge + RandomFlip + padding): the image is
// resized so its shorter side equals a size drawn from `shortSides` unless the longer side would exceed
// `maxSize`; then optionally flipped; then normalised and padded at the bottom/right to a multiple of
// `padMultiple` with zeros (= the mean colour after normalisation, as Detectron2 pads). Boxes are scaled and
// mirrored with the image; masks are resized (nearest) and mirrored the same way and padded like the image.

import KilnKernels

/// An axis-aligned box with corners (x0, y0) top-left and (x1, y1) bottom-right, in pixels.
public struct Box: Equatable, Sendable {
    public var x0: Double
    public var y0: Double
    public var x1: Double
    public var y1: Double

    public init(x0: Double, y0: Double, x1: Double, y1: Double) {
        self.x0 = x0
        self.y0 = y0
        self.x1 = x1
        self.y1 = y1
    }

    /// From COCO's `[x, y, width, height]`.
    public init(cocoXYWH b: [Double]) {
        precondition(b.count == 4, "Box: COCO boxes are [x, y, w, h]")
        self.init(x0: b[0], y0: b[1], x1: b[0] + b[2], y1: b[1] + b[3])
    }

    /// As COCO's `[x, y, width, height]`.
    public var cocoXYWH: [Double] { [x0, y0, x1 - x0, y1 - y0] }
    public var width: Double { x1 - x0 }
    public var height: Double { y1 - y0 }
}

/// An image with its instances, before transforms.
public struct DetectionSample: Sendable {
    public var image: Image
    public var boxes: [Box]
    /// Contiguous class indices.
    public var labels: [Int]
    /// One mask per instance at image size, or empty when the dataset has no masks.
    public var masks: [BinaryMask]

    public init(image: Image, boxes: [Box], labels: [Int], masks: [BinaryMask] = []) {
        self.image = image
        self.boxes = boxes
        self.labels = labels
        self.masks = masks
    }
}

/// A transformed sample ready for collation.
public struct DetectionInput: Sendable {
    /// Normalised, padded image.
    public var image: FloatImage
    /// Size of the resized image inside the padding.
    public var contentWidth: Int
    public var contentHeight: Int
    public var boxes: [Box]
    public var labels: [Int]
    /// Masks at the padded size.
    public var masks: [BinaryMask]
}

/// ResizeShortestEdge + flip + normalise + pad.
public struct DetectionTransform: Equatable, Sendable {
    /// Candidate shorter-side lengths; one is drawn uniformly per image (Detectron2 "choice" sampling).
    public var shortSides: [Int]
    public var maxSize: Int
    /// Horizontal flip with probability 0.5.
    public var flip: Bool
    public var padMultiple: Int
    public var normalization = Normalization.imagenet

    public init(shortSide: Int, maxSize: Int, flip: Bool, padMultiple: Int = 32) {
        self.init(shortSides: [shortSide], maxSize: maxSize, flip: flip, padMultiple: padMultiple)
    }

    public init(shortSides: [Int], maxSize: Int, flip: Bool, padMultiple: Int = 32) {
        precondition(!shortSides.isEmpty && shortSides.allSatisfy { $0 > 0 } && maxSize > 0 && padMultiple > 0,
                     "DetectionTransform: sizes must be positive")
        self.shortSides = shortSides
        self.maxSize = maxSize
        self.flip = flip
        self.padMultiple = padMultiple
    }

    public struct Draw: Equatable, Sendable {
        public var shortSide: Int
        public var flip: Bool

        public init(shortSide: Int, flip: Bool) {
            self.shortSide = shortSide
            self.flip = flip
        }
    }

    public func sample(_ rng: inout RandomStream) -> Draw {
        let side = shortSides.count == 1 ? shortSides[0] : shortSides[rng.below(shortSides.count)]
        return Draw(shortSide: side, flip: flip && rng.bernoulli(0.5))
    }

    /// Output size for a `width × height` image (Detectron2's ResizeShortestEdge rule).
    public func resizedSize(width: Int, height: Int, shortSide: Int) -> (width: Int, height: Int) {
        var scale = Double(shortSide) / Double(min(width, height))
        if Double(max(width, height)) * scale > Double(maxSize) { scale = Double(maxSize) / Double(max(width, height)) }
        let w = Int(Double(width) * scale + 0.5), h = Int(Double(height) * scale + 0.5)
        return (max(w, 1), max(h, 1))
    }

    public func apply(_ sample: DetectionSample, rng: inout RandomStream,
                      scratch: TransformScratch = TransformScratch()) -> DetectionInput {
        render(self.sample(&rng), sample, scratch: scratch)
    }

    public func render(_ draw: Draw, _ sample: DetectionSample, scratch: TransformScratch = TransformScratch()) -> DetectionInput {
        let source = sample.image
        let (w, h) = resizedSize(width: source.width, height: source.height, shortSide: draw.shortSide)
        let paddedW = (w + padMultiple - 1) / padMultiple * padMultiple
        let paddedH = (h + padMultiple - 1) / padMultiple * padMultiple
        var image = FloatImage(width: paddedW, height: paddedH)
        let content = scratch.floats(.localCrop, w * h * 3)
        Resample.cropResize(source, crop: CropBox(x: 0, y: 0, width: Double(source.width), height: Double(source.height)),
                            outWidth: w, outHeight: h, flip: draw.flip, output: content, scratch: scratch)
        image.data.withUnsafeMutableBufferPointer { buffer in
            guard let out = buffer.baseAddress else { return }
            for y in 0..<h { normalization.apply(content + y * w * 3, out + y * paddedW * 3, pixels: w) }
        }

        let sx = Double(w) / Double(source.width), sy = Double(h) / Double(source.height)
        let boxes = sample.boxes.map { box -> Box in
            var x0 = box.x0 * sx, x1 = box.x1 * sx
            if draw.flip { (x0, x1) = (Double(w) - x1, Double(w) - x0) }
            return Box(x0: min(max(x0, 0), Double(w)), y0: min(max(box.y0 * sy, 0), Double(h)),
                       x1: min(max(x1, 0), Double(w)), y1: min(max(box.y1 * sy, 0), Double(h)))
        }
        let masks = sample.masks.map { mask -> BinaryMask in
            let resized = Resample.resizeNearest(mask, width: w, height: h, flip: draw.flip)
            var padded = BinaryMask(width: paddedW, height: paddedH)
            for y in 0..<h { padded.bits.replaceSubrange((y * paddedW)..<(y * paddedW + w), with: resized.bits[(y * w)..<((y + 1) * w)]) }
            return padded
        }
        return DetectionInput(image: image, contentWidth: w, contentHeight: h, boxes: boxes, labels: sample.labels, masks: masks)
    }
}

extension COCODataset {
    /// Image `index` with its non-crowd instances (crowd regions are not training targets in Detectron2),
    /// labels as contiguous class indices and (with `withMasks`) masks decoded at image size.
    public func detectionSample(at index: Int, withMasks: Bool = true) throws -> DetectionSample {
        let image = try loadImage(at: index)
        let entry = images[index]
        var boxes: [Box] = [], labels: [Int] = [], masks: [BinaryMask] = []
        for annotation in annotations(forImageID: entry.id) where !annotation.isCrowd {
            guard let label = label(forCategoryID: annotation.categoryID) else { continue }
            boxes.append(Box(cocoXYWH: annotation.bbox))
            labels.append(label)
            if withMasks, let rle = try annotation.rle(height: entry.height, width: entry.width, file: sourceFile) {
                masks.append(rle.decode())
            }
        }
        return DetectionSample(image: image, boxes: boxes, labels: labels, masks: masks.count == boxes.count ? masks : [])
    }
}
