// The plan of `zoo reproduce table1`: a small version of the DetCo appendix's Table I on the demo scenes —
// Mask R-CNN FPN fine-tuned on 1/2/5/10 % of the labels from a random, a MoCo v2 and a DetCo backbone. One knob,
// the budget, scales every length: at budget 1 pre-training is the demo preset (300 steps of batch 32 at 64²) and
// fine-tuning FineTuneConfiguration's default schedule (600 iterations of batch 4), and every cell is evaluated on
// the first 500 of the demo's 1,000 held-out scenes (all 1,000 would add 15–30 min of inference to the ≈ 1.5 h
// table). Other budgets scale all three lengths (budget 0.1: a quick look in ≈ 10–20 min).
// Everything the table compares is identical across initialisations: one fine-tune configuration, seed and
// schedule per fraction; MoCo v2 and DetCo get the same pre-training steps, batch and seed.

import Foundation
import KilnData

/// A row of the table: how the detector's ResNet trunk starts.
public enum Table1Initialization: String, Codable, CaseIterable, Sendable {
    case random, mocov2, detco

    /// The pre-training that produces the trunk, nil for a random initialisation.
    public var method: PretrainingMethod? {
        switch self {
        case .random: nil
        case .mocov2: .mocov2
        case .detco: .detco
        }
    }

    /// The row label, as the paper writes it.
    public var title: String {
        switch self {
        case .random: "random init"
        case .mocov2: "MoCo v2"
        case .detco: "DetCo"
        }
    }
}

public struct Table1Plan: Equatable, Sendable {
    /// Budget-1 lengths: the demo pre-training preset, FineTuneConfiguration's default schedule and half of the
    /// demo's held-out scenes (budget 2 evaluates all of them; the split caps larger counts).
    public static let fullPretrainingSteps = 300
    public static let fullFineTuneIterations = 600
    public static let fullEvaluationImages = 500
    public static let defaultFractions = [0.01, 0.02, 0.05, 0.10]

    public var budget: Double
    /// Label fractions of the training images, in (0, 1].
    public var fractions: [Double]
    /// Pre-training of both methods (`method` is set per stage).
    public var pretraining: PretrainingConfiguration
    /// Fine-tuning of every cell (`fraction`, `classes` and `classNames` are set per cell and dataset).
    public var fineTune: FineTuneConfiguration
    /// Held-out images evaluated per cell (the first N of the validation split); nil: all of them.
    public var evaluationImages: Int?

    public init(budget: Double = 1, fractions: [Double] = Table1Plan.defaultFractions, seed: UInt64 = 0) {
        self.budget = budget
        self.fractions = fractions
        let scale = budget.isFinite && budget > 0 ? budget : 1
        pretraining = PretrainingConfiguration.demo(.detco)
        pretraining.steps = Table1Plan.scaled(Table1Plan.fullPretrainingSteps, scale)
        // The preset's 20 warm-up steps, but never more than a tenth of a shortened run.
        pretraining.warmupSteps = min(pretraining.warmupSteps, max(1, pretraining.steps / 10))
        pretraining.seed = seed
        fineTune = FineTuneConfiguration(kind: .maskrcnnFPN)
        fineTune.set(iterations: Table1Plan.scaled(Table1Plan.fullFineTuneIterations, scale))
        // detectron2's 0.02 per 16 images is tuned for 90k iterations from an ImageNet trunk; in 600 iterations
        // from the demo trunks it leaves AP near 0 (budget 0.1 run). 0.08 (0.02 at batch 4), the overfit tests'
        // rate, reaches bbox AP ≈ 8 at 10 % of the labels.
        fineTune.baseLearningRate = Table1Plan.fineTuneBaseLearningRate
        fineTune.seed = seed
        evaluationImages = Table1Plan.scaled(Table1Plan.fullEvaluationImages, scale)
    }

    /// Base learning rate of every fine-tune, per 16 images.
    public static let fineTuneBaseLearningRate = 0.08

    static func scaled(_ full: Int, _ scale: Double) -> Int { max(1, Int((Double(full) * scale).rounded())) }

    public var seed: UInt64 { fineTune.seed }

    /// The rows, in table order.
    public var initializations: [Table1Initialization] { Table1Initialization.allCases }

    /// The pre-training configuration of `method`.
    public func pretraining(_ method: PretrainingMethod) -> PretrainingConfiguration {
        var c = pretraining
        c.method = method
        // Table I pre-trains on the detection training split read as plain COCO images, which carry no
        // foreground masks apart from the annotations (using those would put labels into self-supervision).
        c.backgroundSwap = nil
        return c
    }

    /// The fine-tune configuration of the cells at `fraction` on `dataset`'s categories.
    public func fineTune(fraction: Double, dataset: COCODataset) -> FineTuneConfiguration {
        var c = fineTune
        c.fraction = fraction
        c.classes = dataset.categories.count
        c.classNames = dataset.categoryIDsByLabel.compactMap { id in dataset.categories.first { $0.id == id }?.name }
        return c
    }

    /// Every stage in the order they run: both pre-trainings and exports, then per row and fraction a fine-tune
    /// and its evaluation.
    public var stages: [Table1Stage] {
        var out: [Table1Stage] = []
        for method in initializations.compactMap(\.method) { out += [.pretrain(method), .export(method)] }
        for initialization in initializations {
            for fraction in fractions { out += [.fineTune(initialization, fraction), .evaluate(initialization, fraction)] }
        }
        return out
    }

    /// Problems a user can fix, as messages; empty when the plan is runnable.
    public func problems() -> [String] {
        var out: [String] = []
        if !(budget.isFinite && budget > 0) { out.append("--budget must be a positive number") }
        if fractions.isEmpty { out.append("--fractions needs at least one label fraction") }
        if let bad = fractions.first(where: { !($0 > 0 && $0 <= 1) }) {
            out.append("--fractions: \(Table1Plan.percent(bad)) % is not in (0, 100]")
        }
        if Set(fractions).count != fractions.count { out.append("--fractions lists a fraction twice") }
        if let evaluationImages, evaluationImages < 1 { out.append("at least one held-out image must be evaluated") }
        out += pretraining(.detco).problems() + fineTune.problems()
        return out
    }

    /// Problems of running this plan on a training split of `trainingImages` images: every fraction must hold at
    /// least one fine-tuning batch and the split one pre-training batch (checked before hours of work start).
    public func problems(trainingImages: Int, heldOutImages: Int) -> [String] {
        var out: [String] = []
        if trainingImages < pretraining.batch {
            out.append("the training split has \(trainingImages) images, fewer than the pre-training batch \(pretraining.batch)")
        }
        for fraction in fractions {
            let images = max(1, Int((fraction * Double(trainingImages)).rounded()))
            if images < fineTune.batch {
                out.append("\(Table1Plan.percent(fraction)) % of the \(trainingImages) training images is \(images), "
                           + "fewer than the fine-tuning batch \(fineTune.batch)")
            }
        }
        if heldOutImages < 1 { out.append("the dataset has no held-out images to evaluate") }
        return out
    }

    /// `fraction` as a percentage without trailing zeros ("1", "2.5").
    public static func percent(_ fraction: Double) -> String { String(format: "%g", fraction * 100) }
}

/// One unit of work of the table, with its own folder under the output folder.
public enum Table1Stage: Hashable, Sendable {
    case pretrain(PretrainingMethod)
    case export(PretrainingMethod)
    case fineTune(Table1Initialization, Double)
    case evaluate(Table1Initialization, Double)

    /// The stage's folder name under the output folder.
    public var folder: String {
        switch self {
        case .pretrain(let m): "pretrain-\(m.rawValue)"
        case .export(let m): "export-\(m.rawValue)"
        case .fineTune(let i, let f): "finetune-\(i.rawValue)-\(Table1Plan.percent(f))pct"
        case .evaluate(let i, let f): "eval-\(i.rawValue)-\(Table1Plan.percent(f))pct"
        }
    }

    /// A short description for progress lines.
    public var title: String {
        switch self {
        case .pretrain(let m): "pre-train \(Table1Initialization.from(m).title)"
        case .export(let m): "export the \(Table1Initialization.from(m).title) backbone"
        case .fineTune(let i, let f): "fine-tune Mask R-CNN FPN from \(i.title) on \(Table1Plan.percent(f)) % of the labels"
        case .evaluate(let i, let f): "evaluate \(i.title), \(Table1Plan.percent(f)) %"
        }
    }
}

extension Table1Initialization {
    static func from(_ method: PretrainingMethod) -> Table1Initialization {
        switch method {
        case .mocov2: .mocov2
        case .detco: .detco
        }
    }
}
