// Where every value of a graph lives while it runs: an offset in one arena (inputs, intermediates, scratch), a
// persistent buffer (states, constants), or — for a value assigned to a state — that state's persistent buffer.
// The naive plan gives every value its own slot; the planner (MemoryPlanning.swift) shares slots between values
// whose lifetimes do not overlap. The plan lives here, below the runtime, because the planner produces it and the
// executable (KilnRuntime) consumes it.

import KilnIR
import KilnOps

public struct MemoryPlan: Sendable, Equatable {
    /// Arena byte offset of each value; nil for values in persistent buffers (states, constants, and values
    /// computed in place in a state's buffer).
    public var offsets: [Int?]
    /// Arena byte offset of each node's kernel scratch (nil when it needs none).
    public var scratchOffsets: [Int?]
    /// Total arena size in bytes.
    public var arenaBytes: Int
    /// For a value computed directly in the persistent buffer of the state it is assigned to: that state. The
    /// executable then skips the end-of-run copy of the assignment.
    public var stateBuffers: [ValueID?]

    public init(offsets: [Int?], scratchOffsets: [Int?], arenaBytes: Int, stateBuffers: [ValueID?]? = nil) {
        self.offsets = offsets
        self.scratchOffsets = scratchOffsets
        self.arenaBytes = arenaBytes
        self.stateBuffers = stateBuffers ?? [ValueID?](repeating: nil, count: offsets.count)
    }

    /// Buffers are aligned to cache lines (and to SIMD16<Float> loads).
    public static let alignment = 64

    public static func align(_ n: Int) -> Int { (n + alignment - 1) / alignment * alignment }

    /// The arena bytes a value of `type` occupies: its size rounded up to the alignment (at least one line, so
    /// empty tensors still get a distinct address).
    public static func slotBytes(_ type: TensorType) -> Int { align(max(type.byteCount, 1)) }

    /// Whether a value gets an arena slot (inputs and computed values do; states and constants do not).
    public static func needsArenaSlot(_ node: Node) -> Bool {
        node.op != LeafOp.state.rawValue && node.op != LeafOp.constant.rawValue
    }

    /// Bytes of kernel scratch each node needs while it runs (`Op.scratchBytes`; 0 for leaves and unknown ops).
    public static func scratchBytes(_ graph: Graph) -> [Int] {
        graph.nodes.map { node in
            guard !node.isLeaf, let op = OpRegistry.op(named: node.op) else { return 0 }
            return op.scratchBytes(node, node.inputs.map { graph.type(of: $0) })
        }
    }

    /// Every value and every scratch area in its own slot, in node order.
    public static func naive(_ graph: Graph, scratchBytes: [Int]) -> MemoryPlan {
        var offsets = [Int?](repeating: nil, count: graph.nodes.count)
        var scratch = [Int?](repeating: nil, count: graph.nodes.count)
        var next = 0
        for (i, node) in graph.nodes.enumerated() {
            if needsArenaSlot(node) {
                offsets[i] = next
                next += slotBytes(node.type)
            }
            if scratchBytes[i] > 0 {
                scratch[i] = next
                next += align(scratchBytes[i])
            }
        }
        return MemoryPlan(offsets: offsets, scratchOffsets: scratch, arenaBytes: next)
    }

    /// The naive plan of `graph`.
    public static func naive(_ graph: Graph) -> MemoryPlan { naive(graph, scratchBytes: scratchBytes(graph)) }
}
