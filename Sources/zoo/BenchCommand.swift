// `zoo bench WORKLOAD`: step time, throughput, achieved GFLOP/s (analytic count), GEMM share, arena and peak RSS —
// the numbers docs/performance.md compares with PyTorch and JAX (shared/bench/run-peer). `zoo bench data-detco`
// measures the input pipeline.

import ArgumentParser
import Foundation
import Kiln
import KilnZoo

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench", abstract: "Measure step time and throughput.",
        subcommands: [BenchWorkload.self, DataBenchCommand.self], defaultSubcommand: BenchWorkload.self)
}

struct BenchWorkload: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "workload", abstract: "Time a compiled workload step.",
        discussion: "Workloads: \(Workload.allCases.map(\.rawValue).joined(separator: ", ")).")

    @Argument(help: "The workload to time.") var workload: String
    @Option(help: "Batch size (default depends on the workload).") var batch: Int?
    @Option(help: "Square image size (default depends on the workload).") var size: Int?
    @Option(help: "Timed steps (after 2 warm-up steps).") var steps = 10
    @Option(help: "Threads (default: all cores).") var threads: Int?
    @Flag(help: "Compile without the fusion passes (elementwise fusion and convolution epilogues).") var noFusion = false
    @Flag(help: "Print one JSON object.") var json = false

    func run() throws {
        if let threads {
            guard threads > 0 else { throw UsageError("--threads must be positive") }
            setenv("KILN_THREADS", String(threads), 1)   // read once, when the pool is first used
        }
        guard steps > 0 else { throw UsageError("--steps must be positive") }
        let w = try Workload.named(workload)
        let passes = StandardPipeline.passes().filter { !noFusion || !["fusion", "conv-epilogue"].contains($0.name) }
        let runnable = try RunnableWorkload(w, batch: batch, size: size, options: CompileOptions(passes: passes))
        let exe = runnable.executable
        for _ in 0..<2 { try runnable.run() }
        var times: [Double] = [], cpuTimes: [Double] = []
        for _ in 0..<steps {
            let start = DispatchTime.now().uptimeNanoseconds, cpuStart = processCPUMilliseconds()
            try runnable.run()
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
            cpuTimes.append(processCPUMilliseconds() - cpuStart)
        }
        // One profiled step for the GEMM share.
        let profiler = Profiler()
        exe.profiler = profiler
        try runnable.run()
        exe.profiler = nil
        let gemmKinds: Set<String> = ["conv2d", "fused_conv2d", "conv2d_backward_data", "conv2d_backward_weights",
                                      "matmul"]
        var total: UInt64 = 0, gemm: UInt64 = 0
        for (i, ns) in profiler.nanoseconds.enumerated() {
            total += ns
            if gemmKinds.contains(exe.steps[i].name) { gemm += ns }
        }
        // Allocations inside the step itself (Executable.run, inputs unchanged), when a malloc counter is preloaded
        // (scripts/malloc-count.c; see docs/performance.md). nil otherwise.
        var allocations: Double?
        if let probe = dlsym(nil, "kiln_malloc_count") {
            let count = unsafeBitCast(probe, to: (@convention(c) () -> Int).self)
            let before = count()
            for _ in 0..<5 { try exe.run() }
            allocations = Double(count() - before) / 5
        }
        func medianOf(_ values: [Double]) -> Double {
            let sorted = values.sorted()
            return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
        }
        let sorted = times.sorted()
        let median = medianOf(times)
        let flops = AnalyticFLOPs.perStep(w, batch: runnable.batch, size: runnable.size)
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        var result: [(String, Any)] = [
            ("workload", w.rawValue), ("batch", runnable.batch), ("size", runnable.size),
            ("threads", ThreadPool.shared.threadCount), ("fusion", !noFusion),
            ("median_ms", median), ("min_ms", sorted.first!), ("max_ms", sorted.last!), ("cpu_ms", medianOf(cpuTimes)),
            ("images_per_s", Double(runnable.batch) / (median / 1000)),
            ("gflops", flops / (median / 1000) / 1e9), ("gflop_per_step", flops / 1e9),
            ("gemm_fraction", total > 0 ? Double(gemm) / Double(total) : 0),
            ("arena_bytes", exe.plan.arenaBytes), ("peak_rss_bytes", usage.ru_maxrss * 1024),
        ]
        if let allocations { result.append(("allocations_per_step", allocations)) }
        if json {
            print("{" + result.map { key, value in
                let text: String
                switch value {
                case let s as String: text = "\"\(s)\""
                case let d as Double: text = String(format: "%.4f", d)
                case let b as Bool: text = b ? "true" : "false"
                default: text = "\(value)"
                }
                return "\"\(key)\": \(text)"
            }.joined(separator: ", ") + "}")
        } else {
            let v = Dictionary(uniqueKeysWithValues: result)
            print("\(w.rawValue), batch \(runnable.batch), \(runnable.size)×\(runnable.size), \(v["threads"]!) threads, fusion \(noFusion ? "off" : "on")")
            print(String(format: "  step: median %.1f ms (min %.1f, max %.1f) over %d steps; CPU time %.1f ms", median,
                         sorted.first!, sorted.last!, steps, medianOf(cpuTimes)))
            print(String(format: "  %.1f images/s, %.1f GFLOP/s (%.2f GFLOP per step), GEMM share %.0f%%",
                         v["images_per_s"] as! Double, v["gflops"] as! Double, flops / 1e9, 100 * (v["gemm_fraction"] as! Double)))
            print(String(format: "  arena %.1f MB, peak RSS %.1f MB", Double(exe.plan.arenaBytes) / 1_048_576, Double(usage.ru_maxrss) / 1024))
            if let allocations { print(String(format: "  %.1f heap allocations per step", allocations)) }
        }
    }
}

/// CPU time of the whole process (all threads) so far, in milliseconds: on a shared machine it grows with the work
/// done rather than with the time other processes hold the cores (with one thread it is the step's compute time).
func processCPUMilliseconds() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t)
    return Double(t.tv_sec) * 1e3 + Double(t.tv_nsec) * 1e-6
}
