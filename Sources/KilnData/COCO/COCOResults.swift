// COCO detection results: the JSON list `[{image_id, category_id, bbox [x, y, w, h], score, segmentation?}]`
// that detectors write and pycocotools' `COCO.loadRes` reads. Reading follows `loadRes`:
// - when the first entry has a non-empty `bbox`, every entry needs one and a detection's area (used to ignore
//   unmatched detections outside an area range) is its box area, even for mask evaluation; box-only entries
//   are evaluated as masks by rasterising the box polygon;
// - otherwise every entry needs a `segmentation` (RLE, compressed or not, or polygons); the area is the mask
//   area and a missing `bbox` becomes the mask's tight box.
// Detections for images missing from the ground truth are errors (pycocotools asserts); unknown category ids
// are kept and never match (pycocotools filters them by the ground truth's categories). Unlike `loadRes`,
// an empty list is accepted (it evaluates as "no detections"), and bad values (negative sizes, non-finite
// numbers, masks whose size differs from the image) are errors naming the file and JSON path.

import Foundation

/// One detection of a results file.
public struct COCODetection: Equatable, Sendable {
    public var imageID: Int
    public var categoryID: Int
    public var score: Double
    /// `[x, y, width, height]` in pixels.
    public var bbox: [Double]
    /// The instance mask for `segm` evaluation; nil for box-only detections (then the box is rasterised).
    public var segmentation: RLE?
    /// The area compared with the area ranges: the box area for results with boxes, the mask area otherwise.
    public var area: Double

    /// A detection; `area` defaults to the box area, which is what pycocotools uses whenever results carry
    /// boxes (as Detectron2's do, masks included).
    public init(imageID: Int, categoryID: Int, score: Double, bbox: [Double], segmentation: RLE? = nil,
                area: Double? = nil) {
        precondition(bbox.count == 4, "COCODetection: bbox is [x, y, w, h]")
        self.imageID = imageID
        self.categoryID = categoryID
        self.score = score
        self.bbox = bbox
        self.segmentation = segmentation
        self.area = area ?? bbox[2] * bbox[3]
    }
}

/// A parsed results file.
public struct COCOResults: Sendable {
    public var detections: [COCODetection]
    /// The JSON file the results came from (`<memory>` when built from values), for error messages.
    public var sourceFile: String

    public init(detections: [COCODetection], sourceFile: String = "<memory>") {
        self.detections = detections
        self.sourceFile = sourceFile
    }

    /// Reads a results file; image ids and mask sizes are checked against `groundTruth`.
    public static func load(_ url: URL, groundTruth: COCODataset) throws -> COCOResults {
        try parse(try readFileBytes(url), file: url.path, groundTruth: groundTruth)
    }

    /// Parses results JSON bytes; `file` names the source in errors.
    public static func parse(_ bytes: [UInt8], file: String = "<memory>", groundTruth: COCODataset) throws -> COCOResults {
        let root = JSONNode(value: try JSONParser.parse(bytes, file: file), file: file)
        guard root.isArray else {
            throw root.error("a results file is a JSON list of detections, found \(root.typeName)")
        }
        let entries = try root.array()
        let images = Dictionary(groundTruth.images.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        // pycocotools decides the format from the first entry only.
        let boxResults = try entries.first.map { first -> Bool in
            guard let box = try first.optionalMember("bbox") else { return false }
            guard box.isArray else { return true }
            return try !box.array().isEmpty
        } ?? true
        var detections: [COCODetection] = []
        detections.reserveCapacity(entries.count)
        for entry in entries {
            detections.append(try parseDetection(entry, images: images, boxResults: boxResults,
                                                 groundTruthFile: groundTruth.sourceFile))
        }
        return COCOResults(detections: detections, sourceFile: file)
    }

    private static func parseDetection(_ node: JSONNode, images: [Int: COCOImage], boxResults: Bool,
                                       groundTruthFile: String) throws -> COCODetection {
        let imageNode = try node.member("image_id")
        let imageID = try imageNode.int()
        guard let image = images[imageID] else {
            throw imageNode.error("image id \(imageID) is not in the ground truth \(groundTruthFile)", kind: .invalid)
        }
        let categoryID = try node.member("category_id").int()
        let scoreNode = try node.member("score")
        let score = try scoreNode.double()
        var report = COCOLoadReport()
        let segmentationNode = boxResults ? try node.optionalMember("segmentation") : try node.member("segmentation")
        let segmentation: RLE? = try segmentationNode.flatMap { segmentationNode in
            let parsed = try COCOParser.parseSegmentation(segmentationNode, image: image, report: &report)
            guard let parsed else {
                throw segmentationNode.error("no polygon with at least 3 points", kind: .invalid)
            }
            switch parsed {
            case .rle(let rle): return rle
            case .polygons(let polygons):
                return try RLE(polygons: polygons, height: image.height, width: image.width,
                               file: node.file, field: segmentationNode.path)
            }
        }
        let boxNode = boxResults ? try node.member("bbox") : try node.optionalMember("bbox")
        var bbox = try boxNode.map(parseBox) ?? []
        if boxResults, let boxNode, bbox.isEmpty {
            throw boxNode.error("expected [x, y, width, height], found 0 numbers (the file's first entry has a box)")
        }
        if bbox.isEmpty, let segmentation { bbox = segmentation.boundingBox }
        guard bbox.count == 4 else { throw node.error("detection has neither a box nor a mask") }
        let area = boxResults ? bbox[2] * bbox[3] : Double(segmentation?.area ?? 0)
        return COCODetection(imageID: imageID, categoryID: categoryID, score: score, bbox: bbox,
                             segmentation: segmentation, area: area)
    }

    /// `[x, y, w, h]` with finite values and non-negative sizes; `[]` is allowed (mask results without a box).
    private static func parseBox(_ node: JSONNode) throws -> [Double] {
        let box = try node.doubles()
        if box.isEmpty { return box }
        guard box.count == 4 else { throw node.error("expected [x, y, width, height], found \(box.count) numbers") }
        guard box[2] >= 0, box[3] >= 0 else {
            throw node.error("negative box size \(box[2])x\(box[3])", kind: .invalid)
        }
        return box
    }
}

extension COCOResults {
    /// The results as pycocotools' JSON list (masks as compressed RLE).
    public func jsonValue() -> JSONValue {
        .array(detections.map { detection in
            var members: [(String, JSONValue)] = [
                ("image_id", .int(detection.imageID)), ("category_id", .int(detection.categoryID)),
                ("bbox", .array(detection.bbox.map { .number($0) })), ("score", .number(detection.score)),
            ]
            if let rle = detection.segmentation {
                members.append(("segmentation", .object([("size", .array([.int(rle.height), .int(rle.width)])),
                                                         ("counts", .string(rle.compressedCounts))])))
            }
            return .object(members)
        })
    }

    /// Writes `jsonValue()` as JSON text, one detection per line.
    public func write(to url: URL) throws {
        try writeFileBytes(Array(jsonValue().serialized(pretty: true).utf8), to: url)
    }
}
