// The numbers of `zoo reproduce table1` and their Markdown tables: the paper-style table (rows = pre-training,
// per label fraction AP^bb, AP^bb_50 and AP^mk, ×100 with one decimal like the paper) and a detailed one with
// AP / AP50 / AP75 of boxes and masks per cell.

import Foundation

public struct Table1Results: Equatable, Sendable {
    public var plan: Table1Plan
    /// Scores per row and label fraction; a missing entry is a cell that was not evaluated.
    public var scores: [Table1Initialization: [Double: DetectionScores]] = [:]
    /// Training images each label fraction fine-tunes on.
    public var trainingImages: [Double: Int] = [:]
    /// Held-out images every cell is evaluated on.
    public var evaluatedImages = 0
    /// Wall-clock seconds of each finished stage, by folder name (from its stage record).
    public var stageSeconds: [String: Double] = [:]

    public init(plan: Table1Plan) { self.plan = plan }

    public func score(_ initialization: Table1Initialization, _ fraction: Double) -> DetectionScores? {
        scores[initialization]?[fraction]
    }

    /// Whether every cell of the plan has scores.
    public var isComplete: Bool {
        plan.initializations.allSatisfy { i in plan.fractions.allSatisfy { score(i, $0) != nil } }
    }

    /// The paper's layout: one row per pre-training, per fraction the columns AP^bb, AP^bb_50 and AP^mk.
    public var table: String {
        let metrics: [(String, (DetectionScores) -> Double?)] = [
            ("AP^bb", { $0.bbox["AP"] }), ("AP^bb_50", { $0.bbox["AP50"] }), ("AP^mk", { $0.segm?["AP"] }),
        ]
        var header = ["pre-train"], rule = ["---"]
        for fraction in plan.fractions {
            for (index, metric) in metrics.enumerated() {
                header.append(index == 0 ? "\(Table1Plan.percent(fraction)) %: \(metric.0)" : metric.0)
                rule.append("---:")
            }
        }
        var lines = [Self.row(header), Self.row(rule)]
        for initialization in plan.initializations {
            var cells = [initialization.title]
            for fraction in plan.fractions {
                let s = score(initialization, fraction)
                cells += metrics.map { Self.format(s.flatMap($0.1)) }
            }
            lines.append(Self.row(cells))
        }
        return lines.joined(separator: "\n")
    }

    /// Every cell's AP, AP50 and AP75 for boxes and masks, with its training images.
    public var detailTable: String {
        let keys = ["AP", "AP50", "AP75"]
        var lines = [Self.row(["pre-train", "labels", "train images"] + keys.map { "bbox \($0)" } + keys.map { "segm \($0)" }),
                     Self.row(["---", "---:", "---:"] + Array(repeating: "---:", count: 2 * keys.count))]
        for initialization in plan.initializations {
            for fraction in plan.fractions {
                let s = score(initialization, fraction)
                lines.append(Self.row([initialization.title, "\(Table1Plan.percent(fraction)) %",
                                       trainingImages[fraction].map(String.init) ?? "–"]
                                      + keys.map { Self.format(s?.bbox[$0]) } + keys.map { Self.format(s?.segm?[$0]) }))
            }
        }
        return lines.joined(separator: "\n")
    }

    /// DetCo's bbox AP minus random init's at the largest fraction, ×100 (the acceptance comparison), when both exist.
    public var detcoGainAtLargestFraction: (fraction: Double, detco: Double, random: Double)? {
        guard let fraction = plan.fractions.max(), let detco = score(.detco, fraction)?.bbox["AP"],
              let random = score(.random, fraction)?.bbox["AP"], detco >= 0, random >= 0 else { return nil }
        return (fraction, detco * 100, random * 100)
    }

    /// A value in [0, 1] as the paper prints it (×100, one decimal); "–" for a missing cell, "nan" for an
    /// undefined AP (pycocotools' −1: no ground truth in that slice).
    static func format(_ value: Double?) -> String {
        guard let value else { return "–" }
        return value < 0 ? "nan" : String(format: "%.1f", value * 100)
    }

    static func row(_ cells: [String]) -> String { "| " + cells.joined(separator: " | ") + " |" }
}
