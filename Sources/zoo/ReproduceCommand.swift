// `zoo reproduce table1`: the small version of the DetCo appendix's Table I on the demo scenes — MoCo v2 and DetCo
// pre-training with one budget, Mask R-CNN FPN fine-tuned on 1/2/5/10 % of the labels from each trunk and from a
// random one, every cell evaluated on held-out scenes. The work is KilnZoo's Table1Run; this file parses the flags,
// prints a line per stage with a progress bar, then the table, and writes the results document.

import ArgumentParser
import Foundation
import KilnZoo

struct ReproduceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reproduce", abstract: "Reproduce the paper's tables at demo scale.", subcommands: [ReproduceTable1.self])
}

struct ReproduceTable1: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "table1",
        abstract: "Table I (small): Mask R-CNN FPN on 1/2/5/10 % of the labels from random, MoCo v2 and DetCo trunks.",
        discussion: """
            --budget 1 (default) pre-trains each method for the demo preset's 300 steps, fine-tunes every cell for \
            600 iterations and evaluates it on 500 held-out scenes (about 1.5 h on 2 idle cores, see docs/zoo.md); \
            --budget 0.1 scales every length (and the evaluated scenes) by 0.1 for a quick look (≈ 10–20 min). Every stage \
            writes to its own folder under --out; a re-run reuses finished stages and continues an interrupted one \
            from its checkpoint, and refuses a folder made with other flags.
            """)

    @Option(help: "Scale of every length: pre-training steps, fine-tune iterations, evaluated scenes.") var budget = "1"
    @Option(help: "Output folder of every stage.") var out = "runs/table1"
    @Option(help: "Label fractions in percent, comma separated.") var fractions = "1,2,5,10"
    @Option(help: "Random seed of pre-training and fine-tuning (identical for every row).") var seed = "0"
    @Option(help: "The results document to write.") var results = "docs/results.md"
    @Option(help: "COCO folder (annotations.json + images); default: the built-in fashion scenes.") var data: String?
    @Option(help: "Data-loader threads.") var dataThreads = 2

    func run() throws {
        let started = Date()
        setvbuf(stdout, nil, _IOLBF, 0)   // stage lines appear in logs as they happen, between the progress bars
        let plan = try makePlan()
        guard dataThreads > 0 else { throw UsageError("--data-threads must be positive") }
        let directory = try DetectionData.directory(data)
        if data == nil { print("using the built-in fashion scenes at \(directory.path)") }
        let outURL = URL(fileURLWithPath: out, isDirectory: true)
        let experiment = try Table1Run(plan, data: directory, out: outURL, dataThreads: dataThreads)
        print("Table I (small), budget \(budget): \(plan.stages.count) stages; pre-training \(plan.pretraining.steps) steps, "
              + "fine-tuning \(plan.fineTune.iterations) iterations, \(experiment.training.images.count) training and "
              + "\(experiment.heldOut.images.count) held-out scenes; out \(outURL.path)")

        var bar: ProgressBar?
        let table = try experiment.run { event in
            switch event {
            case .stageStarted(let stage, let index, let count, let state):
                bar = nil
                let prefix = "[\(index + 1)/\(count)] \(stage.title)"
                switch state {
                case .finished(let record): print("\(prefix): reused (finished earlier in \(Table1Report.duration(record.seconds)))")
                case .interrupted: print("\(prefix): continuing an interrupted run")
                case .fresh: print(prefix)
                }
            case .pretrainingStep(let r):
                if bar == nil { bar = ProgressBar(total: r.totalSteps) }
                bar?.update(r.step, String(format: "loss %.4f lr %.4f %.1f img/s", r.losses["loss"] ?? .nan, r.learningRate, r.imagesPerSecond))
            case .fineTuneStep(let r):
                if bar == nil { bar = ProgressBar(total: r.totalIterations) }
                bar?.update(r.iteration, String(format: "loss %.4f lr %.5f %.1f img/s", r.losses["loss"] ?? .nan, r.learningRate, r.imagesPerSecond))
            case .evaluationProgress(let done, let total):
                if bar == nil { bar = ProgressBar(total: total) }
                bar?.update(done, "evaluating")
            case .stageFinished(_, let seconds):
                print("  done in \(Table1Report.duration(seconds))")
            }
        }

        let report = Table1Report(results: table, command: commandLine, wallSeconds: Date().timeIntervalSince(started),
                                  reusedStages: experiment.reusedStages, out: outURL.relativePath, cpuSeconds: Self.cpuSeconds())
        print("")
        print(table.table)
        print("")
        if let gain = table.detcoGainAtLargestFraction {
            print(String(format: "DetCo vs random init at %@ %% of the labels: AP^bb %.1f vs %.1f", Table1Plan.percent(gain.fraction), gain.detco, gain.random))
        }
        let document = Data(report.markdown.utf8)
        let copy = outURL.appendingPathComponent("results.md")
        try document.write(to: copy, options: .atomic)
        let resultsURL = URL(fileURLWithPath: results)
        do {
            try FileManager.default.createDirectory(at: resultsURL.deletingLastPathComponent(), withIntermediateDirectories: true)
            try document.write(to: resultsURL, options: .atomic)
        } catch {
            throw UsageError("--results \(results): cannot write (\(error.localizedDescription)); the report is in \(copy.path)")
        }
        print("wall time \(Table1Report.duration(report.wallSeconds)); wrote \(resultsURL.path) and \(copy.path)")
    }

    /// User + system CPU seconds of this process so far.
    static func cpuSeconds() -> Double? {
        var usage = rusage()
        guard getrusage(RUSAGE_SELF.rawValue, &usage) == 0 else { return nil }
        func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }

    /// The plan the flags ask for; one-line errors for values that do not parse or make no sense.
    func makePlan() throws -> Table1Plan {
        guard let budgetValue = Double(budget), budgetValue.isFinite, budgetValue > 0 else {
            throw UsageError("--budget must be a positive number, got '\(budget)'")
        }
        guard let seedValue = UInt64(seed) else { throw UsageError("--seed must be a non-negative integer, got '\(seed)'") }
        var parsed: [Double] = []
        for item in fractions.split(separator: ",", omittingEmptySubsequences: false) {
            let text = item.trimmingCharacters(in: .whitespaces)
            guard let percent = Double(text), percent > 0, percent <= 100 else {
                throw UsageError("--fractions takes percentages in (0, 100] separated by commas, e.g. 1,2,5,10; got '\(text)'")
            }
            parsed.append(percent / 100)
        }
        let plan = Table1Plan(budget: budgetValue, fractions: parsed, seed: seedValue)
        if let problem = plan.problems().first { throw UsageError(problem) }
        return plan
    }

    /// The command as it was given (flags at their values), for the results document.
    var commandLine: String {
        var parts = ["zoo reproduce table1", "--budget \(budget)", "--out \(out)", "--fractions \(fractions)", "--seed \(seed)"]
        if let data { parts.append("--data \(data)") }
        if results != "docs/results.md" { parts.append("--results \(results)") }
        return parts.joined(separator: " ")
    }
}
