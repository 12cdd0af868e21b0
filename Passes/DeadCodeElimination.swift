// Dead-code elimination.
//
// Contract: removes every node whose value cannot reach an output or an assignment (the roots). Inputs and states
// are removed too when unused — except states that are assigned, which stay. The order of the surviving nodes is
// unchanged; ids are renumbered densely. Never changes what the graph computes.

import KilnIR

public struct DeadCodeElimination: Pass {
    public var name: String { "dce" }
    public init() {}

    public func run(_ graph: Graph) throws -> Graph {
        var live = [Bool](repeating: false, count: graph.nodes.count)
        for root in graph.rootValues { live[root.index] = true }
        for i in graph.nodes.indices.reversed() where live[i] {
            for input in graph.nodes[i].inputs { live[input.index] = true }
        }
        return graph.compacted(keeping: live).0
    }
}
