// The COCO "instances" data model (images, categories, annotations) as plain value types. Parsing lives in
// COCOParser.swift, serialisation in COCOWriter.swift.

/// One entry of a COCO file's `images` array.
public struct COCOImage: Equatable, Sendable {
    public var id: Int
    /// Path relative to the dataset's image root, e.g. `images/000017.png`.
    public var fileName: String
    public var width: Int
    public var height: Int

    public init(id: Int, fileName: String, width: Int, height: Int) {
        self.id = id
        self.fileName = fileName
        self.width = width
        self.height = height
    }
}

/// One entry of `categories`; ids are arbitrary integers (COCO's 80 classes use 1...90 with gaps).
public struct COCOCategory: Equatable, Sendable {
    public var id: Int
    public var name: String
    public var supercategory: String?

    public init(id: Int, name: String, supercategory: String? = nil) {
        self.id = id
        self.name = name
        self.supercategory = supercategory
    }
}

/// An instance mask as stored in COCO: polygons (usual for iscrowd 0) or RLE (crowds, or exact masks).
public enum COCOSegmentation: Equatable, Sendable {
    /// Each polygon is `[x0, y0, x1, y1, ...]` with at least 3 points; the mask is their union.
    case polygons([[Double]])
    case rle(RLE)
}

/// One entry of `annotations`.
public struct COCOAnnotation: Equatable, Sendable {
    public var id: Int
    public var imageID: Int
    public var categoryID: Int
    /// `[x, y, width, height]` in pixels.
    public var bbox: [Double]
    /// Mask area when a segmentation is present, otherwise the box area (what pycocotools' area ranges use).
    public var area: Double
    public var isCrowd: Bool
    public var segmentation: COCOSegmentation?

    public init(id: Int, imageID: Int, categoryID: Int, bbox: [Double], area: Double, isCrowd: Bool = false,
                segmentation: COCOSegmentation? = nil) {
        self.id = id
        self.imageID = imageID
        self.categoryID = categoryID
        self.bbox = bbox
        self.area = area
        self.isCrowd = isCrowd
        self.segmentation = segmentation
    }

    /// The instance mask as RLE for an image of the given size (nil without a segmentation); `file` names the
    /// source in errors (polygons too large to rasterise).
    public func rle(height: Int, width: Int, file: String = "<memory>") throws -> RLE? {
        switch segmentation {
        case .none: return nil
        case .rle(let rle): return rle
        case .polygons(let polygons):
            return try RLE(polygons: polygons, height: height, width: width, file: file, field: "annotation \(id) segmentation")
        }
    }
}

/// What loading a COCO file changed or skipped (Detectron2-style cleaning), for logs and tests.
public struct COCOLoadReport: Equatable, Sendable {
    /// Boxes with width or height ≤ 0: annotation dropped.
    public var droppedDegenerateBoxes = 0
    /// Boxes entirely outside their image: annotation dropped.
    public var droppedOutOfImageBoxes = 0
    /// Boxes partly outside their image: clipped to it.
    public var clippedBoxes = 0
    /// Polygons with fewer than 3 points: removed from their annotation.
    public var droppedPolygons = 0
    /// Invalid annotations skipped because `COCOLoadOptions.skipInvalidAnnotations` was set.
    public var skippedAnnotations = 0
    /// The first few skip messages (file, JSON path, reason).
    public var problems: [String] = []
    /// Images that have no (kept) annotation; allowed.
    public var imagesWithoutAnnotations = 0

    public init() {}
}

/// Options for reading COCO files.
public struct COCOLoadOptions: Sendable {
    /// Skip (and count) annotations that reference unknown ids or have malformed fields, instead of throwing.
    public var skipInvalidAnnotations: Bool
    /// Clip boxes to their image and drop degenerate or outside ones (training); `false` keeps boxes exactly
    /// as written (evaluation against pycocotools).
    public var cleanBoxes: Bool

    public init(skipInvalidAnnotations: Bool = false, cleanBoxes: Bool = true) {
        self.skipInvalidAnnotations = skipInvalidAnnotations
        self.cleanBoxes = cleanBoxes
    }
}
