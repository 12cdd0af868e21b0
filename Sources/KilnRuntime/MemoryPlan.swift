// Where every value of a graph lives while it runs: an offset in one arena (inputs, intermediates, scratch), or a
// persistent buffer (states, constants). The naive plan gives every value its own slot; the planner pass
// (Passes/MemoryPlanning.swift) reuses slots between values whose lifetimes do not overlap.

import KilnIR

public struct MemoryPlan: Sendable {
    /// Arena byte offset of each value; nil for states and constants, which live in persistent buffers.
    public var offsets: [Int?]
    /// Arena byte offset of each node's kernel scratch (nil when it needs none).
    public var scratchOffsets: [Int?]
    /// Total arena size in bytes.
    public var arenaBytes: Int

    public init(offsets: [Int?], scratchOffsets: [Int?], arenaBytes: Int) {
        self.offsets = offsets
        self.scratchOffsets = scratchOffsets
        self.arenaBytes = arenaBytes
    }

    /// Buffers are aligned to cache lines (and to SIMD16<Float> loads).
    public static let alignment = 64

    public static func align(_ n: Int) -> Int { (n + alignment - 1) / alignment * alignment }

    /// Whether a value gets an arena slot (inputs and computed values do; states and constants do not).
    public static func needsArenaSlot(_ node: Node) -> Bool {
        node.op != LeafOp.state.rawValue && node.op != LeafOp.constant.rawValue
    }

    /// Every value and every scratch area in its own slot, in node order.
    public static func naive(_ graph: Graph, scratchBytes: [Int]) -> MemoryPlan {
        var offsets = [Int?](repeating: nil, count: graph.nodes.count)
        var scratch = [Int?](repeating: nil, count: graph.nodes.count)
        var next = 0
        for (i, node) in graph.nodes.enumerated() {
            if needsArenaSlot(node) {
                offsets[i] = next
                next += align(max(node.type.byteCount, 1))
            }
            if scratchBytes[i] > 0 {
                scratch[i] = next
                next += align(scratchBytes[i])
            }
        }
        return MemoryPlan(offsets: offsets, scratchOffsets: scratch, arenaBytes: next)
    }
}
