// What `zoo profile` prints and writes: per-kernel-kind rows aggregated from a Profiler, and a Chrome trace
// (the Trace Event Format that chrome://tracing and Perfetto open) of the most recent run.
//
// Contract: a row's kind is the node's op name, or for a fused node its fusion label (`#fused(...)` annotation,
// else the body's ops). Rows are sorted by total time (descending; ties by kind). GFLOP/s divides `Op.flops` by
// kernel time; bytes moved is operands plus result per call (`Executable.Step.bytes`), summed over calls.

import Foundation
import KilnIR
import KilnOps

/// One kind of kernel in a profile.
public struct ProfileRow: Equatable, Sendable {
    public var kind: String
    public var calls: Int
    public var nanoseconds: UInt64
    /// Share of the total kernel time, in percent.
    public var percent: Double
    /// Floating-point operations over all calls.
    public var flops: Double
    /// Bytes read and written over all calls.
    public var bytes: Int

    public var milliseconds: Double { Double(nanoseconds) / 1e6 }
    /// FLOPs per nanosecond is GFLOP/s; 0 when no time was measured.
    public var gflopsPerSecond: Double { nanoseconds > 0 ? flops / Double(nanoseconds) : 0 }
}

/// Per-kind totals of a profiled executable.
public struct ProfileReport: Sendable {
    public var rows: [ProfileRow]
    public var totalNanoseconds: UInt64
    /// Profiled runs.
    public var runs: Int

    /// Aggregates raw per-step numbers (one entry per executable step).
    public init(kinds: [String], flops: [Double], bytes: [Int], nanoseconds: [UInt64], calls: [Int], runs: Int) {
        var byKind: [String: ProfileRow] = [:]
        for i in kinds.indices {
            var row = byKind[kinds[i]] ?? ProfileRow(kind: kinds[i], calls: 0, nanoseconds: 0, percent: 0, flops: 0, bytes: 0)
            row.calls += calls[i]
            row.nanoseconds += nanoseconds[i]
            row.flops += flops[i] * Double(calls[i])
            row.bytes += bytes[i] * calls[i]
            byKind[kinds[i]] = row
        }
        let total = byKind.values.reduce(UInt64(0)) { $0 + $1.nanoseconds }
        rows = byKind.values.map { row in
            var r = row
            r.percent = total > 0 ? Double(r.nanoseconds) / Double(total) * 100 : 0
            return r
        }.sorted { ($1.nanoseconds, $0.kind) < ($0.nanoseconds, $1.kind) }
        totalNanoseconds = total
        self.runs = runs
    }

    /// The report of everything `profiler` measured on `executable`.
    public init(_ profiler: Profiler, _ executable: Executable) {
        let steps = executable.steps
        let measured = profiler.nanoseconds.count == steps.count
        self.init(kinds: steps.map { ProfileReport.kind(of: executable.graph.nodes[$0.node]) },
                  flops: steps.map(\.flops), bytes: steps.map(\.bytes),
                  nanoseconds: measured ? profiler.nanoseconds : steps.map { _ in 0 },
                  calls: measured ? profiler.calls : steps.map { _ in 0 }, runs: profiler.runs)
    }

    /// The row name of a node: its op, or for a fused node its fusion label.
    public static func kind(of node: Node) -> String {
        guard node.op == Fused.name else { return node.op }
        if let label = node.annotations.first(where: { $0.hasPrefix("fused(") }) { return label }
        guard case .graph(let body)? = node.attributes["body"] else { return node.op }
        let ops = body.nodes.filter { !$0.isLeaf && $0.op != Broadcast.name }.map(\.op)
        return "fused(" + ops.joined(separator: ",") + ")"
    }

    /// A fixed-width table: kind, calls, total ms, %, GFLOP/s, MB moved; then a total line.
    public func table(limit: Int? = nil) -> String {
        let shown = limit.map { Array(rows.prefix($0)) } ?? rows
        let width = max(4, shown.map(\.kind.count).max() ?? 4)
        func pad(_ s: String, _ w: Int) -> String { s.count >= w ? s : s + String(repeating: " ", count: w - s.count) }
        func left(_ s: String, _ w: Int) -> String { s.count >= w ? s : String(repeating: " ", count: w - s.count) + s }
        var out = pad("kind", width) + left("calls", 8) + left("total ms", 12) + left("%", 8) + left("GFLOP/s", 10)
            + left("MB moved", 12) + "\n"
        for r in shown {
            out += pad(r.kind, width) + left("\(r.calls)", 8) + left(String(format: "%.3f", r.milliseconds), 12)
                + left(String(format: "%.1f", r.percent), 8) + left(String(format: "%.2f", r.gflopsPerSecond), 10)
                + left(String(format: "%.1f", Double(r.bytes) / 1e6), 12) + "\n"
        }
        if shown.count < rows.count { out += "... \(rows.count - shown.count) more kinds\n" }
        let perRun = runs > 0 ? Double(totalNanoseconds) / 1e6 / Double(runs) : 0
        out += String(format: "total %.3f ms over %d run%@ (%.3f ms per run)\n",
                      Double(totalNanoseconds) / 1e6, runs, runs == 1 ? "" : "s", perRun)
        return out
    }

    /// The most recent profiled run as Chrome-trace JSON: one complete ("X") event per kernel, times in µs from the
    /// run's start.
    public static func chromeTrace(_ profiler: Profiler, _ executable: Executable) throws -> Data {
        let run = profiler.lastRun
        let origin = run.map(\.1).min() ?? 0
        var events: [[String: Any]] = []
        for (stepIndex, start, duration) in run where stepIndex < executable.steps.count {
            let step = executable.steps[stepIndex]
            let node = executable.graph.nodes[step.node]
            events.append([
                "name": kind(of: node), "cat": "kernel", "ph": "X", "pid": 1, "tid": 1,
                "ts": Double(start - origin) / 1000, "dur": Double(duration) / 1000,
                "args": ["node": "%\(step.node)", "op": node.op, "shape": "\(node.type)",
                         "flops": step.flops, "bytes": step.bytes],
            ])
        }
        let trace: [String: Any] = ["traceEvents": events, "displayTimeUnit": "ms"]
        return try JSONSerialization.data(withJSONObject: trace, options: [.sortedKeys])
    }
}

extension Profiler {
    /// Per-kind totals of what this profiler measured on `executable`.
    public func report(_ executable: Executable) -> ProfileReport { ProfileReport(self, executable) }
}
