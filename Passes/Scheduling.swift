// Scheduling: reorders nodes into an execution order that keeps peak live memory low.
//
// Contract: returns the graph with its nodes permuted into another topological order (Graph.reordered) — the
// values, outputs and assignments are unchanged, and any topological order is valid because assignments apply
// after the run. The result's peak live bytes (MemoryPlanner.peakLiveBytes: the planner's lower bound, with in-place
// sharing) is never above the input order's: when the new order is not strictly better, the input is returned.
//
// Algorithm: greedy list scheduling.
//   1. Leaves (inputs, states, constants) come first, in their original order; they cost no arena bytes over time
//      (inputs are live for the whole run anyway).
//   2. Nodes that read only leaves (a weight-decay product, a broadcast learning rate) are not scheduled on their
//      own: the first node that needs one pulls it in just before itself. Scheduled on their own they look cheap
//      and run far too early, holding their results for the whole forward pass.
//   3. Among the ready nodes, pick the one that frees the most bytes net of what it allocates: an operand frees its
//      bytes when this is its last unscheduled reader (inputs and graph results never free); the result allocates
//      its size, except a reshape of an arena value (a view) and a value that will be computed in its state's buffer
//      (every other reader of that state has run). A node whose value could go to its state's buffer but whose state
//      still has readers waits while anything else is ready. Ties go to the earlier node in the original order, so
//      the result is deterministic and stays close to the traced order.

import KilnIR
import KilnOps

public struct Scheduling: Pass {
    public var name: String { "schedule" }
    /// Measures peaks (with the same sharing options the planner will use).
    public var planner: MemoryPlanner

    public init(planner: MemoryPlanner = MemoryPlanner()) { self.planner = planner }

    public func run(_ graph: Graph) throws -> Graph {
        guard let candidate = graph.reordered(Scheduling.greedyOrder(graph)) else { return graph }
        return planner.peakLiveBytes(candidate) < planner.peakLiveBytes(graph) ? candidate : graph
    }

    /// The greedy list schedule of `graph` (a topological order of all its ids).
    public static func greedyOrder(_ graph: Graph) -> [ValueID] {
        var scheduler = ListScheduler(graph)
        return scheduler.run()
    }
}

/// The state of one greedy list-scheduling run.
struct ListScheduler {
    let graph: Graph
    let readers: [[Int]]
    let size: [Int]
    /// Values whose bytes never return to the pool during the run (inputs, results, persistent values).
    let neverFrees: [Bool]
    /// Non-leaf nodes that read only leaves: pulled in by their first reader.
    let onDemand: [Bool]
    /// For a value that may be computed in its state's buffer: the state.
    let assignedState: [Int?]

    var scheduled: [Bool]
    var order: [ValueID] = []
    /// Unscheduled readers of each value.
    var pending: [Int]
    /// Unscheduled operands (excluding leaves and on-demand nodes) of each node.
    var missing: [Int]
    var ready: Set<Int> = []

    init(_ graph: Graph) {
        self.graph = graph
        let n = graph.nodes.count
        readers = graph.users().map { $0.map(\.index) }
        size = graph.nodes.map { MemoryPlan.needsArenaSlot($0) ? MemoryPlan.slotBytes($0.type) : 0 }
        var neverFrees = graph.nodes.map { !MemoryPlan.needsArenaSlot($0) || $0.op == LeafOp.input.rawValue }
        for v in graph.rootValues { neverFrees[v.index] = true }
        self.neverFrees = neverFrees
        onDemand = graph.nodes.indices.map { [readers] i in
            let node = graph.nodes[i]
            return !node.isLeaf && !readers[i].isEmpty && node.inputs.allSatisfy { graph[$0].isLeaf }
        }
        var assignedState = [Int?](repeating: nil, count: n)
        var readAtEnd = Set(graph.outputs.map(\.value.index))
        for a in graph.assignments { readAtEnd.insert(a.value.index) }
        for a in graph.assignments where !graph[a.value].isLeaf && !readAtEnd.contains(a.state.index) {
            assignedState[a.value.index] = a.state.index
        }
        self.assignedState = assignedState
        scheduled = [Bool](repeating: false, count: n)
        pending = readers.map(\.count)
        missing = [Int](repeating: 0, count: n)
        for (i, node) in graph.nodes.enumerated() {
            missing[i] = Set(node.inputs.map(\.index)).filter { !graph.nodes[$0].isLeaf && !onDemand[$0] }.count
        }
    }

    mutating func run() -> [ValueID] {
        for (i, node) in graph.nodes.enumerated() where node.isLeaf { place(i) }
        for i in graph.nodes.indices where !graph.nodes[i].isLeaf && !onDemand[i] && missing[i] == 0 {
            ready.insert(i)
        }
        while let next = pick() {
            ready.remove(next)
            for x in Set(graph.nodes[next].inputs.map(\.index)).sorted() where onDemand[x] && !scheduled[x] { place(x) }
            place(next)
        }
        // On-demand nodes nobody pulled cannot exist (they have readers, and every reader gets scheduled), but keep
        // the order complete regardless.
        for i in graph.nodes.indices where !scheduled[i] { place(i) }
        return order
    }

    /// Appends node `i` to the order and updates readiness.
    mutating func place(_ i: Int) {
        scheduled[i] = true
        order.append(ValueID(i))
        for x in Set(graph.nodes[i].inputs.map(\.index)) { pending[x] -= 1 }
        guard !graph.nodes[i].isLeaf && !onDemand[i] else { return }
        for r in readers[i] {
            missing[r] -= 1
            if missing[r] == 0 && !onDemand[r] { ready.insert(r) }
        }
    }

    /// The ready node with the best net effect on live bytes; waiting nodes only when nothing else is ready.
    func pick() -> Int? {
        var best: (score: Int, index: Int)?
        var bestWaiting: (score: Int, index: Int)?
        for u in ready {
            let (score, waits) = evaluate(u)
            if waits {
                if bestWaiting == nil || (score, -u) > (bestWaiting!.score, -bestWaiting!.index) { bestWaiting = (score, u) }
            } else if best == nil || (score, -u) > (best!.score, -best!.index) {
                best = (score, u)
            }
        }
        return (best ?? bestWaiting)?.index
    }

    /// Bytes freed minus bytes allocated by scheduling `u` now (with the on-demand operands it pulls in), and
    /// whether it should wait for the other readers of the state it is assigned to.
    func evaluate(_ u: Int) -> (score: Int, waits: Bool) {
        let node = graph.nodes[u]
        var freed = 0, allocated = 0
        for x in Set(node.inputs.map(\.index)) {
            if onDemand[x] && !scheduled[x] {
                allocated += size[x]
                if readers[x].count == 1 && !neverFrees[x] { freed += size[x] }
            } else if pending[x] == 1 && !neverFrees[x] {
                freed += size[x]
            }
        }
        var waits = false
        if let s = assignedState[u] {
            let othersDone = readers[s].allSatisfy { $0 == u || scheduled[$0] }
            if othersDone { return (freed, false) }
            waits = true
        }
        let isView = node.op == Reshape.name && size[node.inputs[0].index] > 0
        if !isView { allocated += size[u] }
        return (freed - allocated, waits)
    }
}
