// The document `zoo reproduce table1` writes (docs/results.md by default): the paper-style table, the setup the
// budget chose, every cell's AP / AP50 / AP75, stage times, the commands and the wall time — everything needed to
// read the numbers without the run's folder.

import Foundation

public struct Table1Report: Sendable {
    public var results: Table1Results
    /// The command line that produced the results.
    public var command: String
    /// Wall-clock seconds of the invocation that wrote the report.
    public var wallSeconds: Double
    /// Stages reused from earlier invocations.
    public var reusedStages: Int
    /// The output folder as the user gave it (relative paths stay relative in the document).
    public var out: String
    /// CPU seconds (user + system) of the invocation, nil when unknown; with the wall time it shows how much of the
    /// machine the run had (the development machine is shared).
    public var cpuSeconds: Double?
    public var date = Date()
    /// Cores of the machine (the run time depends on them).
    public var cores = ProcessInfo.processInfo.activeProcessorCount

    public init(results: Table1Results, command: String, wallSeconds: Double, reusedStages: Int, out: String,
                cpuSeconds: Double? = nil) {
        self.results = results
        self.command = command
        self.wallSeconds = wallSeconds
        self.reusedStages = reusedStages
        self.out = out
        self.cpuSeconds = cpuSeconds
    }

    /// The CPU time and the cores it amounts to on average, e.g. "CPU time 13 min 27 s, 0.69 of the 2 cores on average".
    var cpuLine: String? {
        // An invocation that only reused stages did no work worth describing.
        guard let cpuSeconds, wallSeconds > 0, reusedStages < results.plan.stages.count else { return nil }
        return "CPU time \(Self.duration(cpuSeconds)), "
            + String(format: "%.2f of the %d cores on average", cpuSeconds / wallSeconds, cores)
    }

    public var markdown: String {
        let plan = results.plan, p = plan.pretraining, f = plan.fineTune
        let day = ISO8601DateFormatter.string(from: date, timeZone: .current, formatOptions: [.withFullDate])
        let stageTotal = results.stageSeconds.values.reduce(0, +)
        let stages = plan.stages.count
        var lines = [
            "# Table I (small): detection fine-tuning with few labels on the demo scenes",
            "",
            "Written by `\(command)` on \(day) (\(cores) cores). Wall time **\(Self.duration(wallSeconds))**"
                + (reusedStages > 0 ? " for this invocation, which reused \(reusedStages) of \(stages) stages finished earlier; "
                   + "the stages took \(Self.duration(stageTotal)) in all." : " (\(stages) stages).")
                + (cpuLine.map { " \($0)." } ?? ""),
            "",
            "Mask R-CNN FPN with a ResNet-\(f.depth) trunk, fine-tuned on \(plan.fractions.map { Table1Plan.percent($0) + " %" }.joined(separator: ", ")) "
                + "of the labelled training scenes from a random, a MoCo v2 and a DetCo trunk, and evaluated on "
                + "\(results.evaluatedImages) held-out scenes. COCO AP ×100 (pycocotools semantics); "
                + "AP^bb: boxes, AP^mk: masks.",
            "",
            results.table,
            "",
        ]
        if let gain = results.detcoGainAtLargestFraction {
            // Judged on the printed (one-decimal) values, so the verdict never contradicts the table.
            let detco = (gain.detco * 10).rounded() / 10, random = (gain.random * 10).rounded() / 10
            let delta = detco - random
            lines.append("DetCo vs random init at \(Table1Plan.percent(gain.fraction)) % of the labels: AP^bb "
                         + String(format: "%.1f vs %.1f (%@%.1f)", detco, random, delta >= 0 ? "+" : "−", abs(delta))
                         + (delta > 0 ? " — DetCo is ahead (one seed)." : " — DetCo does not beat random init here."))
            lines.append("")
        }
        lines += [
            "## Setup (budget \(String(format: "%g", plan.budget)))",
            "",
            "- Pre-training (MoCo v2 and DetCo alike): ResNet-\(p.depth), \(p.steps) steps of \(p.batch) images at "
                + "\(p.size)×\(p.size), lr \(p.learningRate) (cosine, \(p.warmupSteps) warm-up steps), queue \(p.queueSize), "
                + "key momentum \(p.keyMomentum), hue jitter \(p.hueJitter), seed \(p.seed) — the demo preset"
                + (p.backgroundSwap == nil ? " without its per-view background swap" : "")
                + (p.steps == Table1Plan.fullPretrainingSteps ? "" : " with its length scaled by the budget")
                + ". It sees the training scenes only, without labels.",
            "- Fine-tuning (every cell alike): \(f.iterations) iterations of \(f.batch) images on a \(f.canvas)² canvas "
                + "(short sides \(f.shortSides.map(String.init).joined(separator: "/")), flips), lr \(f.learningRate) "
                + "(×0.1 at \(f.milestones.map(String.init).joined(separator: " and ")), \(f.warmupIterations) warm-up iterations), "
                + "weight decay \(f.weightDecay), seed \(f.seed). The label fractions are seeded subsets of the training "
                + "split, nested (the 1 % scenes are among the 2 % ones).",
            "- Evaluation: the first \(results.evaluatedImages) scenes of the held-out split (the last 10 % in file order, "
                + "never trained on), test short side \(f.testShortSide), bbox and segm AP.",
            "",
            "## Every cell",
            "",
            results.detailTable,
            "",
            "## Stage times",
            "",
            "| stage | time |",
            "|---|---:|",
        ]
        for stage in plan.stages {
            lines.append("| \(stage.folder) | \(results.stageSeconds[stage.folder].map(Self.duration) ?? "–") |")
        }
        lines += ["", "## Commands", "", "```bash", command, "```", "",
                  "Every stage's files are in `\(out)/<stage>/` (checkpoints, metrics.jsonl, loss.png, eval.json, "
                  + "coco_instances_results.json, stage.json). One cell by hand, with the same configuration:", "",
                  "```bash"]
        let fraction = plan.fractions.max() ?? 0.1
        let cell = "\(out)/\(Table1Stage.fineTune(.detco, fraction).folder)"
        lines.append("zoo finetune maskrcnn-fpn --backbone \(out)/\(Table1Stage.export(.detco).folder)/backbone.safetensors "
                     + "--fraction \(String(format: "%g", fraction)) --iters \(f.iterations) --seed \(f.seed) --out \(cell) --no-eval")
        lines.append("zoo eval detector \(cell)/checkpoint.safetensors --images \(results.evaluatedImages)")
        lines += ["```", "",
                  "The pre-trainings match `zoo train detco|mocov2 --steps \(p.steps) --seed \(p.seed)"
                  + (p.backgroundSwap == nil ? " --background-swap 0" : "") + "` except that they read "
                  + "only the training split and warm up for \(p.warmupSteps) steps.", ""]
        return lines.joined(separator: "\n")
    }

    /// "1 h 05 min", "4 min 10 s", "12 s".
    public static func duration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        if s >= 3600 { return String(format: "%d h %02d min", s / 3600, s / 60 % 60) }
        if s >= 60 { return String(format: "%d min %02d s", s / 60, s % 60) }
        return "\(s) s"
    }
}
