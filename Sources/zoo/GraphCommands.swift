// `zoo graph dump|check|stats`: the IR of a workload at any stage of the pipeline, a parser/verifier round trip,
// and size statistics (StatsCommand.swift).

import ArgumentParser
import Foundation
import KilnIR
import KilnOps
import KilnPasses
import KilnZoo

struct GraphCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "graph", abstract: "Print, export and check graphs.",
        subcommands: [Dump.self, Check.self, Stats.self])

    struct Dump: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a workload's graph as text or Graphviz DOT.",
            discussion: "Workloads: \(Workload.allCases.map(\.rawValue).joined(separator: ", ")).")

        @Argument(help: "The workload to trace.") var workload: String
        @Option(help: "text or dot.") var format: String = "text"
        @Option(help: "Batch size (default depends on the workload).") var batch: Int?
        @Option(help: "Square image size (default depends on the workload).") var size: Int?
        @Option(help: "Passes to run first: none, all, or a comma-separated list in pipeline order.") var passes = "none"

        func run() throws {
            guard format == "text" || format == "dot" else { throw UsageError("unknown format '\(format)' (text or dot)") }
            if let batch, batch <= 0 { throw UsageError("--batch must be positive") }
            if let size, size <= 0 { throw UsageError("--size must be positive") }
            let w = try Workload.named(workload)
            let graph = try Pipeline(try StandardPipeline.select(passes)).run(try w.graph(batch: batch, size: size))
            print(format == "dot" ? graph.dot() : graph.text(), terminator: "")
        }
    }

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Parse and verify a graph file, then print its canonical text.")

        @Argument(help: "A file in Kiln's IR text format (docs/ir-format.md).") var file: String

        func run() throws {
            let text: String
            do { text = try String(contentsOfFile: file, encoding: .utf8) } catch {
                throw UsageError("\(file): cannot be read")
            }
            let graph: Graph
            do { graph = try Graph.parse(text) } catch { throw UsageError("\(file): \(error)") }
            do { try OpRegistry.verify(graph) } catch { throw UsageError("\(file): \(error)") }
            print(graph.text(), terminator: "")
        }
    }
}
