// COCO parsing on labelme-examples' real COCO file, precise error messages for malformed files, Detectron2-style
// box cleaning, writer round trip and reproducible label subsets.

import Foundation
import Testing
import KilnData

@Suite struct COCOTests {
    @Test func loadsLabelmeExample() throws {
        let dataset = try COCODataset.load(TestData.cocoJSON)
        #expect(dataset.images.count == 3 && dataset.annotations.count == 12 && dataset.categories.count == 21)
        #expect(dataset.categories.first == COCOCategory(id: 0, name: "_background_"))
        #expect(dataset.images.map { [$0.width, $0.height] } == [[500, 338], [500, 375], [500, 375]])
        #expect(dataset.images.map { dataset.annotations(forImageID: $0.id).count } == [3, 3, 6])
        #expect(dataset.label(forCategoryID: 15) == 15 && dataset.categoryIDsByLabel.count == 21)
        #expect(dataset.report == COCOLoadReport())
        let first = try #require(dataset.annotations.first)
        #expect(first.categoryID == 15 && first.area == 15689 && first.bbox == [191, 107, 123, 221] && !first.isCrowd)
        for index in dataset.images.indices {
            let image = try dataset.loadImage(at: index)
            #expect(image.width == dataset.images[index].width && image.channels == 3)
        }
    }

    @Test func labelmePolygonsRasteriseLikePycocotools() throws {
        let dataset = try COCODataset.load(TestData.cocoJSON)
        let data = try Data(contentsOf: TestData.fixtures.appendingPathComponent("pycocotools_fixtures.json"))
        let reference = try #require((try JSONSerialization.jsonObject(with: data) as? [String: Any])?["labelme"] as? [[String: Any]])
        #expect(reference.count == dataset.annotations.count)
        for (annotation, expected) in zip(dataset.annotations, reference) {
            let image = try #require(dataset.images.first { $0.id == annotation.imageID })
            let rle = try #require(try annotation.rle(height: image.height, width: image.width))
            #expect(rle.compressedCounts == expected["counts"] as? String)
            #expect(rle.area == (expected["area"] as? NSNumber)?.intValue)
            // labelme computed `area` with its own polygon fill; the two rules agree within 7 %.
            #expect(abs(Double(rle.area) - annotation.area) / annotation.area < 0.07)
        }
    }

    static let header = #"{"images": [{"id": 7, "file_name": "a.png", "width": 40, "height": 30}], "categories": [{"id": 3, "name": "cat"}], "annotations": "#

    struct BadCase: Sendable, CustomTestStringConvertible {
        var json: String, field: String, message: String
        var testDescription: String { field.isEmpty ? message : field }
    }

    static let badCases: [BadCase] = [
        .init(json: "{\"images\": [}", field: "", message: "not valid JSON"),
        .init(json: "[1, 2]", field: "", message: "expected an object, found an array"),
        .init(json: "{\"annotations\": []}", field: "images", message: "missing field"),
        .init(json: #"{"images": [{"id": 1, "width": 4, "height": 4}]}"#, field: "images[0].file_name", message: "missing field"),
        .init(json: #"{"images": [{"id": 1, "file_name": "a", "width": 0, "height": 4}]}"#, field: "images[0]", message: "not positive"),
        .init(json: #"{"images": [{"id": 1, "file_name": "a", "width": 2, "height": 4}, {"id": 1, "file_name": "b", "width": 2, "height": 4}]}"#,
              field: "images[1].id", message: "duplicate image id 1"),
        .init(json: header + #"[{"id": 1, "image_id": 7, "category_id": 3, "bbox": [1, 2, 3, 4]}, {"id": 2, "image_id": 7, "category_id": 99, "bbox": [1, 2, 3, 4]}]}"#,
              field: "annotations[1].category_id", message: "unknown category id 99 (annotation 2)"),
        .init(json: header + #"[{"id": 1, "image_id": 8, "category_id": 3, "bbox": [1, 2, 3, 4]}]}"#,
              field: "annotations[0].image_id", message: "unknown image id 8"),
        .init(json: header + #"[{"id": 1, "image_id": 7, "category_id": 3, "bbox": [1, 2, 3]}]}"#,
              field: "annotations[0].bbox", message: "found 3 numbers"),
        .init(json: header + #"[{"id": 1, "image_id": 7, "category_id": 3, "bbox": [1, 2, "3", 4]}]}"#,
              field: "annotations[0].bbox[2]", message: "expected a number, found a string"),
        .init(json: header + #"[{"id": 1, "image_id": 7, "category_id": 3}]}"#, field: "annotations[0].bbox", message: "missing field"),
        .init(json: header + #"[{"id": 1.5, "image_id": 7, "category_id": 3, "bbox": [1, 2, 3, 4]}]}"#,
              field: "annotations[0].id", message: "expected an integer"),
        .init(json: header + #"[{"id": 1, "image_id": 7, "category_id": 3, "bbox": [1, 2, 3, 4], "segmentation": [[1, 2, 3, 4, 5]]}]}"#,
              field: "annotations[0].segmentation[0]", message: "odd number"),
        .init(json: header + #"[{"id": 1, "image_id": 7, "category_id": 3, "bbox": [1, 2, 3, 4], "segmentation": {"size": [40, 30], "counts": "1"}}]}"#,
              field: "annotations[0].segmentation.size", message: "does not match image 7"),
        .init(json: header + #"[{"id": 1, "image_id": 7, "category_id": 3, "bbox": [1, 2, 3, 4], "segmentation": {"size": [30, 40], "counts": [5, 6]}}]}"#,
              field: "annotations[0].segmentation.counts", message: "sum to 11"),
        .init(json: header + #"[{"id": 1, "image_id": 7, "category_id": 3, "bbox": [1, 2, 3, 4], "iscrowd": 2}]}"#,
              field: "annotations[0].iscrowd", message: "expected 0 or 1"),
        .init(json: header + #"[{"id": 1, "image_id": 7, "category_id": 3, "bbox": [1, 2, 3, 4]}, {"id": 1, "image_id": 7, "category_id": 3, "bbox": [1, 2, 3, 4]}]}"#,
              field: "annotations[1].id", message: "duplicate annotation id 1"),
    ]

    @Test(arguments: badCases)
    func malformedFilesGiveClearErrors(_ bad: BadCase) {
        let error = #expect(throws: DataError.self) {
            try COCODataset.parse(Array(bad.json.utf8), file: "bad.json", imageRoot: URL(fileURLWithPath: "/tmp"))
        }
        #expect(error?.file == "bad.json")
        #expect(error?.field == bad.field, "\(String(describing: error))")
        #expect(error?.message.contains(bad.message) == true, "\(String(describing: error))")
    }

    @Test func skipModeCountsInvalidAnnotations() throws {
        let json = Self.header + #"[{"id": 1, "image_id": 7, "category_id": 3, "bbox": [1, 2, 3, 4]}, {"id": 2, "image_id": 7, "category_id": 99, "bbox": [1, 2, 3, 4]}, {"id": 3, "image_id": 7, "category_id": 3, "bbox": "x"}]}"#
        let dataset = try COCODataset.parse(Array(json.utf8), file: "s.json", imageRoot: URL(fileURLWithPath: "/tmp"),
                                            options: COCOLoadOptions(skipInvalidAnnotations: true))
        #expect(dataset.annotations.map(\.id) == [1])
        #expect(dataset.report.skippedAnnotations == 2)
        #expect(dataset.report.problems.first == "s.json: annotations[1].category_id: unknown category id 99 (annotation 2)")
    }

    @Test func boxesAreCleanedLikeDetectron2() throws {
        let json = Self.header + #"""
        [{"id": 1, "image_id": 7, "category_id": 3, "bbox": [1, 2, 0, 4]},
         {"id": 2, "image_id": 7, "category_id": 3, "bbox": [50, 2, 5, 4]},
         {"id": 3, "image_id": 7, "category_id": 3, "bbox": [-5, 20, 10, 20], "iscrowd": true},
         {"id": 4, "image_id": 7, "category_id": 3, "bbox": [1, 2, 3, 4], "segmentation": [[0, 0, 4, 0, 4, 4, 0, 4], [1, 1, 2, 2]]}]}
        """#
        let root = URL(fileURLWithPath: "/tmp")
        let dataset = try COCODataset.parse(Array(json.utf8), imageRoot: root)
        #expect(dataset.annotations.map(\.id) == [3, 4])
        #expect(dataset.annotations[0].bbox == [0, 20, 5, 10] && dataset.annotations[0].isCrowd)
        #expect(dataset.annotations[0].area == 5 * 10)
        // The 2-point polygon is dropped; the square's area comes from its mask (pixel centres inside).
        #expect(dataset.annotations[1].segmentation == .polygons([[0, 0, 4, 0, 4, 4, 0, 4]]))
        #expect(dataset.annotations[1].area == 16)
        var expected = COCOLoadReport()
        expected.droppedDegenerateBoxes = 1; expected.droppedOutOfImageBoxes = 1
        expected.clippedBoxes = 1; expected.droppedPolygons = 1
        #expect(dataset.report == expected)

        let raw = try COCODataset.parse(Array(json.utf8), imageRoot: root, options: COCOLoadOptions(cleanBoxes: false))
        #expect(raw.annotations.count == 4 && raw.annotations[2].bbox == [-5, 20, 10, 20])
    }

    @Test func writerRoundTrips() throws {
        let original = try COCODataset.load(TestData.cocoJSON)
        var annotations = original.annotations
        let image = original.images[0]
        annotations[0].segmentation = .rle(try #require(try annotations[0].rle(height: image.height, width: image.width)))
        annotations[1].isCrowd = true
        let edited = COCODataset(images: original.images, annotations: annotations, categories: original.categories,
                                 imageRoot: original.imageRoot)
        let text = edited.jsonText()
        let reparsed = try COCODataset.parse(Array(text.utf8), imageRoot: original.imageRoot)
        #expect(reparsed.images == edited.images)
        #expect(reparsed.annotations == edited.annotations)
        #expect(reparsed.categories.map(\.id) == edited.categories.map(\.id))
        #expect(reparsed.jsonText() == text)
    }

    @Test func subsetsAreReproducibleAndNested() throws {
        let images = (0..<1000).map { COCOImage(id: $0 * 3 + 1, fileName: "\($0).png", width: 10, height: 10) }
        let annotations = images.map { COCOAnnotation(id: $0.id, imageID: $0.id, categoryID: 1, bbox: [1, 1, 2, 2], area: 4) }
        let full = COCODataset(images: images, annotations: annotations, categories: [COCOCategory(id: 1, name: "x")],
                               imageRoot: URL(fileURLWithPath: "/tmp"))
        var previous = Set<Int>()
        for fraction in [0.01, 0.02, 0.05, 0.10] {
            let subset = full.subset(fraction: fraction, seed: 42)
            let ids = Set(subset.images.map(\.id))
            #expect(subset.images.count == Int(fraction * 1000))
            #expect(previous.isSubset(of: ids))
            #expect(subset.annotations.allSatisfy { ids.contains($0.imageID) } && subset.annotations.count == ids.count)
            #expect(subset.images.map(\.id) == subset.images.map(\.id).sorted())
            #expect(full.subset(fraction: fraction, seed: 42).images == subset.images)
            previous = ids
        }
        #expect(full.subset(fraction: 0.05, seed: 43).images != full.subset(fraction: 0.05, seed: 42).images)
        #expect(full.subset(fraction: 0.0001, seed: 1).images.count == 1)
    }

    @Test func missingFileIsAnIOError() {
        let error = #expect(throws: DataError.self) { try COCODataset.load(URL(fileURLWithPath: "/nonexistent/a.json")) }
        #expect(error?.kind == .io && error?.message == "no such file")
    }
}
