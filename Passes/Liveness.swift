// Liveness of arena values over a schedule (the graph's node order).
//
// Contract: time is a node's position t in 0..<n, and n stands for "the end of the run". Node t reads its operands
// and writes its result at time t, so a value is live over the closed interval [first definition, last use]:
//   - a computed value: [t, last node that reads it], or [t, t] when nothing reads it (its kernel still writes);
//   - a value read by an output or an assignment: to n (the caller reads it, or the state copy happens, after the run);
//   - an input: [0, n]. Inputs are live for the whole run and never reused, so an executable can be run again without
//     rewriting them;
//   - a state or constant: not in the arena (nil): they live in persistent buffers;
//   - the scratch of node t (`Op.scratchBytes`): [t, t].
// Two values may share bytes only if their intervals are disjoint — or when the planner groups them into one buffer:
// an in-place write over an operand that dies exactly there, or a reshape view (BufferSharing.swift).

import KilnIR

public struct Liveness: Sendable {
    /// A closed interval of schedule times.
    public struct Interval: Hashable, Sendable, CustomStringConvertible {
        public var start: Int
        public var end: Int

        public init(_ start: Int, _ end: Int) {
            self.start = start
            self.end = end
        }

        public func intersects(_ other: Interval) -> Bool { start <= other.end && other.start <= end }
        public func contains(_ t: Int) -> Bool { start <= t && t <= end }
        public var description: String { "[\(start), \(end)]" }
    }

    /// The live interval of each value; nil for values outside the arena (states, constants).
    public let values: [Interval?]
    /// Scratch bytes of each node, live only while the node runs.
    public let scratchBytes: [Int]
    /// For each value, the nodes that read it (ascending, duplicates removed).
    public let readers: [[Int]]
    /// Values read after the run by outputs or assignments.
    public let isResult: [Bool]
    /// The time that stands for the end of the run (the node count).
    public let end: Int

    public init(_ graph: Graph, scratchBytes: [Int]? = nil) {
        let n = graph.nodes.count
        end = n
        self.scratchBytes = scratchBytes ?? MemoryPlan.scratchBytes(graph)
        readers = graph.users().map { $0.map(\.index) }
        var isResult = [Bool](repeating: false, count: n)
        for v in graph.rootValues { isResult[v.index] = true }
        self.isResult = isResult
        values = graph.nodes.indices.map { [readers] i -> Interval? in
            let node = graph.nodes[i]
            guard MemoryPlan.needsArenaSlot(node) else { return nil }
            if node.op == LeafOp.input.rawValue { return Interval(0, n) }
            let lastRead = readers[i].last ?? i
            return Interval(i, isResult[i] ? n : lastRead)
        }
    }

    /// The live interval of a node's scratch (nil when it needs none).
    public func scratch(_ node: Int) -> Interval? { scratchBytes[node] > 0 ? Interval(node, node) : nil }
}
