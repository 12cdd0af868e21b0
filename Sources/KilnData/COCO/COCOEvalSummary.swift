// The result of a COCO evaluation: pycocotools' precision/recall tables and the 12 numbers of
// `COCOeval.summarize()` (AP, AP50, AP75, APs, APm, APl, AR1, AR10, AR100, ARs, ARm, ARl), each the mean of
// the table entries > −1 in its slice, or −1 when there is none. The text form reproduces pycocotools'
// 12 printed lines character for character.

import Foundation

/// Precision/recall tables and summary of one evaluation.
public struct COCOEvaluation: Sendable {
    public let parameters: COCOEvalParameters
    /// Category ids of the table's k axis (sorted; `[-1]` when categories are pooled).
    public let categoryIDs: [Int]
    let tables: COCOEvalTables

    init(parameters: COCOEvalParameters, categoryIDs: [Int], tables: COCOEvalTables) {
        self.parameters = parameters
        self.categoryIDs = categoryIDs
        self.tables = tables
    }

    /// pycocotools' `eval['precision']`, shape (T, R, K, A, M) row-major: IoU threshold, recall point,
    /// category, area range, maxDets; −1 where the setting has no ground truth.
    public var precision: [Double] { tables.precision }

    /// pycocotools' `eval['recall']`, shape (T, K, A, M) row-major; −1 where the setting has no ground truth.
    public var recall: [Double] { tables.recall }

    /// Precision at IoU threshold `t`, recall point `r`, category `k`, area range `a`, maxDets setting `m`
    /// (all indices).
    public func precision(t: Int, r: Int, k: Int, a: Int, m: Int) -> Double {
        tables.precision[tables.precisionIndex(t: t, r: r, k: k, a: a, m: m)]
    }

    /// Maximum recall at IoU threshold `t`, category `k`, area range `a`, maxDets setting `m` (indices).
    public func recall(t: Int, k: Int, a: Int, m: Int) -> Double {
        tables.recall[tables.recallIndex(t: t, k: k, a: a, m: m)]
    }

    /// The 12 summary numbers.
    public var summary: COCOSummary {
        COCOSummary(stats: COCOSummary.lines.map { mean(of: $0) }, lines: COCOSummary.lines.map { label(of: $0) })
    }

    /// Mean of the valid (> −1) entries of one summary slice, −1 when none (pycocotools `_summarize`).
    private func mean(of line: COCOSummary.Line) -> Double {
        let p = parameters
        let thresholds = p.iouThresholds.indices.filter { line.iou == nil || p.iouThresholds[$0] == line.iou }
        guard let a = p.areaRanges.firstIndex(where: { $0.label == line.area }) else { return -1 }
        let mi = line.maxDetectionsIndex
        var sum = 0.0, count = 0
        for t in thresholds {
            for k in categoryIDs.indices {
                if line.precision {
                    for r in p.recallThresholds.indices {
                        let value = precision(t: t, r: r, k: k, a: a, m: mi)
                        if value > -1 { sum += value; count += 1 }
                    }
                } else {
                    let value = recall(t: t, k: k, a: a, m: mi)
                    if value > -1 { sum += value; count += 1 }
                }
            }
        }
        return count == 0 ? -1 : sum / Double(count)
    }

    /// The line's text without its value: ` Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ]`.
    private func label(of line: COCOSummary.Line) -> String {
        let p = parameters
        let title = line.precision ? "Average Precision" : "Average Recall"
        let kind = line.precision ? "(AP)" : "(AR)"
        let iou = line.iou.map { format($0, 2) }
            ?? "\(format(p.iouThresholds.first ?? 0, 2)):\(format(p.iouThresholds.last ?? 0, 2))"
        let maxDetections = String(p.maxDetections[line.maxDetectionsIndex])
        return " \(pad(title, 18)) \(kind) @[ IoU=\(pad(iou, 9)) | area=\(pad(line.area, 6, right: true)) | "
            + "maxDets=\(pad(maxDetections, 3, right: true)) ]"
    }

    private func format(_ value: Double, _ digits: Int) -> String { String(format: "%.\(digits)f", value) }

    private func pad(_ text: String, _ width: Int, right: Bool = false) -> String {
        let fill = String(repeating: " ", count: max(0, width - text.count))
        return right ? fill + text : text + fill
    }
}

/// The 12 numbers of pycocotools' detection summary.
public struct COCOSummary: Equatable, Sendable {
    /// Names of `stats`, in order (also the keys of `jsonValue`).
    public static let names = ["AP", "AP50", "AP75", "APs", "APm", "APl", "AR1", "AR10", "AR100", "ARs", "ARm", "ARl"]

    /// One line of `_summarizeDets`: average precision or recall over a slice of the tables.
    struct Line {
        var precision: Bool
        var iou: Double?
        var area: String
        var maxDetectionsIndex: Int
    }

    static let lines: [Line] = [
        Line(precision: true, iou: nil, area: "all", maxDetectionsIndex: 2),
        Line(precision: true, iou: 0.5, area: "all", maxDetectionsIndex: 2),
        Line(precision: true, iou: 0.75, area: "all", maxDetectionsIndex: 2),
        Line(precision: true, iou: nil, area: "small", maxDetectionsIndex: 2),
        Line(precision: true, iou: nil, area: "medium", maxDetectionsIndex: 2),
        Line(precision: true, iou: nil, area: "large", maxDetectionsIndex: 2),
        Line(precision: false, iou: nil, area: "all", maxDetectionsIndex: 0),
        Line(precision: false, iou: nil, area: "all", maxDetectionsIndex: 1),
        Line(precision: false, iou: nil, area: "all", maxDetectionsIndex: 2),
        Line(precision: false, iou: nil, area: "small", maxDetectionsIndex: 2),
        Line(precision: false, iou: nil, area: "medium", maxDetectionsIndex: 2),
        Line(precision: false, iou: nil, area: "large", maxDetectionsIndex: 2),
    ]

    /// AP, AP50, AP75, APs, APm, APl, AR1, AR10, AR100, ARs, ARm, ARl in [0, 1], or −1 when undefined.
    public let stats: [Double]
    /// The printed labels of the 12 lines (without ` = value`).
    let labels: [String]

    init(stats: [Double], lines: [String]) {
        self.stats = stats
        self.labels = lines
    }

    /// The value named `name` (one of `names`), nil for an unknown name.
    public subscript(_ name: String) -> Double? { Self.names.firstIndex(of: name).map { stats[$0] } }

    /// pycocotools' 12 printed lines, e.g. ` Average Precision  (AP) @[ IoU=0.50      | area=   all | maxDets=100 ] = 0.512`.
    public var text: String {
        zip(labels, stats).map { "\($0) = \(String(format: "%.3f", $1))" }.joined(separator: "\n")
    }

    /// One JSON object with keys `names` and the unrounded values.
    public var jsonValue: JSONValue {
        .object(zip(Self.names, stats).map { ($0, .number($1)) })
    }
}
