// Parsing and validation of COCO instances JSON. Structural problems (not JSON, a missing `images` array, a
// duplicate id) always throw. Per-annotation problems (unknown image or category id, malformed bbox or
// segmentation) throw too, unless `skipInvalidAnnotations` is set: then the annotation is skipped and counted.
// Boxes are cleaned as Detectron2 does for training (see `COCOLoadOptions.cleanBoxes`).

enum COCOParser {
    struct Parsed {
        var images: [COCOImage]
        var annotations: [COCOAnnotation]
        var categories: [COCOCategory]
        var report: COCOLoadReport
    }

    static func parse(_ bytes: [UInt8], file: String, options: COCOLoadOptions) throws -> Parsed {
        let root = JSONNode(value: try JSONParser.parse(bytes, file: file), file: file)
        let images = try parseImages(try root.member("images"))
        let categories = try root.optionalMember("categories").map(parseCategories) ?? []

        var report = COCOLoadReport()
        var annotations: [COCOAnnotation] = []
        let imagesByID = Dictionary(uniqueKeysWithValues: images.map { ($0.id, $0) })
        let categoryIDs = Set(categories.map(\.id))
        var annotationIDs = Set<Int>()
        for node in try root.optionalMember("annotations")?.array() ?? [] {
            do {
                let annotation = try parseAnnotation(node, images: imagesByID, categoryIDs: categoryIDs,
                                                     options: options, report: &report)
                guard let annotation else { continue }
                guard annotationIDs.insert(annotation.id).inserted else {
                    throw DataError(.invalid, file: file, field: "\(node.path).id", "duplicate annotation id \(annotation.id)")
                }
                annotations.append(annotation)
            } catch let error as DataError where options.skipInvalidAnnotations {
                report.skippedAnnotations += 1
                if report.problems.count < 10 { report.problems.append(error.description) }
            }
        }
        let annotated = Set(annotations.map(\.imageID))
        report.imagesWithoutAnnotations = images.filter { !annotated.contains($0.id) }.count
        return Parsed(images: images, annotations: annotations, categories: categories, report: report)
    }

    private static func parseImages(_ node: JSONNode) throws -> [COCOImage] {
        var seen = Set<Int>()
        return try node.array().map { item in
            let id = try item.member("id").int()
            guard seen.insert(id).inserted else {
                throw DataError(.invalid, file: item.file, field: "\(item.path).id", "duplicate image id \(id)")
            }
            let width = try item.member("width").int(), height = try item.member("height").int()
            guard width > 0, height > 0 else {
                throw DataError(.invalid, file: item.file, field: item.path, "image size \(width)x\(height) is not positive")
            }
            guard width <= DecodeLimits.maxPixels, height <= DecodeLimits.maxPixels,
                  width * height <= DecodeLimits.maxPixels else {
                throw DataError(.invalid, file: item.file, field: item.path,
                                "image size \(width)x\(height) exceeds the \(DecodeLimits.maxPixels)-pixel limit")
            }
            return COCOImage(id: id, fileName: try item.member("file_name").string(), width: width, height: height)
        }
    }

    private static func parseCategories(_ node: JSONNode) throws -> [COCOCategory] {
        var seen = Set<Int>()
        return try node.array().map { item in
            let id = try item.member("id").int()
            guard seen.insert(id).inserted else {
                throw DataError(.invalid, file: item.file, field: "\(item.path).id", "duplicate category id \(id)")
            }
            return COCOCategory(id: id, name: try item.member("name").string(),
                                supercategory: try item.optionalMember("supercategory")?.string())
        }
    }

    /// One annotation, or nil when box cleaning drops it.
    private static func parseAnnotation(_ node: JSONNode, images: [Int: COCOImage], categoryIDs: Set<Int>,
                                        options: COCOLoadOptions, report: inout COCOLoadReport) throws -> COCOAnnotation? {
        let id = try node.member("id").int()
        let imageNode = try node.member("image_id")
        let imageID = try imageNode.int()
        guard let image = images[imageID] else {
            throw imageNode.error("unknown image id \(imageID) (annotation \(id))", kind: .invalid)
        }
        let categoryNode = try node.member("category_id")
        let categoryID = try categoryNode.int()
        guard categoryIDs.contains(categoryID) else {
            throw categoryNode.error("unknown category id \(categoryID) (annotation \(id))", kind: .invalid)
        }
        let boxNode = try node.member("bbox")
        var bbox = try boxNode.doubles()
        guard bbox.count == 4 else { throw boxNode.error("expected [x, y, width, height], found \(bbox.count) numbers") }
        let isCrowd = try node.optionalMember("iscrowd")?.flag() ?? false
        let segmentation = try node.optionalMember("segmentation").flatMap {
            try parseSegmentation($0, image: image, report: &report)
        }
        var area = try node.optionalMember("area")?.double()
        if let given = area, given < 0 { throw DataError(.invalid, file: node.file, field: "\(node.path).area", "negative area \(given)") }

        if options.cleanBoxes {
            guard bbox[2] > 0, bbox[3] > 0 else { report.droppedDegenerateBoxes += 1; return nil }
            let x0 = max(bbox[0], 0), y0 = max(bbox[1], 0)
            let x1 = min(bbox[0] + bbox[2], Double(image.width)), y1 = min(bbox[1] + bbox[3], Double(image.height))
            guard x1 > x0, y1 > y0 else { report.droppedOutOfImageBoxes += 1; return nil }
            let clipped = [x0, y0, x1 - x0, y1 - y0]
            if clipped != bbox { report.clippedBoxes += 1; bbox = clipped }
        }
        if area == nil {
            let rle = try segmentation.flatMap { segmentation -> RLE? in
                switch segmentation {
                case .rle(let rle): return rle
                case .polygons(let polygons):
                    return try RLE(polygons: polygons, height: image.height, width: image.width,
                                   file: node.file, field: "\(node.path).segmentation")
                }
            }
            area = rle.map { Double($0.area) } ?? bbox[2] * bbox[3]
        }
        return COCOAnnotation(id: id, imageID: image.id, categoryID: categoryID, bbox: bbox, area: area ?? 0,
                              isCrowd: isCrowd, segmentation: segmentation)
    }

    /// A polygon list or an RLE object (compressed or uncompressed counts) checked against its image; shared
    /// with the results-file reader. Polygons with fewer than 3 points are dropped (pycocotools
    /// rasterises them to nothing, or fails when one comes first); nil when none is left.
    static func parseSegmentation(_ node: JSONNode, image: COCOImage,
                                          report: inout COCOLoadReport) throws -> COCOSegmentation? {
        if node.isArray {
            var polygons: [[Double]] = []
            for item in try node.array() {
                let polygon = try item.doubles()
                guard polygon.count % 2 == 0 else {
                    throw item.error("polygon has an odd number (\(polygon.count)) of coordinates", kind: .invalid)
                }
                guard polygon.allSatisfy({ abs($0) < 1e7 }) else {
                    throw item.error("polygon coordinate beyond ±1e7", kind: .invalid)
                }
                if polygon.count < 6 { report.droppedPolygons += 1; continue }
                polygons.append(polygon)
            }
            return polygons.isEmpty ? nil : .polygons(polygons)
        }
        let sizeNode = try node.member("size")
        let size = try sizeNode.doubles()
        guard size.count == 2, size[0] == Double(image.height), size[1] == Double(image.width) else {
            throw sizeNode.error("RLE size \(JSONValue.array(size.map { .number($0) }).serialized()) does not match image \(image.id) "
                                 + "([height, width] = [\(image.height), \(image.width)])", kind: .invalid)
        }
        let countsNode = try node.member("counts")
        if case .string(let text) = countsNode.value {
            return .rle(try RLE(height: image.height, width: image.width, compressed: text,
                                file: node.file, field: countsNode.path))
        }
        let counts = try countsNode.doubles()
        guard counts.allSatisfy({ $0 >= 0 && $0 <= Double(UInt32.max) && $0 == $0.rounded() }) else {
            throw countsNode.error("RLE counts must be non-negative integers", kind: .invalid)
        }
        return .rle(try RLE(height: image.height, width: image.width, checkedCounts: counts.map { UInt32($0) },
                            file: node.file, field: countsNode.path))
    }
}
