// The profiler report: aggregation by kernel kind from raw numbers, the table, and a Chrome trace of a real run.

import Foundation
import KilnIR
import KilnOps
import KilnRuntime
import Testing

@Suite("Profiler report")
struct ProfilerReportTests {
    @Test("rows aggregate steps by kind and sort by time")
    func aggregates() {
        let report = ProfileReport(kinds: ["matmul", "add", "matmul", "relu"], flops: [2e6, 1e3, 4e6, 1e3],
                                   bytes: [100, 10, 200, 10], nanoseconds: [3_000_000, 500_000, 5_000_000, 1_500_000],
                                   calls: [2, 2, 2, 2], runs: 2)
        #expect(report.rows.map(\.kind) == ["matmul", "relu", "add"])
        let matmul = report.rows[0]
        #expect(matmul.calls == 4)
        #expect(matmul.nanoseconds == 8_000_000)
        #expect(matmul.flops == 12e6)               // (2e6 + 4e6) per run, two runs
        #expect(matmul.bytes == 600)
        #expect(Swift.abs(matmul.percent - 80) < 1e-9)
        #expect(Swift.abs(matmul.gflopsPerSecond - 1.5) < 1e-9)  // 12e6 flop / 8e6 ns
        #expect(Swift.abs(report.rows.map(\.percent).reduce(0, +) - 100) < 1e-9)
        #expect(report.totalNanoseconds == 10_000_000)
        let table = report.table(limit: 2)
        let lines = table.split(separator: "\n")
        #expect(lines.count == 5)                    // header, 2 rows, "... 1 more kinds", total
        #expect(lines[1].hasPrefix("matmul") && lines[1].contains("8.000") && lines[1].contains("80.0"))
        #expect(lines[4].contains("10.000 ms over 2 runs (5.000 ms per run)"))
    }

    @Test("fused nodes are named by their fusion label")
    func fusedKinds() throws {
        var body = GraphBuilder(name: "body")
        let a = body.input("0", TensorType(.f32, [8]))
        body.output("out", try body.relu(try body.neg(a)))
        var node = Node(op: Fused.name, inputs: [ValueID(0)], type: TensorType(.f32, [8]),
                        attributes: ["body": .graph(body.graph)])
        #expect(ProfileReport.kind(of: node) == "fused(neg,relu)")
        node.annotations = ["fused(loop:neg,relu)"]
        #expect(ProfileReport.kind(of: node) == "fused(loop:neg,relu)")
    }

    @Test("a profiled executable yields one row per kind and a Chrome trace of its last run")
    func traceOfRealRun() throws {
        var b = GraphBuilder(name: "mlp")
        let x = b.input("x", TensorType(.f32, [32, 64]))
        let w = b.constant(0.01, TensorType(.f32, [64, 48]))
        let h = try b.relu(try b.matmul(x, w))
        b.output("y", try b.reduceSum(try b.add(h, h)))
        let exe = try Executable(graph: b.graph)
        let profiler = Profiler()
        exe.profiler = profiler
        for _ in 0..<3 { try exe.run(["x": HostTensor(repeating: 1, TensorType(.f32, [32, 64]))]) }
        let report = ProfileReport(profiler, exe)
        #expect(Set(report.rows.map(\.kind)) == ["matmul", "relu", "add", "reduce_sum"])
        #expect(report.rows.allSatisfy { $0.calls == 3 })
        #expect(report.runs == 3)
        let mm = try #require(report.rows.first { $0.kind == "matmul" })
        #expect(mm.flops == 3 * 2 * 32 * 64 * 48)
        #expect(zip(report.rows, report.rows.dropFirst()).allSatisfy { $0.nanoseconds >= $1.nanoseconds })

        let data = try ProfileReport.chromeTrace(profiler, exe)
        let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let events = try #require(json["traceEvents"] as? [[String: Any]])
        #expect(events.count == exe.steps.count)
        #expect(events.map { $0["name"] as? String } == exe.steps.map { $0.name })
        var previousEnd = 0.0
        for e in events {
            #expect(e["ph"] as? String == "X")
            #expect(e["pid"] as? Int == 1 && e["tid"] as? Int == 1)
            let ts = try #require(e["ts"] as? Double), dur = try #require(e["dur"] as? Double)
            #expect(ts >= previousEnd - 1e-6 && dur >= 0)
            previousEnd = ts + dur
        }
    }
}
