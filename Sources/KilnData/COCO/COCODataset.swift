// `COCODataset`: a COCO instances file in memory with the indices training and evaluation need (annotations
// per image, contiguous class indices), image loading relative to an image root, and reproducible label
// subsets by fraction for the semi-supervised "1 % / 2 % / 5 % / 10 % of COCO" protocols.

import Foundation
import KilnKernels

/// A parsed, validated COCO instances dataset.
public struct COCODataset: Sendable {
    public private(set) var images: [COCOImage]
    public private(set) var annotations: [COCOAnnotation]
    public private(set) var categories: [COCOCategory]
    /// Folder that `COCOImage.fileName` is relative to.
    public var imageRoot: URL
    /// What loading cleaned or skipped.
    public private(set) var report: COCOLoadReport
    /// The JSON file the dataset came from (`<memory>` when built from values), for error messages.
    public var sourceFile = "<memory>"

    private var annotationIndicesByImage: [Int: [Int]] = [:]
    private var labelByCategoryID: [Int: Int] = [:]

    /// Builds a dataset from values (e.g. a generator); ids must be consistent.
    public init(images: [COCOImage], annotations: [COCOAnnotation], categories: [COCOCategory],
                imageRoot: URL, report: COCOLoadReport = COCOLoadReport()) {
        self.images = images
        self.annotations = annotations
        self.categories = categories
        self.imageRoot = imageRoot
        self.report = report
        for (i, annotation) in annotations.enumerated() {
            annotationIndicesByImage[annotation.imageID, default: []].append(i)
        }
        for (label, id) in categories.map(\.id).sorted().enumerated() { labelByCategoryID[id] = label }
    }

    /// Reads a COCO JSON file. Images are looked up relative to `imageRoot` (default: the JSON file's folder).
    public static func load(_ url: URL, imageRoot: URL? = nil, options: COCOLoadOptions = COCOLoadOptions()) throws -> COCODataset {
        try parse(try readFileBytes(url), file: url.path, imageRoot: imageRoot ?? url.deletingLastPathComponent(), options: options)
    }

    /// Parses COCO JSON bytes; `file` names the source in errors.
    public static func parse(_ bytes: [UInt8], file: String = "<memory>", imageRoot: URL,
                             options: COCOLoadOptions = COCOLoadOptions()) throws -> COCODataset {
        let parsed = try COCOParser.parse(bytes, file: file, options: options)
        var dataset = COCODataset(images: parsed.images, annotations: parsed.annotations, categories: parsed.categories,
                                  imageRoot: imageRoot, report: parsed.report)
        dataset.sourceFile = file
        return dataset
    }

    /// Annotations of the image with id `imageID`, in file order.
    public func annotations(forImageID imageID: Int) -> [COCOAnnotation] {
        (annotationIndicesByImage[imageID] ?? []).map { annotations[$0] }
    }

    /// Contiguous class index 0..<categories.count of a category id (ids sorted ascending), as Detectron2 maps them.
    public func label(forCategoryID id: Int) -> Int? { labelByCategoryID[id] }

    /// Category ids in label order.
    public var categoryIDsByLabel: [Int] { categories.map(\.id).sorted() }

    /// URL of image `index`.
    public func imageURL(at index: Int) -> URL { imageRoot.appendingPathComponent(images[index].fileName) }

    /// Decodes image `index`; the decoded size must match the JSON's width and height.
    public func loadImage(at index: Int, mode: ColorMode = .rgb) throws -> Image {
        let entry = images[index]
        let url = imageURL(at: index)
        let image = try ImageIO.load(url, mode: mode)
        guard image.width == entry.width, image.height == entry.height else {
            throw DataError(.invalid, file: url.path, field: "images[\(index)]",
                            "decoded size \(image.width)x\(image.height) differs from the annotated \(entry.width)x\(entry.height)")
        }
        return image
    }

    /// A reproducible subset holding `fraction` of the images (at least one) and their annotations.
    /// Images are drawn from one seeded permutation, so for a fixed seed smaller fractions are subsets of
    /// larger ones (1 % ⊂ 2 % ⊂ 5 % ⊂ 10 %). Categories are kept whole; file order is preserved.
    public func subset(fraction: Double, seed: UInt64) -> COCODataset {
        let clamped = min(max(fraction, 0), 1)
        let keepCount = images.isEmpty ? 0 : max(1, Int((clamped * Double(images.count)).rounded()))
        var order = Array(images.indices)
        var rng = RandomStream(seed: seed, stream: 0xC0C0_5B5E7)
        rng.shuffle(&order)
        let kept = Set(order.prefix(keepCount))
        let keptImages = images.indices.filter { kept.contains($0) }.map { images[$0] }
        let keptIDs = Set(keptImages.map(\.id))
        var subsetReport = report
        let keptAnnotations = annotations.filter { keptIDs.contains($0.imageID) }
        subsetReport.imagesWithoutAnnotations = keptImages.count - Set(keptAnnotations.map(\.imageID)).count
        var subset = COCODataset(images: keptImages, annotations: keptAnnotations, categories: categories,
                                 imageRoot: imageRoot, report: subsetReport)
        subset.sourceFile = sourceFile
        return subset
    }
}
