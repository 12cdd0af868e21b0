// Common-subexpression elimination.
//
// Contract: two nodes that are equal by (op, operands, type, attributes) — exactly `Node`'s Hashable identity, which
// ignores source locations and annotations — compute the same value, so every later one is replaced by the first
// (the first keeps its location). Stages: (1) walk the nodes in order with operands mapped to the survivors, so
// merging cascades in one pass (two equal constants make their two equal users equal); (2) look the mapped node up
// in a table of survivors; (3) the rewriter sweeps nothing else (see GraphRewriter.swift).
//
//   - `input` and `state` are never merged: they are fed from outside (and their names differ anyway).
//   - Equal constants merge (same type and the same `value` / `values` attribute).
//   - Random ops merge only when attributes *and* operands are identical: a random op is a pure function of
//     (seed, counter, element index) — counter-based — so two identical ones produce identical numbers. Ops with a
//     different seed or counter operand stay distinct.
// Never changes what the graph computes. With KILN_VERBOSE=1 each merge is logged as "cse: %N merged into %M" (ids
// of the graph the pass received).

import KilnIR

public struct CommonSubexpressionElimination: Pass {
    public var name: String { "cse" }
    public init() {}

    public func run(_ graph: Graph) throws -> Graph {
        let verbose = PassLog.verbose
        var survivors: [Node: (id: ValueID, sourceID: ValueID)] = [:]
        return try GraphRewriter.rewrite(graph, pass: name) { rw, node in
            if node.op == LeafOp.input.rawValue || node.op == LeafOp.state.rawValue { return rw.keep(node) }
            if let first = survivors[node] {
                if verbose { PassLog.write("cse: \(rw.sourceID) merged into \(first.sourceID)") }
                return first.id
            }
            let id = rw.keep(node)
            survivors[node] = (id, rw.sourceID)
            return id
        }
    }
}
