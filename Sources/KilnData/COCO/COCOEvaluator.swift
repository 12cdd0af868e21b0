// COCO detection evaluation with the semantics of pycocotools' `COCOeval` (bbox and segm, useCats on or off):
// 1. Cells: for every ground-truth image (ids ascending) and category (ids ascending; one pooled category when
//    `useCategories` is off, holding each category's objects in category order), the ground truths and
//    detections in file order. Detections of categories absent from the ground truth never enter a cell.
// 2. Per cell: detections sorted by descending score with a stable sort (numpy mergesort), the top
//    maxDets.last kept, IoUs against every ground truth (box IoU, or mask IoU on RLE; against crowds the
//    detection's area is the denominator), then matching per area range (COCOImageEvaluation).
// 3. Per category: accumulation over images into the precision/recall tables (COCOEvalTables).
// 4. Summary: the 12 numbers (COCOEvaluation.summary).
// Inputs are validated first, so bad values surface as `DataError`s naming the file and JSON path.

import Foundation

/// Evaluates detections against a COCO ground truth as pycocotools' `COCOeval` does.
public struct COCOEvaluator: Sendable {
    public var parameters: COCOEvalParameters

    public init(parameters: COCOEvalParameters = COCOEvalParameters()) {
        self.parameters = parameters
    }

    public init(iouType: COCOIoUType, useCategories: Bool = true) {
        self.init(parameters: COCOEvalParameters(iouType: iouType, useCategories: useCategories))
    }

    /// Reads a ground-truth file (boxes kept exactly as written) and a results file, and evaluates them.
    public static func evaluate(groundTruth groundTruthURL: URL, results resultsURL: URL, iouType: COCOIoUType = .bbox,
                                useCategories: Bool = true) throws -> COCOEvaluation {
        let groundTruth = try COCODataset.load(groundTruthURL, options: COCOLoadOptions(cleanBoxes: false))
        let results = try COCOResults.load(resultsURL, groundTruth: groundTruth)
        return try COCOEvaluator(iouType: iouType, useCategories: useCategories)
            .evaluate(groundTruth: groundTruth, results: results)
    }

    /// Evaluates `results` against `groundTruth`. Load the ground truth with `cleanBoxes: false` to match
    /// pycocotools, which uses boxes as written.
    public func evaluate(groundTruth: COCODataset, results: COCOResults) throws -> COCOEvaluation {
        try validate(groundTruth: groundTruth, results: results)
        let p = parameters
        let imageIDs = Set(groundTruth.images.map(\.id)).sorted()
        let imageIndex = Dictionary(uniqueKeysWithValues: imageIDs.enumerated().map { ($1, $0) })
        let imagesByID = Dictionary(groundTruth.images.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        let categoryIDs = Set(groundTruth.categories.map(\.id)).sorted()
        let categoryIndex = Dictionary(uniqueKeysWithValues: categoryIDs.enumerated().map { ($1, $0) })
        let imageCount = imageIDs.count

        // buckets[category * imageCount + image]: annotation / detection indices in file order.
        var groundTruthBuckets = [[Int]](repeating: [], count: categoryIDs.count * imageCount)
        for (index, annotation) in groundTruth.annotations.enumerated() {
            guard let k = categoryIndex[annotation.categoryID], let i = imageIndex[annotation.imageID] else { continue }
            groundTruthBuckets[k * imageCount + i].append(index)
        }
        var detectionBuckets = [[Int]](repeating: [], count: categoryIDs.count * imageCount)
        for (index, detection) in results.detections.enumerated() {
            guard let k = categoryIndex[detection.categoryID], let i = imageIndex[detection.imageID] else { continue }
            detectionBuckets[k * imageCount + i].append(index)
        }

        let evaluatedIDs = p.useCategories ? categoryIDs : [-1]
        var tables = COCOEvalTables(t: p.iouThresholds.count, r: p.recallThresholds.count, k: evaluatedIDs.count,
                                    a: p.areaRanges.count, m: p.maxDetections.count)
        for k in evaluatedIDs.indices {
            let sources = p.useCategories ? [k] : Array(categoryIDs.indices)
            var evaluations = [[COCOImageEvaluation?]](repeating: [COCOImageEvaluation?](repeating: nil, count: imageCount),
                                                       count: p.areaRanges.count)
            for (i, imageID) in imageIDs.enumerated() {
                let groundTruthIndices = sources.flatMap { groundTruthBuckets[$0 * imageCount + i] }
                let detectionIndices = sources.flatMap { detectionBuckets[$0 * imageCount + i] }
                if groundTruthIndices.isEmpty && detectionIndices.isEmpty { continue }
                guard let image = imagesByID[imageID] else { continue }
                let (truths, detections) = try cell(groundTruthIndices, detectionIndices, image: image,
                                                    groundTruth: groundTruth, results: results)
                for (a, range) in p.areaRanges.enumerated() {
                    evaluations[a][i] = COCOImageEvaluation(groundTruths: truths, detections: detections, range: range,
                                                            thresholds: p.iouThresholds)
                }
            }
            tables.accumulate(category: k, evaluations: evaluations, parameters: p)
        }
        return COCOEvaluation(parameters: p, categoryIDs: evaluatedIDs, tables: tables)
    }

    /// The ground truths and top-scoring detections of one image and category, with their IoU matrix.
    private func cell(_ groundTruthIndices: [Int], _ detectionIndices: [Int], image: COCOImage,
                      groundTruth: COCODataset, results: COCOResults) throws -> (COCOEvalGroundTruths, COCOEvalDetections) {
        var truths = COCOEvalGroundTruths()
        for index in groundTruthIndices {
            let annotation = groundTruth.annotations[index]
            truths.ids.append(annotation.id)
            truths.areas.append(annotation.area)
            truths.crowd.append(annotation.isCrowd)
        }
        let scores = detectionIndices.map { results.detections[$0].score }
        let ranked = scores.indices.sorted { scores[$0] > scores[$1] || (scores[$0] == scores[$1] && $0 < $1) }
        let kept = ranked.prefix(parameters.maxDetections.last ?? 0).map { detectionIndices[$0] }
        var detections = COCOEvalDetections()
        detections.scores = kept.map { results.detections[$0].score }
        detections.areas = kept.map { results.detections[$0].area }

        guard !kept.isEmpty, !groundTruthIndices.isEmpty else { return (truths, detections) }
        switch parameters.iouType {
        case .bbox:
            let truthBoxes = groundTruthIndices.map { groundTruth.annotations[$0].bbox }
            for index in kept {
                let box = results.detections[index].bbox
                for (g, truthBox) in truthBoxes.enumerated() {
                    detections.ious.append(IoU.box(box, truthBox, crowd: truths.crowd[g]))
                }
            }
        case .segm:
            let truthMasks = try groundTruthIndices.map { index -> RLE in
                let annotation = groundTruth.annotations[index]
                let file = groundTruth.sourceFile
                guard let mask = try annotation.rle(height: image.height, width: image.width, file: file) else {
                    throw DataError(.invalid, file: groundTruth.sourceFile, field: "annotations[\(index)].segmentation",
                                    "annotation \(annotation.id) has no mask (needed for segm evaluation)")
                }
                return mask
            }
            // As in pycocotools, only masks whose tight boxes overlap are compared run by run.
            let truthBoxes = truthMasks.map(\.boundingBox)
            for index in kept {
                let mask = try detectionMask(results.detections[index], image: image, file: results.sourceFile, index: index)
                let box = mask.boundingBox
                for (g, truthMask) in truthMasks.enumerated() {
                    let overlaps = IoU.box(box, truthBoxes[g]) > 0
                    detections.ious.append(overlaps ? IoU.mask(mask, truthMask, crowd: truths.crowd[g]) : 0)
                }
            }
        }
        return (truths, detections)
    }

    /// A detection's mask; box-only detections are rasterised as the box polygon, as pycocotools' `loadRes`
    /// does (`[[x1, y1, x1, y2, x2, y2, x2, y1]]`).
    private func detectionMask(_ detection: COCODetection, image: COCOImage, file: String, index: Int) throws -> RLE {
        if let mask = detection.segmentation { return mask }
        let b = detection.bbox
        let (x1, x2, y1, y2) = (b[0], b[0] + b[2], b[1], b[1] + b[3])
        return try RLE(polygons: [[x1, y1, x1, y2, x2, y2, x2, y1]], height: image.height, width: image.width,
                       file: file, field: "[\(index)].bbox")
    }

    /// Checks what pycocotools assumes: detections on ground-truth images, well-formed boxes, masks (segm)
    /// present and of their image's size.
    private func validate(groundTruth: COCODataset, results: COCOResults) throws {
        let images = Dictionary(groundTruth.images.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        let segm = parameters.iouType == .segm
        for (index, annotation) in groundTruth.annotations.enumerated() {
            let field = "annotations[\(index)]"
            if !segm {
                let box = annotation.bbox
                guard box.count == 4, box[2] >= 0, box[3] >= 0 else {
                    throw DataError(.invalid, file: groundTruth.sourceFile, field: "\(field).bbox",
                                    "box \(box) is not [x, y, w, h] with non-negative sizes")
                }
            } else if annotation.segmentation == nil {
                throw DataError(.invalid, file: groundTruth.sourceFile, field: "\(field).segmentation",
                                "annotation \(annotation.id) has no mask (needed for segm evaluation)")
            }
        }
        for (index, detection) in results.detections.enumerated() {
            guard let image = images[detection.imageID] else {
                throw DataError(.invalid, file: results.sourceFile, field: "[\(index)].image_id",
                                "image id \(detection.imageID) is not in the ground truth \(groundTruth.sourceFile)")
            }
            let box = detection.bbox
            guard box.count == 4, box[2] >= 0, box[3] >= 0, box.allSatisfy(\.isFinite), detection.score.isFinite else {
                throw DataError(.invalid, file: results.sourceFile, field: "[\(index)]",
                                "box \(box) / score \(detection.score): expected [x, y, w, h] with non-negative "
                                + "sizes and finite values")
            }
            if segm, let mask = detection.segmentation, mask.height != image.height || mask.width != image.width {
                throw DataError(.invalid, file: results.sourceFile, field: "[\(index)].segmentation",
                                "mask size \(mask.height)x\(mask.width) differs from image \(image.id) "
                                + "(\(image.height)x\(image.width))")
            }
        }
    }
}
