// The scheduling pass: a valid topological order, never a higher peak than the input order, lower peaks where the
// traced order is wasteful, and an order that lets state updates happen in the state's own buffer.

import KilnIR
import KilnOps
import KilnPasses
import KilnRuntime
import Testing

@Suite("Scheduling")
struct SchedulingTests {
    /// k wide branches computed first and reduced later (the order a tracer produces for `[f(x) for …]` followed
    /// by a sum): scheduling must interleave each branch with its reduction.
    static func branches(throughLeavesOnly: Bool) throws -> Graph {
        var b = GraphBuilder(name: "branches")
        let x = b.input("x", TensorType(.f32, [1024]))
        let base = throughLeavesOnly ? x : try b.tanh(x)
        var wide: [ValueID] = []
        for i in 0..<8 { wide.append(try b.mul(base, b.scalar(Double(i + 1)))) }
        var total = try b.reduceSum(wide[0])
        for y in wide.dropFirst() { total = try b.add(total, try b.reduceSum(y)) }
        b.output("total", total)
        return b.graph
    }

    @Test("interleaves wide branches with their reductions", arguments: [false, true])
    func interleaves(throughLeavesOnly: Bool) throws {
        let graph = try SchedulingTests.branches(throughLeavesOnly: throughLeavesOnly)
        let scheduled = try Pipeline([Scheduling()]).run(graph)
        let planner = MemoryPlanner()
        let before = planner.peakLiveBytes(graph), after = planner.peakLiveBytes(scheduled)
        // Before: the input plus eight 4 KiB branches (plus tanh); after: the input, one or two branches, scalars.
        #expect(before >= 9 * 4096)
        #expect(after <= 3 * 4096 + 1024, "peak \(after) bytes (was \(before))")
        let feed = ["x": HostTensor(TensorType(.f32, [1024]), (0..<1024).map { Double($0 % 17) / 17 })]
        let want = try Interpreter(graph: graph).run(feed)["total"]!.data[0]
        let got = try Executable(graph: scheduled).run(feed)["total"]!.data[0]
        #expect(Swift.abs(got - want) <= 1e-4 * Swift.abs(want))
    }

    @Test("keeps a graph whose order is already best, and is deterministic")
    func keepsGoodOrders() throws {
        var b = GraphBuilder(name: "chain")
        let x = b.input("x", TensorType(.f32, [64]))
        b.output("y", try b.relu(try b.neg(try b.exp(x))))
        #expect(try Scheduling().run(b.graph).text() == b.graph.text())
        let graph = try SchedulingTests.branches(throughLeavesOnly: false)
        #expect(try Scheduling().run(graph).text() == (try Scheduling().run(graph)).text())
    }

    @Test("every random graph gets a topological order of the same nodes")
    func randomOrdersAreValid() throws {
        for seed in 0..<200 {
            let graph = try RandomGraphs.make(seed: UInt64(seed))
            let order = Scheduling.greedyOrder(graph)
            #expect(order.map(\.index).sorted() == Array(graph.nodes.indices))
            let scheduled = try #require(graph.reordered(order))
            try OpRegistry.verify(scheduled)
            #expect(scheduled.outputs.map(\.name) == graph.outputs.map(\.name))
            #expect(Set(scheduled.nodes.map(\.op)) == Set(graph.nodes.map(\.op)))
        }
    }

    /// w' = w - tanh(x) is assigned to w, and p = sum(w * tanh(x)) reads the old w. Traced with the update first,
    /// w' needs an arena slot; scheduled with the read first, w' is computed in w's buffer.
    @Test("moves readers of a state before its update so the update can reuse the state's buffer")
    func stateReadersFirst() throws {
        var b = GraphBuilder(name: "update")
        let w = b.state("w", TensorType(.f32, [4096]))
        let x = b.input("x", TensorType(.f32, [4096]))
        let g = try b.tanh(x)
        let updated = try b.sub(w, g)
        b.assign(w, updated)
        b.output("p", try b.reduceSum(try b.mul(w, g)))
        let planner = MemoryPlanner()
        #expect(planner.plan(b.graph).plan.stateBuffers[updated.index] == nil)
        let scheduled = try Scheduling().run(b.graph)
        let value = scheduled.assignments[0].value
        #expect(planner.plan(scheduled).plan.stateBuffers[value.index] == scheduled.assignments[0].state)
        #expect(planner.peakLiveBytes(scheduled) < planner.peakLiveBytes(b.graph))
    }
}
