// pycocotools' `COCOeval.evaluateImg`: greedy matching of one image's detections (one category, or all pooled)
// to its ground truths at every IoU threshold, for one area range. Kept deliberately literal, because the AP
// numbers depend on its details:
// - ground truths that are crowds or outside the area range are "ignored" and sorted after the others
//   (stable); a detection prefers a regular match and stops scanning once it has one and reaches the ignored;
// - among candidates the last one with the highest IoU ≥ min(threshold, 1 − 1e-10) wins (ties go to later);
// - a crowd can absorb any number of detections; a detection matched to an ignored ground truth is ignored;
// - unmatched detections whose own area is outside the range are ignored;
// - pycocotools records a match as the ground truth's id and later tests it for truth, so a match to an
//   annotation with id 0 counts as unmatched. That quirk is reproduced (`matched` is "matched a non-zero id").

/// Ground truths of one evaluation cell, in the order pycocotools holds them (file order per category).
struct COCOEvalGroundTruths {
    var ids: [Int] = []
    var areas: [Double] = []
    var crowd: [Bool] = []
    var count: Int { ids.count }
}

/// Detections of one cell, highest score first (stable), at most maxDets.last, with their IoUs.
struct COCOEvalDetections {
    var scores: [Double] = []
    var areas: [Double] = []
    /// `ious[d * groundTruths.count + g]`, ground truths in `COCOEvalGroundTruths` order.
    var ious: [Double] = []
    var count: Int { scores.count }
}

/// The outcome of matching one cell at one area range.
struct COCOImageEvaluation {
    /// Detection scores, highest first.
    var scores: [Double]
    /// `matched[t * count + d]`: detection d matched a ground truth (with non-zero id) at threshold t.
    var matched: [Bool]
    /// `ignored[t * count + d]`: detection d does not count as a true or false positive at threshold t.
    var ignored: [Bool]
    /// Ground truths that are neither crowds nor outside the area range (recall's denominator).
    var nonIgnoredGroundTruths: Int

    var count: Int { scores.count }

    init(groundTruths: COCOEvalGroundTruths, detections: COCOEvalDetections, range: COCOAreaRange,
         thresholds: [Double]) {
        let gCount = groundTruths.count, dCount = detections.count, tCount = thresholds.count
        // Non-ignored ground truths first, each group in its original order (numpy mergesort on the flags).
        let ignoredFlags = (0..<gCount).map { groundTruths.crowd[$0] || range.excludes(groundTruths.areas[$0]) }
        let order = (0..<gCount).filter { !ignoredFlags[$0] } + (0..<gCount).filter { ignoredFlags[$0] }
        let gtIgnored = order.map { ignoredFlags[$0] }
        let gtCrowd = order.map { groundTruths.crowd[$0] }
        let gtCountsAsMatch = order.map { groundTruths.ids[$0] != 0 }

        scores = detections.scores
        nonIgnoredGroundTruths = gtIgnored.lazy.filter { !$0 }.count
        matched = [Bool](repeating: false, count: tCount * dCount)
        ignored = [Bool](repeating: false, count: tCount * dCount)
        var gtTaken = [Bool](repeating: false, count: gCount)
        if gCount > 0 && dCount > 0 {
            for (t, threshold) in thresholds.enumerated() {
                for g in 0..<gCount { gtTaken[g] = false }
                for d in 0..<dCount {
                    var best = min(threshold, 1 - 1e-10)
                    var match = -1
                    let row = d * gCount
                    for (position, g) in order.enumerated() {
                        if gtTaken[position] && !gtCrowd[position] { continue }
                        if match > -1 && !gtIgnored[match] && gtIgnored[position] { break }
                        let iou = detections.ious[row + g]
                        if iou < best { continue }
                        best = iou
                        match = position
                    }
                    guard match >= 0 else { continue }
                    ignored[t * dCount + d] = gtIgnored[match]
                    matched[t * dCount + d] = gtCountsAsMatch[match]
                    gtTaken[match] = true
                }
            }
        }
        for d in 0..<dCount where range.excludes(detections.areas[d]) {
            for t in 0..<tCount where !matched[t * dCount + d] { ignored[t * dCount + d] = true }
        }
    }
}
