// `zoo graph stats WORKLOAD`: node and kernel counts before and after the standard pipeline, and the arena sizes
// of the compiled step (naive, planned, lower bound), as a table or one JSON object.

import ArgumentParser
import Foundation
import KilnPasses
import KilnZoo

extension GraphCommand {
    struct Stats: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Count nodes and kernels and size the memory plan of a workload's graph.",
            discussion: "Workloads: \(Workload.allCases.map(\.rawValue).joined(separator: ", ")).")

        @Argument(help: "The workload to trace.") var workload: String
        @Option(help: "Batch size (default depends on the workload).") var batch: Int?
        @Option(help: "Square image size (default depends on the workload).") var size: Int?
        @Flag(help: "Print one JSON object instead of a table.") var json = false

        func run() throws {
            if let batch, batch <= 0 { throw UsageError("--batch must be positive") }
            if let size, size <= 0 { throw UsageError("--size must be positive") }
            let w = try Workload.named(workload)
            let stats = try GraphStatistics.measure(try w.graph(batch: batch, size: size))
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys]
                print(String(decoding: try encoder.encode(stats), as: UTF8.self))
                return
            }
            func mb(_ bytes: Int) -> String { String(format: "%.2f MB", Double(bytes) / 1_048_576) }
            let rows: [(String, String)] = [
                ("nodes before", "\(stats.nodesBefore)"), ("nodes after", "\(stats.nodesAfter)"),
                ("kernels unfused", "\(stats.kernelsUnfused)"), ("kernels fused", "\(stats.kernelsFused)"),
                ("naive bytes", "\(stats.naiveBytes) (\(mb(stats.naiveBytes)))"),
                ("planned bytes", "\(stats.plannedBytes) (\(mb(stats.plannedBytes)), \(stats.strategy))"),
                ("lower bound bytes", "\(stats.lowerBoundBytes) (\(mb(stats.lowerBoundBytes)))"),
                ("strategies", stats.strategyBytes.sorted { $0.key < $1.key }.map { "\($0.key) \(mb($0.value))" }
                    .joined(separator: ", ")),
                ("planned / naive", String(format: "%.3f", Double(stats.plannedBytes) / Double(max(stats.naiveBytes, 1)))),
                ("planned / lower bound", String(format: "%.3f", Double(stats.plannedBytes) / Double(max(stats.lowerBoundBytes, 1)))),
                ("in place / views / in state", "\(stats.inPlaceValues) / \(stats.viewValues) / \(stats.stateBufferValues)"),
            ]
            let width = rows.map(\.0.count).max() ?? 0
            for (k, v) in rows { print(k.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + v) }
        }
    }
}
