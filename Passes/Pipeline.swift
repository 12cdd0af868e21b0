// The pass pipeline (after XLA's HloPassPipeline): runs passes in order, verifies the graph after every pass,
// skips passes named in KILN_DISABLE, and dumps the graph before/after passes whose name matches the KILN_DUMP
// regular expression (to stderr, or to files under KILN_DUMP_DIR).

import Foundation
import KilnIR
import KilnOps

public struct Pipeline {
    public var passes: [any Pass]
    /// Names of passes to skip (from KILN_DISABLE, comma separated, plus any set here).
    public var disabled: Set<String>
    /// Passes whose name matches are dumped before and after they run.
    public var dumpPattern: String?
    public var dumpDirectory: URL?
    /// Called after each pass with its name and the resulting graph (the CLI uses it for `graph dump --passes`).
    public var observer: ((String, Graph) -> Void)?

    public init(_ passes: [any Pass], environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.passes = passes
        disabled = Set((environment["KILN_DISABLE"] ?? "").split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) })
        dumpPattern = environment["KILN_DUMP"]
        dumpDirectory = environment["KILN_DUMP_DIR"].map { URL(fileURLWithPath: $0) }
    }

    /// A verifier failure after a pass, naming the pass.
    public struct PassError: Error, CustomStringConvertible {
        public var pass: String
        public var underlying: Error
        public var description: String { "after pass '\(pass)': \(underlying)" }
    }

    public func run(_ graph: Graph) throws -> Graph {
        try OpRegistry.verify(graph)
        var g = graph
        for (index, pass) in passes.enumerated() where !disabled.contains(pass.name) {
            let dump = dumpPattern.map { (try? Regex($0)).map { pass.name.contains($0) } ?? false } ?? false
            if dump { emit(g, title: "before \(pass.name)", file: String(format: "%02d-%@-before.kir", index, pass.name)) }
            do {
                g = try pass.run(g)
                try OpRegistry.verify(g)
            } catch {
                throw PassError(pass: pass.name, underlying: error)
            }
            if dump { emit(g, title: "after \(pass.name)", file: String(format: "%02d-%@-after.kir", index, pass.name)) }
            observer?(pass.name, g)
        }
        return g
    }

    private func emit(_ graph: Graph, title: String, file: String) {
        let text = "// \(title)\n" + graph.text()
        if let dir = dumpDirectory {
            try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            try? text.write(to: dir.appendingPathComponent(file), atomically: true, encoding: .utf8)
        } else {
            FileHandle.standardError.write(Data(text.utf8))
        }
    }
}
