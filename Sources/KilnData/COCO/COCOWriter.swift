// Serialisation of `COCODataset` to COCO instances JSON. Output is deterministic (fixed key order, shortest
// round-trip numbers, RLE masks as compressed strings), so identical datasets give identical bytes.

import Foundation

extension COCODataset {
    /// The dataset as a JSON value (top-level keys: info, images, annotations, categories).
    public func jsonValue(description: String = "Kiln dataset") -> JSONValue {
        let imageValues: [JSONValue] = images.map { image in
            .object([("id", .int(image.id)), ("file_name", .string(image.fileName)),
                     ("width", .int(image.width)), ("height", .int(image.height))])
        }
        let annotationValues: [JSONValue] = annotations.map { annotation in
            var members: [(String, JSONValue)] = [
                ("id", .int(annotation.id)), ("image_id", .int(annotation.imageID)),
                ("category_id", .int(annotation.categoryID)),
                ("bbox", .array(annotation.bbox.map { .number($0) })),
                ("area", .number(annotation.area)), ("iscrowd", .int(annotation.isCrowd ? 1 : 0)),
            ]
            switch annotation.segmentation {
            case .none: break
            case .polygons(let polygons):
                members.append(("segmentation", .array(polygons.map { .array($0.map { .number($0) }) })))
            case .rle(let rle):
                members.append(("segmentation", .object([("size", .array([.int(rle.height), .int(rle.width)])),
                                                         ("counts", .string(rle.compressedCounts))])))
            }
            return .object(members)
        }
        let categoryValues: [JSONValue] = categories.map { category in
            var members: [(String, JSONValue)] = [("id", .int(category.id)), ("name", .string(category.name))]
            if let supercategory = category.supercategory { members.append(("supercategory", .string(supercategory))) }
            return .object(members)
        }
        return .object([("info", .object([("description", .string(description))])),
                        ("images", .array(imageValues)), ("annotations", .array(annotationValues)),
                        ("categories", .array(categoryValues))])
    }

    /// COCO JSON text, one image / annotation / category per line.
    public func jsonText(description: String = "Kiln dataset") -> String {
        // One entry per line keeps large files diff-able without the size cost of full pretty-printing.
        guard case .object(let sections) = jsonValue(description: description) else { return "" }
        var out = "{\n"
        for (i, (key, value)) in sections.enumerated() {
            out += "\"\(key)\":"
            if case .array(let items) = value {
                out += items.isEmpty ? "[]" : "[\n" + items.map { $0.serialized() }.joined(separator: ",\n") + "\n]"
            } else {
                out += value.serialized()
            }
            out += i + 1 < sections.count ? ",\n" : "\n"
        }
        return out + "}\n"
    }

    /// Writes `jsonText()` to `url`.
    public func write(to url: URL, description: String = "Kiln dataset") throws {
        try writeFileBytes(Array(jsonText(description: description).utf8), to: url)
    }
}
