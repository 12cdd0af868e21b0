// The pass protocol: a pass maps a graph to a graph. Passes are pure (graphs are values), named, and the
// pipeline verifies the result of every pass (docs/adding-a-pass.md).

import KilnIR
import KilnOps

public protocol Pass {
    /// Short name used by KILN_DUMP / KILN_DISABLE and `zoo graph dump --passes`.
    var name: String { get }
    func run(_ graph: Graph) throws -> Graph
}

/// Runs a pass repeatedly until the graph stops changing (XLA's HloPassFix).
public struct Fixpoint: Pass {
    public var passes: [any Pass]
    public var maxIterations: Int
    public var name: String { "fixpoint(" + passes.map(\.name).joined(separator: ",") + ")" }

    public init(_ passes: [any Pass], maxIterations: Int = 16) {
        self.passes = passes
        self.maxIterations = maxIterations
    }

    public func run(_ graph: Graph) throws -> Graph {
        var g = graph
        for _ in 0..<maxIterations {
            var next = g
            for pass in passes { next = try pass.run(next) }
            if next == g { return next }
            g = next
        }
        return g
    }
}
