// pycocotools' `COCOeval.accumulate` for one category: per area range and maxDets setting, the detections of
// all images (image ids ascending, each image's top maxDets) are sorted by score with a stable sort (numpy
// mergesort), cumulative true/false positives give recall = TP / #non-ignored GT and precision =
// TP / (TP + FP + ε) with ε = np.spacing(1); precision is made non-increasing from the right and read at the
// 101 recall points with a left binary search (np.searchsorted side='left'), 0 beyond the highest recall.
// Settings without a non-ignored ground truth stay −1.

/// The precision and recall tables of an evaluation, laid out as pycocotools' `eval['precision']` and
/// `eval['recall']` (−1 where a setting has no ground truth).
struct COCOEvalTables {
    /// Sizes: IoU thresholds, recall points, categories, area ranges, maxDets settings.
    let tCount: Int, rCount: Int, kCount: Int, aCount: Int, mCount: Int
    /// `precision[t][r][k][a][m]`, row-major.
    var precision: [Double]
    /// `recall[t][k][a][m]`, row-major.
    var recall: [Double]

    init(t: Int, r: Int, k: Int, a: Int, m: Int) {
        (tCount, rCount, kCount, aCount, mCount) = (t, r, k, a, m)
        precision = [Double](repeating: -1, count: t * r * k * a * m)
        recall = [Double](repeating: -1, count: t * k * a * m)
    }

    @inline(__always)
    func precisionIndex(t ti: Int, r ri: Int, k ki: Int, a ai: Int, m mi: Int) -> Int {
        (((ti * rCount + ri) * kCount + ki) * aCount + ai) * mCount + mi
    }

    @inline(__always)
    func recallIndex(t ti: Int, k ki: Int, a ai: Int, m mi: Int) -> Int {
        ((ti * kCount + ki) * aCount + ai) * mCount + mi
    }

    /// Fills category `k`'s entries from its per-image evaluations, `evaluations[a][i]` (nil where the image
    /// has neither ground truth nor detection of the category).
    mutating func accumulate(category ki: Int, evaluations: [[COCOImageEvaluation?]], parameters: COCOEvalParameters) {
        let epsilon = Double.ulpOfOne  // np.spacing(1)
        for (ai, perImage) in evaluations.enumerated() {
            let present = perImage.compactMap { $0 }
            guard !present.isEmpty else { continue }
            let groundTruths = present.reduce(0) { $0 + $1.nonIgnoredGroundTruths }
            guard groundTruths > 0 else { continue }
            let total = Double(groundTruths)
            for (mi, maxDet) in parameters.maxDetections.enumerated() {
                // Detections in concatenation order, then a stable sort by descending score.
                var scores: [Double] = []
                for evaluation in present { scores.append(contentsOf: evaluation.scores.prefix(maxDet)) }
                let order = scores.indices.sorted { scores[$0] > scores[$1] || (scores[$0] == scores[$1] && $0 < $1) }
                let count = order.count
                // outcomes[t * count + c] for the c-th detection in concatenation order: +1 true positive,
                // −1 false positive, 0 ignored.
                var outcomes = [Int8](repeating: 0, count: tCount * count)
                var offset = 0
                for evaluation in present {
                    let kept = min(evaluation.count, maxDet)
                    for ti in 0..<tCount {
                        for d in 0..<kept where !evaluation.ignored[ti * evaluation.count + d] {
                            outcomes[ti * count + offset + d] = evaluation.matched[ti * evaluation.count + d] ? 1 : -1
                        }
                    }
                    offset += kept
                }
                var recallCurve = [Double](repeating: 0, count: count)
                var precisionCurve = [Double](repeating: 0, count: count)
                for ti in 0..<tCount {
                    var truePositives = 0.0, falsePositives = 0.0
                    for (j, index) in order.enumerated() {
                        switch outcomes[ti * count + index] {
                        case 1: truePositives += 1
                        case -1: falsePositives += 1
                        default: break
                        }
                        recallCurve[j] = truePositives / total
                        precisionCurve[j] = truePositives / (falsePositives + truePositives + epsilon)
                    }
                    recall[recallIndex(t: ti, k: ki, a: ai, m: mi)] = count > 0 ? recallCurve[count - 1] : 0
                    var i = count - 1
                    while i > 0 {
                        if precisionCurve[i] > precisionCurve[i - 1] { precisionCurve[i - 1] = precisionCurve[i] }
                        i -= 1
                    }
                    for (ri, threshold) in parameters.recallThresholds.enumerated() {
                        let position = Self.lowerBound(recallCurve, threshold)
                        precision[precisionIndex(t: ti, r: ri, k: ki, a: ai, m: mi)] =
                            position < count ? precisionCurve[position] : 0
                    }
                }
            }
        }
    }

    /// First index whose value is ≥ `value` in a non-decreasing array (np.searchsorted side='left').
    static func lowerBound(_ values: [Double], _ value: Double) -> Int {
        var low = 0, high = values.count
        while low < high {
            let middle = (low + high) / 2
            if values[middle] < value { low = middle + 1 } else { high = middle }
        }
        return low
    }
}
