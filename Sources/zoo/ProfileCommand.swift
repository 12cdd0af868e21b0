// `zoo profile WORKLOAD`: runs a compiled workload with the kernel profiler on and prints per-kernel-kind time,
// throughput and traffic; optionally writes a Chrome trace of the last step (open it in Perfetto).

import ArgumentParser
import Foundation
import Kiln
import KilnZoo

struct ProfileCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "profile", abstract: "Profile the kernels of a workload's compiled step.",
        discussion: "Workloads: \(Workload.allCases.map(\.rawValue).joined(separator: ", ")).")

    @Argument(help: "The workload to run.") var workload: String
    @Option(help: "Batch size (default depends on the workload).") var batch: Int?
    @Option(help: "Square image size (default depends on the workload).") var size: Int?
    @Option(help: "Profiled steps (after the warm-up).") var steps = 5
    @Option(help: "Unprofiled warm-up steps.") var warmup = 1
    @Option(help: "Write a Chrome trace (JSON) of the last step here.") var trace: String?
    @Option(help: "Show at most this many kernel kinds.") var top: Int?

    func run() throws {
        guard steps > 0, warmup >= 0 else { throw UsageError("--steps must be positive and --warmup not negative") }
        if let batch, batch <= 0 { throw UsageError("--batch must be positive") }
        if let size, size < 32 { throw UsageError("--size must be at least 32") }
        if let top, top <= 0 { throw UsageError("--top must be positive") }
        let w = try Workload.named(workload)
        let runnable = try RunnableWorkload(w, batch: batch, size: size)
        let exe = runnable.executable
        print("\(w.rawValue), batch \(runnable.batch), \(runnable.size)×\(runnable.size): \(exe.steps.count) kernels, "
              + String(format: "arena %.1f MB", Double(exe.plan.arenaBytes) / 1_048_576))
        for _ in 0..<warmup { try runnable.run() }
        let profiler = Profiler()
        exe.profiler = profiler
        defer { exe.profiler = nil }
        for _ in 0..<steps { try runnable.run() }
        print(ProfileReport(profiler, exe).table(limit: top), terminator: "")
        if let trace {
            do {
                try ProfileReport.chromeTrace(profiler, exe).write(to: URL(fileURLWithPath: trace), options: .atomic)
            } catch {
                throw UsageError("\(trace): cannot write the trace (\(error.localizedDescription))")
            }
            print("wrote \(trace) (open it at https://ui.perfetto.dev)")
        }
    }
}
