// `zoo reproduce table1` (issue 7): the plan the budget chooses, the stage records that make re-runs reuse and
// resume stages, the paper-style table and the results document; and one whole run of the orchestration at a tiny
// size (pre-training, export, fine-tunes and evaluations of 2 steps each on 24 generated scenes), run twice to check
// that the second invocation reuses every stage.

import Foundation
import KilnData
import KilnZoo
import Testing

@Suite("Table1")
struct Table1Tests {
    @Test("budget 1 is the demo pre-training preset and the default fine-tune schedule; 0.1 scales every length")
    func budgetScalesLengths() {
        let full = Table1Plan()
        #expect(full.pretraining.steps == 300 && full.pretraining.batch == 32 && full.pretraining.size == 64)
        #expect(full.pretraining.warmupSteps == 20)
        #expect(full.fineTune.iterations == 600 && full.fineTune.milestones == [450, 550] && full.fineTune.kind == .maskrcnnFPN)
        #expect(full.evaluationImages == 500)
        #expect(full.fractions == [0.01, 0.02, 0.05, 0.10])

        let quick = Table1Plan(budget: 0.1, seed: 7)
        #expect(quick.pretraining.steps == 30 && quick.pretraining.warmupSteps == 3)
        #expect(quick.fineTune.iterations == 60 && quick.fineTune.milestones == [45, 55] && quick.fineTune.warmupIterations == 6)
        #expect(quick.evaluationImages == 50)
        #expect(quick.pretraining(.mocov2).seed == 7 && quick.pretraining(.detco).seed == 7 && quick.fineTune.seed == 7)
        #expect(Table1Plan(budget: 0.001).pretraining.steps == 1, "lengths never reach 0")
    }

    @Test("every row fine-tunes with the same configuration; MoCo v2 and DetCo pre-train alike")
    func rowsAreComparable() throws {
        let plan = Table1Plan(budget: 0.1)
        let dataset = COCODataset(images: [], annotations: [], categories: FashionScenes.categories, imageRoot: URL(fileURLWithPath: "/"))
        let c = plan.fineTune(fraction: 0.05, dataset: dataset)
        #expect(c.fraction == 0.05 && c.classes == 10 && c.classNames.count == 10)
        var moco = plan.pretraining(.mocov2), detco = plan.pretraining(.detco)
        #expect(moco.method == .mocov2 && detco.method == .detco)
        moco.method = .detco
        #expect(moco == detco)
    }

    @Test("the stages: both pre-trainings and exports, then a fine-tune and an evaluation per cell")
    func stagePlan() {
        let plan = Table1Plan(fractions: [0.01, 0.1])
        let stages = plan.stages
        #expect(stages.count == 4 + 2 * 3 * 2)
        #expect(stages.prefix(4) == [.pretrain(.mocov2), .export(.mocov2), .pretrain(.detco), .export(.detco)])
        #expect(stages[4] == .fineTune(.random, 0.01) && stages[5] == .evaluate(.random, 0.01))
        #expect(stages.last == .evaluate(.detco, 0.1))
        #expect(Set(stages.map(\.folder)).count == stages.count, "every stage has its own folder")
        #expect(Table1Stage.fineTune(.detco, 0.1).folder == "finetune-detco-10pct")
        #expect(Table1Stage.evaluate(.mocov2, 0.025).folder == "eval-mocov2-2.5pct")
    }

    @Test("bad budgets and fractions, and fractions smaller than a batch, are reported before any work")
    func problems() {
        #expect(Table1Plan(budget: 0).problems().contains { $0.contains("--budget") })
        #expect(Table1Plan(budget: .nan).problems().contains { $0.contains("--budget") })
        #expect(Table1Plan(fractions: []).problems().contains { $0.contains("--fractions") })
        #expect(Table1Plan(fractions: [0.1, 1.5]).problems().contains { $0.contains("150 %") })
        #expect(Table1Plan(fractions: [0.1, 0.1]).problems().contains { $0.contains("twice") })
        #expect(Table1Plan().problems().isEmpty)
        let tooFew = Table1Plan().problems(trainingImages: 9000, heldOutImages: 1000)
        #expect(tooFew.isEmpty, "1 % of 9000 scenes is 90 images, enough for batches of 4")
        let small = Table1Plan().problems(trainingImages: 200, heldOutImages: 0)
        #expect(small.contains { $0.contains("1 % of the 200 training images is 2") })
        #expect(small.contains { $0.contains("no held-out images") })
    }

    static func scores(_ ap: Double) -> DetectionScores {
        DetectionScores(bbox: ["AP": ap, "AP50": ap + 0.1, "AP75": ap / 2], segm: ["AP": ap - 0.01, "AP50": -1, "AP75": 0], images: 5)
    }

    @Test("the paper-style table has a row per pre-training and AP^bb, AP^bb_50, AP^mk per fraction")
    func tableFormatting() {
        var results = Table1Results(plan: Table1Plan(fractions: [0.01, 0.1]))
        results.scores[.random] = [0.01: Self.scores(0.1), 0.1: Self.scores(0.2)]
        results.scores[.detco] = [0.01: Self.scores(0.15), 0.1: Self.scores(0.3)]
        results.scores[.mocov2] = [0.1: Self.scores(0.25)]
        results.trainingImages = [0.01: 90, 0.1: 900]
        #expect(!results.isComplete)
        let lines = results.table.split(separator: "\n").map(String.init)
        #expect(lines.count == 5)
        #expect(lines[0] == "| pre-train | 1 %: AP^bb | AP^bb_50 | AP^mk | 10 %: AP^bb | AP^bb_50 | AP^mk |")
        #expect(lines[2] == "| random init | 10.0 | 20.0 | 9.0 | 20.0 | 30.0 | 19.0 |")
        #expect(lines[3] == "| MoCo v2 | – | – | – | 25.0 | 35.0 | 24.0 |", "a missing cell shows as –")
        #expect(lines[4] == "| DetCo | 15.0 | 25.0 | 14.0 | 30.0 | 40.0 | 29.0 |")
        let detail = results.detailTable.split(separator: "\n").map(String.init)
        #expect(detail.count == 2 + 6)
        #expect(detail[2] == "| random init | 1 % | 90 | 10.0 | 20.0 | 5.0 | 9.0 | nan | 0.0 |", "−1 (undefined) prints as nan")
        let gain = results.detcoGainAtLargestFraction
        #expect(gain?.fraction == 0.1 && abs((gain?.detco ?? 0) - 30) < 1e-9 && abs((gain?.random ?? 0) - 20) < 1e-9)
        results.scores[.mocov2]?[0.01] = Self.scores(0.12)
        #expect(results.isComplete)
    }

    @Test("the results document holds the table, the budget, the commands and the wall time")
    func reportDocument() {
        var results = Table1Results(plan: Table1Plan(budget: 0.1, fractions: [0.1]))
        for row in Table1Initialization.allCases { results.scores[row] = [0.1: Self.scores(0.2)] }
        results.evaluatedImages = 100
        results.stageSeconds = ["pretrain-detco": 61, "finetune-detco-10pct": 3725]
        let report = Table1Report(results: results, command: "zoo reproduce table1 --budget 0.1", wallSeconds: 754,
                                  reusedStages: 2, out: "runs/t1", cpuSeconds: 754)
        let text = report.markdown
        #expect(text.contains(results.table))
        #expect(text.contains("## Setup (budget 0.1)"))
        #expect(text.contains("30 steps of 32 images at 64×64"))
        #expect(text.contains("60 iterations of 4 images"))
        #expect(text.contains("Wall time **12 min 34 s**"))
        #expect(text.contains("reused 2 of 10 stages"))
        #expect(text.contains("```bash\nzoo reproduce table1 --budget 0.1\n```"))
        #expect(text.contains("zoo finetune maskrcnn-fpn --backbone runs/t1/export-detco/backbone.safetensors --fraction 0.1 --iters 60"))
        #expect(text.contains("| finetune-detco-10pct | 1 h 02 min |"))
        #expect(text.contains("DetCo vs random init at 10 % of the labels: AP^bb 20.0 vs 20.0 (+0.0) — DetCo does not beat random init"))
        #expect(text.contains("CPU time 12 min 34 s, 1.00 of the"))
    }

    @Test("stage records: fresh, interrupted and finished stages; a folder of other inputs is refused by name")
    func stageStates() throws {
        let folder = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("kiln-stage-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        defer { try? FileManager.default.removeItem(at: folder) }
        let inputs = ["pretraining": "{\"steps\":3}", "data": "scenes"]
        #expect(try StageState.of(folder, inputs: inputs) == .fresh)
        try StageRecord(stage: "pretrain-detco", inputs: inputs).write(folder)
        #expect(try StageState.of(folder, inputs: inputs) == .interrupted)
        let done = StageRecord(stage: "pretrain-detco", inputs: inputs, finished: true, seconds: 12, scores: Self.scores(0.3))
        try done.write(folder)
        #expect(try StageState.of(folder, inputs: inputs) == .finished(done))
        var other = inputs
        other["pretraining"] = "{\"steps\":30}"
        do {
            _ = try StageState.of(folder, inputs: other)
            Issue.record("a stage made with other inputs was accepted")
        } catch let error as ExperimentError {
            #expect(error.description.contains("'pretraining' differs") && error.description.contains(folder.path))
        }
        try Data("{not json".utf8).write(to: folder.appendingPathComponent(StageRecord.fileName))
        #expect(throws: ExperimentError.self) { try StageState.of(folder, inputs: inputs) }
    }

    /// A plan whose every stage is a couple of steps at the smallest sizes.
    static func tinyPlan() -> Table1Plan {
        var plan = Table1Plan(budget: 0.01, fractions: [0.5, 1.0], seed: 3)
        plan.pretraining.batch = 4
        plan.pretraining.size = 32
        plan.pretraining.steps = 2
        plan.pretraining.queueSize = 16
        plan.fineTune.batch = 2
        plan.fineTune.set(iterations: 2)
        plan.evaluationImages = 2
        return plan
    }

    struct Interrupt: Error {}

    @Test("a tiny run, interrupted mid fine-tune, continues from the checkpoint, fills every cell, and a third run reuses every stage")
    func tinyRunResumeAndReuse() throws {
        let root = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("kiln-table1-\(getpid())")
        defer { try? FileManager.default.removeItem(at: root) }
        let data = root.appendingPathComponent("scenes"), out = root.appendingPathComponent("out")
        try FashionScenes.generate(count: 24, seed: 0, size: 96, out: data)
        var plan = Self.tinyPlan()
        plan.fineTune.checkpointEvery = 1
        let interrupted = Table1Stage.fineTune(.detco, 0.5)
        let started = Date()

        // 1. Stopped at the second iteration of one fine-tune (after the checkpoint of the first).
        var current: Table1Stage?
        let first = try Table1Run(plan, data: data, out: out, dataThreads: 1)
        #expect(throws: Interrupt.self) {
            _ = try first.run { event in
                if case .stageStarted(let stage, _, _, _) = event { current = stage }
                if case .fineTuneStep(let r) = event, current == interrupted, r.iteration == 2 { throw Interrupt() }
            }
        }

        // 2. Earlier stages are reused, the interrupted one continues at iteration 2, the rest run.
        var states: [Table1Stage: StageState] = [:], ran: [Table1Stage] = [], resumedIterations: [Int] = []
        let second = try Table1Run(plan, data: data, out: out, dataThreads: 1)
        let results = try second.run { event in
            switch event {
            case .stageStarted(let stage, _, _, let state): states[stage] = state; current = stage
            case .stageFinished(let stage, _): ran.append(stage)
            case .fineTuneStep(let r) where current == interrupted: resumedIterations.append(r.iteration)
            default: break
            }
        }
        let seconds = Date().timeIntervalSince(started)
        print("tiny Table I run: \(String(format: "%.1f", seconds)) s for \(plan.stages.count) stages\n\(results.table)")
        let stages = plan.stages
        guard let cut = stages.firstIndex(of: interrupted) else { Issue.record("no stage \(interrupted)"); return }
        #expect(stages[..<cut].allSatisfy { if case .finished = states[$0] { true } else { false } })
        #expect(states[interrupted] == .interrupted && resumedIterations == [2])
        #expect(stages[(cut + 1)...].allSatisfy { states[$0] == .fresh })
        #expect(ran == Array(stages[cut...]) && second.reusedStages == cut)

        #expect(results.isComplete)
        #expect(results.trainingImages == [0.5: 11, 1.0: 22] && results.evaluatedImages == 2)
        for row in Table1Initialization.allCases {
            for fraction in plan.fractions {
                let cell = results.score(row, fraction)
                #expect(cell?.images == 2 && cell?.segm != nil, "\(row) at \(fraction)")
            }
        }
        #expect(!results.table.contains("–"), "every cell has numbers")
        for file in ["pretrain-detco/checkpoint.safetensors", "export-mocov2/backbone.safetensors",
                     "finetune-detco-50pct/checkpoint.safetensors", "eval-random-100pct/eval.json"] {
            #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent(file).path), "\(file) is written")
        }
        let report = Table1Report(results: results, command: "zoo reproduce table1 (test)", wallSeconds: seconds,
                                  reusedStages: second.reusedStages, out: out.path)
        let document = root.appendingPathComponent("results.md")
        try Data(report.markdown.utf8).write(to: document)
        #expect(try String(contentsOf: document, encoding: .utf8).contains(results.table))

        // 3. Every stage is finished with the same inputs: nothing runs and the numbers are the same.
        var rerun: [Table1Stage] = []
        let third = try Table1Run(plan, data: data, out: out, dataThreads: 1)
        let reused = try third.run { event in if case .stageFinished(let stage, _) = event { rerun.append(stage) } }
        #expect(rerun.isEmpty && third.reusedStages == stages.count)
        #expect(reused == results)

        // Another seed must neither reuse nor overwrite these stages.
        var otherSeed = plan
        otherSeed.pretraining.seed = 4
        #expect(throws: ExperimentError.self) { try Table1Run(otherSeed, data: data, out: out, dataThreads: 1) }
    }
}
