// An independent checker of memory plans: recomputes lifetimes from the graph (not from Liveness) and lists every
// way a plan could corrupt a run.
//
// A plan is sound when, for every write — a kernel writing its result (a reshape view writes nothing), a caller
// writing an input before the run, a kernel using its scratch — no other value that is live at that time and
// overlaps the written bytes is destroyed. The one exception is an in-place write: the overwritten value is an
// operand of the writing node, dies at that node, occupies exactly the same bytes, and the node is elementwise.
// Values computed in a state's buffer must come after every other reader of that state.

import KilnIR
import KilnOps
import KilnPasses

enum PlanChecker {
    static func violations(_ graph: Graph, _ report: MemoryPlanReport) -> [String] {
        let plan = report.plan
        let n = graph.nodes.count
        var problems: [String] = []
        var lastRead = [Int?](repeating: nil, count: n)
        for (i, node) in graph.nodes.enumerated() { for x in node.inputs { lastRead[x.index] = i } }
        var isResult = [Bool](repeating: false, count: n)
        for v in graph.rootValues { isResult[v.index] = true }
        // Independent lifetimes, closed intervals of node positions (n = after the run).
        func live(_ i: Int) -> ClosedRange<Int> {
            if graph.nodes[i].op == LeafOp.input.rawValue { return 0...n }
            return i...(isResult[i] ? n : (lastRead[i] ?? i))
        }
        let scratch = MemoryPlan.scratchBytes(graph)
        let arenaValues = graph.nodes.indices.filter { plan.offsets[$0] != nil }
        func bytes(_ i: Int) -> Range<Int> { plan.offsets[i]! ..< plan.offsets[i]! + graph.nodes[i].type.byteCount }

        for i in graph.nodes.indices {
            let node = graph.nodes[i]
            if MemoryPlan.needsArenaSlot(node) && plan.offsets[i] == nil && plan.stateBuffers[i] == nil {
                problems.append("%\(i) (\(node.op)) has no buffer")
            }
            if let o = plan.offsets[i], o % MemoryPlan.alignment != 0 || o + node.type.byteCount > plan.arenaBytes {
                problems.append("%\(i) at \(o) is misaligned or outside the \(plan.arenaBytes)-byte arena")
            }
            if scratch[i] > 0 {
                guard let o = plan.scratchOffsets[i], o % MemoryPlan.alignment == 0, o + scratch[i] <= plan.arenaBytes else {
                    problems.append("%\(i) has no valid scratch slot")
                    continue
                }
            }
        }
        guard problems.isEmpty else { return problems }

        // Writes: (time, bytes, the writing value or nil for scratch, the node).
        var writes: [(time: Int, bytes: Range<Int>, value: Int?, node: Int)] = []
        for i in arenaValues {
            let node = graph.nodes[i]
            if node.op == LeafOp.input.rawValue { writes.append((0, bytes(i), i, i)); continue }
            if node.op == Reshape.name, let x = plan.offsets[node.inputs[0].index], x == plan.offsets[i]! { continue }
            writes.append((i, bytes(i), i, i))
        }
        for i in graph.nodes.indices where scratch[i] > 0 {
            let o = plan.scratchOffsets[i]!
            writes.append((i, o ..< o + scratch[i], nil, i))
        }
        for w in writes where !w.bytes.isEmpty {
            for a in arenaValues where a != w.value && live(a).contains(w.time) && bytes(a).overlaps(w.bytes) {
                let node = graph.nodes[w.node]
                let inPlace = w.value != nil && live(a).upperBound == w.time && node.inputs.contains(ValueID(a))
                    && BufferSharing.isInPlaceCapable(node) && bytes(a) == w.bytes
                if !inPlace {
                    problems.append("\(w.value == nil ? "scratch of" : "write of") %\(w.node) (\(node.op)) at t=\(w.time) "
                                    + "overwrites live %\(a) (\(graph.nodes[a].op), live \(live(a)))")
                }
            }
        }
        // Reshape views must alias exactly their operand.
        for i in arenaValues where graph.nodes[i].op == Reshape.name {
            let x = graph.nodes[i].inputs[0].index
            if plan.offsets[x] == plan.offsets[i] && graph.nodes[x].type.byteCount != graph.nodes[i].type.byteCount {
                problems.append("view %\(i) and its operand differ in size")
            }
        }
        // State buffers.
        for (v, s) in plan.stateBuffers.enumerated() {
            guard let s else { continue }
            if graph.assignments.filter({ $0.state == s }).map(\.value) != [ValueID(v)] {
                problems.append("%\(v) is computed in %\(s.index), which is not assigned exactly %\(v)")
            }
            if graph.outputs.contains(where: { $0.value == s }) || graph.assignments.contains(where: { $0.value == s }) {
                problems.append("%\(s.index) is read after the run but %\(v) overwrites it")
            }
            for (r, node) in graph.nodes.enumerated() where node.inputs.contains(s) {
                if r > v || (r == v && !BufferSharing.isInPlaceCapable(node)) {
                    problems.append("%\(r) reads state %\(s.index) after %\(v) overwrote it")
                }
            }
        }
        return problems
    }
}
