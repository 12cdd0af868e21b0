// Memory planning: every arena value and every kernel scratch area of a scheduled graph gets an offset in one arena.
//
// Contract: for a graph whose node order is its schedule, produces a MemoryPlan in which no two buffers that are
// live at the same time overlap, except where a value is written in place over an operand that dies at that node
// (BufferSharing.swift). Inputs and results are never overwritten before the run ends. States and constants stay in
// persistent buffers; a value assigned to a state may be computed in that state's buffer.
//
// Stages (mechanism vs policy, after XLA's HeapSimulator + HeapAlgorithm):
//   1. liveness: a closed interval of schedule times per value and per scratch area (Liveness.swift);
//   2. sharing: in-place writes, reshape views and state buffers group values into heap buffers (BufferSharing.swift);
//   3. simulation: the buffers' alloc/free events in time order (HeapSimulator);
//   4. placement: each HeapStrategy picks offsets; the smallest arena wins (ties: the first strategy).
// The report also gives the naive arena (every value and scratch area in its own slot) and a lower bound: the most
// bytes live at one time under the same sharing, which no placement can beat.
//
// `MemoryPlanning` is also a pass ("memory") that plans and annotates every node with `#buf(offset,size)` (arena),
// `#buf(state:%s)` (computed in state %s's buffer) and `#scratch(offset,size)`, for `zoo graph dump --passes`.

import KilnIR
import KilnOps

/// The outcome of planning one graph.
public struct MemoryPlanReport: Sendable {
    public var plan: MemoryPlan
    public var liveness: Liveness
    public var sharing: BufferSharing
    /// Offsets of `sharing.buffers`.
    public var bufferOffsets: [Int]
    /// The strategy whose placement was kept.
    public var strategy: String
    /// Arena bytes of each strategy tried, by name, in order.
    public var candidates: [(String, Int)]
    /// Every value and every scratch area in its own slot.
    public var naiveBytes: Int
    /// The planned arena.
    public var plannedBytes: Int { plan.arenaBytes }
    /// The most bytes live at one time (after sharing); no placement needs less.
    public var lowerBoundBytes: Int
}

/// Plans the arena of a scheduled graph.
public struct MemoryPlanner: Sendable {
    public var strategies: [any HeapStrategy]
    public var options: BufferSharing.Options

    public init(strategies: [any HeapStrategy] = [GreedyBySize(), BestFit(), PerturbedGreedyBySize()],
                options: BufferSharing.Options = BufferSharing.Options()) {
        precondition(!strategies.isEmpty, "a memory planner needs at least one heap strategy")
        self.strategies = strategies
        self.options = options
    }

    public func plan(_ graph: Graph) -> MemoryPlanReport {
        let scratch = MemoryPlan.scratchBytes(graph)
        let liveness = Liveness(graph, scratchBytes: scratch)
        let sharing = BufferSharing(graph, liveness: liveness, options: options)
        let events = HeapSimulator.events(sharing.buffers)
        var best: (name: String, offsets: [Int], bytes: Int)?
        var candidates: [(String, Int)] = []
        for strategy in strategies {
            let offsets = strategy.place(sharing.buffers, events: events)
            let bytes = HeapSimulator.arenaBytes(sharing.buffers, offsets: offsets)
            candidates.append((strategy.name, bytes))
            if best == nil || bytes < best!.bytes { best = (strategy.name, offsets, bytes) }
        }
        let chosen = best!
        var offsets = [Int?](repeating: nil, count: graph.nodes.count)
        var stateBuffers = [ValueID?](repeating: nil, count: graph.nodes.count)
        for (i, storage) in sharing.storage.enumerated() {
            switch storage {
            case .arena(let b): offsets[i] = chosen.offsets[b]
            case .state(let s): stateBuffers[i] = s
            case .persistent: break
            }
        }
        let scratchOffsets = sharing.scratchBuffer.map { $0.map { chosen.offsets[$0] } }
        let plan = MemoryPlan(offsets: offsets, scratchOffsets: scratchOffsets, arenaBytes: chosen.bytes,
                              stateBuffers: stateBuffers)
        return MemoryPlanReport(plan: plan, liveness: liveness, sharing: sharing, bufferOffsets: chosen.offsets,
                                strategy: chosen.name, candidates: candidates,
                                naiveBytes: MemoryPlan.naive(graph, scratchBytes: scratch).arenaBytes,
                                lowerBoundBytes: HeapSimulator.peakLiveBytes(sharing.buffers, events: events))
    }

    /// The most bytes live at one time in `graph`'s current order (what the scheduler minimises).
    public func peakLiveBytes(_ graph: Graph) -> Int {
        let liveness = Liveness(graph)
        let sharing = BufferSharing(graph, liveness: liveness, options: options)
        return HeapSimulator.peakLiveBytes(sharing.buffers, events: HeapSimulator.events(sharing.buffers))
    }
}

/// The planning pass: returns the graph unchanged except for `#buf` / `#scratch` annotations.
public struct MemoryPlanning: Pass {
    public var name: String { "memory" }
    public var planner: MemoryPlanner

    public init(planner: MemoryPlanner = MemoryPlanner()) { self.planner = planner }

    public func run(_ graph: Graph) throws -> Graph {
        MemoryPlanning.annotated(graph, planner.plan(graph).plan)
    }

    /// `graph` with every node's buffer annotations replaced by those of `plan`.
    public static func annotated(_ graph: Graph, _ plan: MemoryPlan) -> Graph {
        var out = graph
        let scratch = MemoryPlan.scratchBytes(graph)
        for i in out.nodes.indices {
            var notes = out.nodes[i].annotations.filter { !$0.hasPrefix("buf(") && !$0.hasPrefix("scratch(") }
            if let offset = plan.offsets[i] {
                notes.append("buf(\(offset),\(out.nodes[i].type.byteCount))")
            } else if let s = plan.stateBuffers[i] {
                notes.append("buf(state:%\(s.index))")
            }
            if let offset = plan.scratchOffsets[i] {
                notes.append("scratch(\(offset),\(scratch[i]))")
            }
            out.nodes[i].annotations = notes
        }
        return out
    }
}
