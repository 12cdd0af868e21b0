// The COCO evaluator against pycocotools: every evaluation listed in Fixtures/cocoeval/*/expected.json (made by
// Fixtures/cocoeval/make_fixtures.py) must reproduce pycocotools' 12 summary numbers within 1e-4, its printed
// summary lines exactly, and its recall / per-setting AP tables. Plus hand-computed cases and input errors.

import Foundation
import Testing
import KilnData

/// One pycocotools evaluation of a fixture set.
struct COCOEvalFixture: Sendable, CustomTestStringConvertible {
    var set: String
    var results: String
    var iouType: COCOIoUType
    var useCategories: Bool
    var stats: [Double]
    var summary: [String]
    var recall: [Double]
    var averagePrecision: [Double]

    var testDescription: String { "\(set)/\(results) \(iouType.rawValue)\(useCategories ? "" : " useCats=0")" }
    var folder: URL { COCOEvalFixture.root.appendingPathComponent(set) }

    static let root = TestData.fixtures.appendingPathComponent("cocoeval")
    static let sets = ["boxes_mixed", "crowds_many", "perfect", "terrible", "masks", "random_large"]

    static let all: [COCOEvalFixture] = sets.flatMap { set -> [COCOEvalFixture] in
        let url = root.appendingPathComponent(set).appendingPathComponent("expected.json")
        guard let bytes = try? Data(contentsOf: url), let value = try? JSONParser.parse(Array(bytes), file: url.path),
              case .array(let evaluations)? = value["evaluations"] else { return [] }
        return evaluations.compactMap { evaluation in
            guard case .string(let results)? = evaluation["results"], case .string(let type)? = evaluation["iouType"],
                  let iouType = COCOIoUType(rawValue: type), let useCats = evaluation["useCats"]?.number,
                  case .array(let lines)? = evaluation["summary"] else { return nil }
            return COCOEvalFixture(set: set, results: results, iouType: iouType, useCategories: useCats == 1,
                                   stats: evaluation["stats"]?.numbers ?? [],
                                   summary: lines.compactMap { if case .string(let s) = $0 { return s } else { return nil } },
                                   recall: evaluation["recall"]?.numbers ?? [],
                                   averagePrecision: evaluation["ap"]?.numbers ?? [])
        }
    }
}

extension JSONValue {
    subscript(_ key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        return members.last { $0.0 == key }?.1
    }

    var number: Double? {
        switch self {
        case .int(let value): return Double(value)
        case .number(let value): return value
        default: return nil
        }
    }

    var numbers: [Double] {
        guard case .array(let items) = self else { return [] }
        return items.compactMap(\.number)
    }
}

@Suite struct COCOEvalTests {
    @Test func fixturesArePresent() {
        let sets = Set(COCOEvalFixture.all.map(\.set))
        #expect(sets.count == COCOEvalFixture.sets.count && COCOEvalFixture.all.count == 12)
        #expect(COCOEvalFixture.all.contains { $0.iouType == .segm } && COCOEvalFixture.all.contains { !$0.useCategories })
    }

    @Test func thresholdsAreBitIdenticalToNumpy() throws {
        let url = COCOEvalFixture.root.appendingPathComponent("params.json")
        let value = try JSONParser.parse(Array(try Data(contentsOf: url)), file: url.path)
        let parameters = COCOEvalParameters()
        #expect(value["iouThrs"]?.numbers == parameters.iouThresholds)
        #expect(value["recThrs"]?.numbers == parameters.recallThresholds)
        #expect(parameters.iouThresholds.count == 10 && parameters.recallThresholds.count == 101)
    }

    @Test(arguments: COCOEvalFixture.all)
    func agreesWithPycocotools(_ fixture: COCOEvalFixture) throws {
        let evaluation = try COCOEvaluator.evaluate(
            groundTruth: fixture.folder.appendingPathComponent("gt.json"),
            results: fixture.folder.appendingPathComponent(fixture.results),
            iouType: fixture.iouType, useCategories: fixture.useCategories)
        let summary = evaluation.summary
        #expect(summary.stats.count == 12 && fixture.stats.count == 12)
        for (name, (ours, reference)) in zip(COCOSummary.names, zip(summary.stats, fixture.stats)) {
            #expect(abs(ours - reference) <= 1e-4, "\(name): \(ours) vs pycocotools \(reference)")
        }
        #expect(summary.text.split(separator: "\n").map(String.init) == fixture.summary)

        // The tables behind the summary: recall (T, K, A, M) and precision averaged over recall points.
        let p = evaluation.parameters
        let (t, k, a, m) = (p.iouThresholds.count, evaluation.categoryIDs.count, p.areaRanges.count, p.maxDetections.count)
        #expect(evaluation.recall.count == fixture.recall.count && fixture.averagePrecision.count == t * k * a * m)
        var worstRecall = 0.0, worstAP = 0.0
        for ti in 0..<t { for ki in 0..<k { for ai in 0..<a { for mi in 0..<m {
            let flat = ((ti * k + ki) * a + ai) * m + mi
            worstRecall = max(worstRecall, abs(evaluation.recall(t: ti, k: ki, a: ai, m: mi) - fixture.recall[flat]))
            let row = p.recallThresholds.indices.map { evaluation.precision(t: ti, r: $0, k: ki, a: ai, m: mi) }
            let ap = row.allSatisfy { $0 > -1 } ? row.reduce(0, +) / Double(row.count) : -1
            worstAP = max(worstAP, abs(ap - fixture.averagePrecision[flat]))
        } } } }
        #expect(worstRecall <= 1e-12 && worstAP <= 1e-12, "recall off by \(worstRecall), AP by \(worstAP)")
    }

    // MARK: - Hand-computed cases

    static let image = COCOImage(id: 1, fileName: "a.png", width: 200, height: 200)

    static func dataset(_ annotations: [COCOAnnotation], categories: [Int] = [1]) -> COCODataset {
        COCODataset(images: [image, COCOImage(id: 2, fileName: "b.png", width: 200, height: 200)], annotations: annotations,
                    categories: categories.map { COCOCategory(id: $0, name: "c\($0)") }, imageRoot: URL(fileURLWithPath: "/"))
    }

    static func truth(_ id: Int, _ box: [Double], crowd: Bool = false, category: Int = 1) -> COCOAnnotation {
        COCOAnnotation(id: id, imageID: 1, categoryID: category, bbox: box, area: box[2] * box[3], isCrowd: crowd)
    }

    static func detection(_ score: Double, _ box: [Double], category: Int = 1, image: Int = 1) -> COCODetection {
        COCODetection(imageID: image, categoryID: category, score: score, bbox: box)
    }

    /// Precision is TP / (TP + FP + np.spacing(1)), so a lone hit scores 1 − 2⁻⁵², as in pycocotools.
    func close(_ value: Double?, _ expected: Double) -> Bool { value.map { abs($0 - expected) < 1e-12 } ?? false }

    @Test func precisionCurveIsInterpolatedAndSampledAt101Points() throws {
        // Two medium objects; detections: hit (0.9), miss (0.8), hit (0.7). Recall 0.5, 0.5, 1; precision 1, 1/2,
        // 2/3, made monotone: 1, 2/3, 2/3. Recall points 0.00...0.50 read 1, 0.51...1.00 read 2/3 at every IoU.
        let gt = Self.dataset([Self.truth(1, [10, 10, 40, 40]), Self.truth(2, [100, 100, 50, 50])])
        let results = COCOResults(detections: [Self.detection(0.9, [10, 10, 40, 40]), Self.detection(0.8, [150, 10, 40, 40]),
                                               Self.detection(0.7, [100, 100, 50, 50])])
        let summary = try COCOEvaluator().evaluate(groundTruth: gt, results: results).summary
        let expected = (51.0 + 50.0 * 2 / 3) / 101
        #expect(close(summary["AP"], expected) && close(summary["AP50"], expected) && close(summary["AP75"], expected))
        #expect(summary["APm"] == summary["AP"] && summary["APs"] == -1 && summary["APl"] == -1)
        #expect(summary["AR1"] == 0.5 && summary["AR10"] == 1 && summary["AR100"] == 1 && summary["ARs"] == -1)
    }

    @Test func crowdsAbsorbDetectionsAndAreIgnored() throws {
        // Detections inside a crowd region match it (IoU over the detection's own area = 1) and are ignored,
        // so the single real object found first gives AP 1; without the crowd they would be false positives.
        let crowd = Self.truth(2, [100, 100, 90, 90], crowd: true)
        let results = COCOResults(detections: [Self.detection(0.9, [10, 10, 40, 40]), Self.detection(0.95, [110, 110, 20, 20]),
                                               Self.detection(0.97, [150, 150, 30, 30])])
        let withCrowd = try COCOEvaluator().evaluate(groundTruth: Self.dataset([Self.truth(1, [10, 10, 40, 40]), crowd]),
                                                     results: results).summary
        // AR1 keeps only the top-scoring detection, which lies in the crowd.
        #expect(close(withCrowd["AP"], 1) && withCrowd["AR1"] == 0 && withCrowd["AR10"] == 1)
        let withoutCrowd = try COCOEvaluator().evaluate(groundTruth: Self.dataset([Self.truth(1, [10, 10, 40, 40])]),
                                                        results: results).summary
        #expect(try #require(withoutCrowd["AP"]) < 0.5 && withoutCrowd["AR1"] == 0)
    }

    @Test func categoriesArePooledWithoutUseCats() throws {
        let gt = Self.dataset([Self.truth(1, [10, 10, 40, 40], category: 1)], categories: [1, 7])
        let results = COCOResults(detections: [Self.detection(0.9, [10, 10, 40, 40], category: 7),
                                               Self.detection(0.5, [10, 10, 40, 40], category: 42)])
        let separate = try COCOEvaluator().evaluate(groundTruth: gt, results: results)
        #expect(separate.summary["AP"] == 0 && separate.categoryIDs == [1, 7])
        let pooled = try COCOEvaluator(iouType: .bbox, useCategories: false).evaluate(groundTruth: gt, results: results)
        #expect(close(pooled.summary["AP"], 1) && pooled.categoryIDs == [-1])
    }

    @Test func emptyImagesCountFalsePositivesAndNoDetectionsGiveZero() throws {
        let gt = Self.dataset([Self.truth(1, [10, 10, 40, 40])])
        let onEmptyImage = COCOResults(detections: [Self.detection(0.99, [10, 10, 40, 40], image: 2),
                                                    Self.detection(0.5, [10, 10, 40, 40])])
        let summary = try COCOEvaluator().evaluate(groundTruth: gt, results: onEmptyImage).summary
        // Precision 0 then 1/2, made monotone: 1/2 at every recall point. Each image's top detection is kept for
        // AR1, so the hit on image 1 still counts there.
        #expect(summary["AP"] == 0.5 && summary["AR1"] == 1)
        let none = try COCOEvaluator().evaluate(groundTruth: gt, results: COCOResults(detections: [])).summary
        #expect(none["AP"] == 0 && none["AR100"] == 0 && none["APs"] == -1)
    }

    @Test func resultsRoundTripThroughJSON() throws {
        let gt = Self.dataset([Self.truth(1, [10, 10, 40, 40])])
        let mask = RLE(mask: BinaryMask(width: 200, height: 200, bits: (0..<40_000).map { UInt8($0 % 7 == 0 ? 1 : 0) }))
        let results = COCOResults(detections: [COCODetection(imageID: 1, categoryID: 1, score: 0.25, bbox: [1.5, 2, 3, 4],
                                                             segmentation: mask), Self.detection(0.125, [0, 0, 5, 5])])
        let text = results.jsonValue().serialized(pretty: true)
        let parsed = try COCOResults.parse(Array(text.utf8), groundTruth: gt)
        #expect(parsed.detections == results.detections)
    }

    // MARK: - Bad input

    struct BadResults: Sendable, CustomTestStringConvertible {
        var json: String, field: String, message: String
        var testDescription: String { field.isEmpty ? message : field }
    }

    static let badResults: [BadResults] = [
        .init(json: "[{\"image_id\": 1,", field: "", message: "not valid JSON"),
        .init(json: #"{"annotations": []}"#, field: "", message: "a results file is a JSON list of detections, found an object"),
        .init(json: #"[{"image_id": 1, "category_id": 1, "bbox": [1, 2, 3, 4]}]"#, field: "[0].score", message: "missing field"),
        .init(json: #"[{"image_id": 1, "category_id": 1, "bbox": [1, 2, 3, 4], "score": 0.5}, {"image_id": 9, "category_id": 1, "bbox": [1, 2, 3, 4], "score": 0.5}]"#,
              field: "[1].image_id", message: "image id 9 is not in the ground truth"),
        .init(json: #"[{"image_id": 1, "category_id": 1, "bbox": [1, 2, -3, 4], "score": 0.5}]"#, field: "[0].bbox", message: "negative box size"),
        .init(json: #"[{"image_id": 1, "category_id": 1, "bbox": [1, 2, 3], "score": 0.5}]"#, field: "[0].bbox", message: "found 3 numbers"),
        .init(json: #"[{"image_id": 1, "category_id": 1, "bbox": [1, 2, 3, 4], "score": "high"}]"#, field: "[0].score", message: "expected a number"),
        .init(json: #"[{"image_id": 1, "category_id": 1, "bbox": [1, 2, 3, 4], "score": 1}, {"image_id": 1, "category_id": 1, "score": 1}]"#,
              field: "[1].bbox", message: "missing field"),
        .init(json: #"[{"image_id": 1, "category_id": 1, "score": 1, "segmentation": {"size": [20, 20], "counts": "0"}}]"#,
              field: "[0].segmentation.size", message: "does not match image 1"),
        .init(json: #"[{"image_id": 1, "category_id": 1, "score": 1}]"#, field: "[0].segmentation", message: "missing field"),
        .init(json: #"[{"image_id": 1, "category_id": 1, "score": 1, "segmentation": {"size": [200, 200], "counts": "\u0001"}}]"#,
              field: "[0].segmentation.counts", message: "invalid character"),
        .init(json: #"[17]"#, field: "[0]", message: "expected an object, found a number"),
    ]

    @Test(arguments: badResults)
    func badResultsGiveErrorsNamingFileAndPath(_ bad: BadResults) {
        let error = #expect(throws: DataError.self) {
            _ = try COCOResults.parse(Array(bad.json.utf8), file: "dt.json", groundTruth: Self.dataset([]))
        }
        #expect(error?.file == "dt.json" && error?.field == bad.field, "\(String(describing: error))")
        #expect(error?.message.contains(bad.message) == true, "\(String(describing: error))")
    }

    @Test func badValuesInMemoryAreErrorsToo() throws {
        let gt = Self.dataset([Self.truth(1, [10, 10, 40, 40])])
        let foreign = COCOResults(detections: [Self.detection(0.5, [1, 2, 3, 4], image: 5)], sourceFile: "dt.json")
        let error = #expect(throws: DataError.self) { _ = try COCOEvaluator().evaluate(groundTruth: gt, results: foreign) }
        #expect(error?.field == "[0].image_id" && error?.file == "dt.json")
        let negative = Self.dataset([Self.truth(1, [10, 10, -4, 40])])
        let boxError = #expect(throws: DataError.self) {
            _ = try COCOEvaluator().evaluate(groundTruth: negative, results: COCOResults(detections: []))
        }
        #expect(boxError?.field == "annotations[0].bbox")
        let maskError = #expect(throws: DataError.self) {
            _ = try COCOEvaluator(iouType: .segm).evaluate(groundTruth: gt, results: COCOResults(detections: []))
        }
        #expect(maskError?.field == "annotations[0].segmentation")
    }
}
