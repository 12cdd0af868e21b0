// Detector evaluation end to end: a detector whose detections are the ground truth (placed on the canvas as the
// test transform resizes each image) gets AP = 1 through inference, the mapping back to original pixels, the
// results file and COCOEvaluator; the same boxes with swapped classes get AP = 0. Also the train/val split.

import Foundation
import Kiln
import KilnData
import KilnZoo
import Testing

/// Returns fixed detections (canvas coordinates), one row block per batch slot.
final class OracleDetector: Detector {
    let classes: Int
    let predictsMasks = false
    let backbone = ResNet(.resnet18, classes: nil)
    let boxes: [Double], scores: [Double], labels: [Double]
    let batch: Int, capacity: Int

    init(classes: Int, boxes: [Double], scores: [Double], labels: [Double], batch: Int, capacity: Int) {
        self.classes = classes
        self.boxes = boxes
        self.scores = scores
        self.labels = labels
        self.batch = batch
        self.capacity = capacity
    }

    func losses(_ x: DetectionInputs) -> [String: Tensor] { ["loss": x.images.sum()] }

    func detect(_ images: Tensor) -> Detections {
        let t = images.tracer
        // Depend on the images so that the input stays part of the graph.
        let zero = images.sum() * 0
        return Detections(boxes: t.constant(boxes, TensorType(.f32, [batch, capacity, 4])) + zero,
                          scores: t.constant(scores, TensorType(.f32, [batch, capacity])) + zero,
                          classes: t.constant(labels, TensorType(.i32, [batch, capacity])))
    }
}

@Suite("Detector evaluation")
struct DetectorEvaluationTests {
    /// Three blank images of different shapes with boxes of every area range; category ids 3 and 7.
    static func dataset(in folder: URL) throws -> COCODataset {
        let sizes = [(96, 64), (80, 120), (100, 100)]
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("images"), withIntermediateDirectories: true)
        var images: [COCOImage] = []
        for (i, (w, h)) in sizes.enumerated() {
            try ImageIO.save(Image(width: w, height: h, fill: [90, 120, 150]), to: folder.appendingPathComponent("images/\(i).png"))
            images.append(COCOImage(id: 10 + i, fileName: "images/\(i).png", width: w, height: h))
        }
        let boxes: [(Int, Int, [Double])] = [(10, 3, [10, 5, 20, 15]), (10, 7, [50, 30, 40, 30]), (11, 7, [5, 60, 50, 40]),
                                             (12, 3, [0, 0, 100, 100]), (12, 3, [20, 20, 10, 10])]
        let annotations = boxes.enumerated().map { i, b in
            COCOAnnotation(id: i + 1, imageID: b.0, categoryID: b.1, bbox: b.2, area: b.2[2] * b.2[3])
        }
        let categories = [COCOCategory(id: 3, name: "three"), COCOCategory(id: 7, name: "seven")]
        try COCODataset(images: images, annotations: annotations, categories: categories, imageRoot: folder)
            .write(to: folder.appendingPathComponent("annotations.json"))
        return try DetectionData.load(folder, forEvaluation: true)
    }

    /// The ground truth as canvas detections of `configuration`'s test transform, classes optionally swapped.
    static func oracle(_ dataset: COCODataset, _ c: FineTuneConfiguration, swapClasses: Bool) -> OracleDetector {
        let capacity = 4, transform = DetectionTransform(shortSide: c.testShortSide, maxSize: c.canvas, flip: false)
        var boxes = [Double](repeating: 0, count: c.batch * capacity * 4)
        var scores = [Double](repeating: 0, count: c.batch * capacity), labels = [Double](repeating: -1, count: c.batch * capacity)
        for (slot, image) in dataset.images.enumerated() {
            let size = transform.resizedSize(width: image.width, height: image.height, shortSide: c.testShortSide)
            let sx = Double(size.width) / Double(image.width), sy = Double(size.height) / Double(image.height)
            for (k, a) in dataset.annotations(forImageID: image.id).enumerated() {
                let row = slot * capacity + k
                boxes.replaceSubrange((4 * row)..<(4 * row + 4),
                                      with: [a.bbox[0] * sx, a.bbox[1] * sy, (a.bbox[0] + a.bbox[2]) * sx, (a.bbox[1] + a.bbox[3]) * sy])
                scores[row] = 0.9 - 0.1 * Double(k)
                let label = dataset.label(forCategoryID: a.categoryID) ?? 0
                labels[row] = Double(swapClasses ? 1 - label : label)
            }
        }
        return OracleDetector(classes: 2, boxes: boxes, scores: scores, labels: labels, batch: c.batch, capacity: capacity)
    }

    static var configuration: FineTuneConfiguration {
        var c = FineTuneConfiguration(kind: .retinanet)
        c.classes = 2
        c.canvas = 128
        c.shortSides = [112]   // the 96×64 image is limited by the long side (128 / 96), the others by the short one
        c.batch = 3
        return c
    }

    @Test("detections equal to the ground truth give AP 1; with swapped classes AP 0; the results file round-trips")
    func oracleAP() throws {
        let folder = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("kiln-deteval-\(getpid())")
        defer { try? FileManager.default.removeItem(at: folder) }
        let dataset = try Self.dataset(in: folder)
        let c = Self.configuration
        let resultsFile = folder.appendingPathComponent("results.json")
        let inference = try DetectorInference(Self.oracle(dataset, c, swapClasses: false), configuration: c, batch: c.batch)
        let perfect = try DetectorEvaluation.evaluate(inference, on: dataset, resultsFile: resultsFile)
        #expect(perfect.results.detections.count == 5)
        for key in ["AP", "AP50", "AP75", "APs", "APm", "APl"] {
            #expect(Swift.abs((perfect.bbox.summary[key] ?? 0) - 1) < 1e-9, "\(key) = \(perfect.bbox.summary[key] ?? -2)")
        }
        #expect(perfect.segm == nil)
        let reread = try COCOResults.load(resultsFile, groundTruth: dataset)
        #expect(reread.detections.count == 5 && Set(reread.detections.map(\.categoryID)) == [3, 7])
        for (a, b) in zip(reread.detections, perfect.results.detections) {
            #expect(zip(a.bbox, b.bbox).allSatisfy { Swift.abs($0 - $1) < 1e-6 })
        }
        // Mapped back to original pixels: the 96×64 image's first box is [10, 5, 20, 15].
        let first = try #require(perfect.results.detections.first)
        #expect(first.imageID == 10 && zip(first.bbox, [10.0, 5, 20, 15]).allSatisfy { Swift.abs($0 - $1) < 1e-3 }, "\(first.bbox)")

        let swapped = try DetectorInference(Self.oracle(dataset, c, swapClasses: true), configuration: c, batch: c.batch)
        let wrong = try DetectorEvaluation.evaluate(swapped, on: dataset)
        #expect(wrong.bbox.summary["AP"] == 0 && wrong.bbox.summary["AP50"] == 0)
        #expect(perfect.table.contains("| bbox | 100.000"))
    }

    @Test("the train/val split holds out the last 10 % of the images in file order, with their annotations")
    func split() throws {
        let images = (0..<25).map { COCOImage(id: 100 + $0, fileName: "\($0).png", width: 8, height: 8) }
        let annotations = (0..<25).map { COCOAnnotation(id: $0 + 1, imageID: 100 + $0, categoryID: 1, bbox: [0, 0, 4, 4], area: 16) }
        let dataset = COCODataset(images: images, annotations: annotations, categories: [COCOCategory(id: 1, name: "a")],
                                  imageRoot: URL(fileURLWithPath: "/"))
        let train = DetectionData.split(dataset, .train), val = DetectionData.split(dataset, .val)
        #expect(train.images.map(\.id) == Array(100..<122) && val.images.map(\.id) == Array(122..<125))
        #expect(val.annotations.map(\.imageID) == Array(122..<125) && train.annotations.count == 22)
        #expect(DetectionData.split(dataset, .all).images.count == 25)
        let single = DetectionData.subset(dataset, 0..<1)
        #expect(DetectionData.split(single, .val).images.isEmpty && DetectionData.split(single, .train).images.count == 1)
    }
}
