// Memory planning: the no-overlap invariant on 1,000 random graphs, executor-vs-interpreter runs with buffer reuse,
// and small hand-written graphs that pin in-place writes, views, state buffers and annotations.

import KilnIR
import KilnKernels
import KilnOps
import KilnPasses
import KilnRuntime
import Testing

@Suite("Memory planning")
struct MemoryPlanningTests {
    @Test("1,000 random graphs: scheduled and planned without overlapping live buffers")
    func randomGraphsNeverOverlap() throws {
        var inPlace = 0, views = 0, stateBuffers = 0, scratch = 0
        for seed in 0..<1000 {
            let graph = try RandomGraphs.make(seed: UInt64(seed))
            let scheduled = try Scheduling().run(graph)
            let planner = MemoryPlanner()
            #expect(planner.peakLiveBytes(scheduled) <= planner.peakLiveBytes(graph), "seed \(seed): schedule raised the peak")
            for strategy in [GreedyBySize(), BestFit(), PerturbedGreedyBySize(trials: 2)] as [any HeapStrategy] {
                let report = MemoryPlanner(strategies: [strategy]).plan(scheduled)
                let problems = PlanChecker.violations(scheduled, report)
                #expect(problems.isEmpty, "seed \(seed), \(strategy.name): \(problems.prefix(3))\n\(scheduled.text())")
                #expect(report.lowerBoundBytes <= report.plannedBytes && report.plannedBytes <= report.naiveBytes,
                        "seed \(seed), \(strategy.name): \(report.lowerBoundBytes) / \(report.plannedBytes) / \(report.naiveBytes)")
                #expect(HeapSimulator.firstConflict(report.sharing.buffers, offsets: report.bufferOffsets) == nil)
            }
            let report = MemoryPlanner().plan(scheduled)
            inPlace += report.sharing.sharing.filter { if case .inPlace? = $0 { true } else { false } }.count
            views += report.sharing.sharing.filter { if case .view? = $0 { true } else { false } }.count
            stateBuffers += report.plan.stateBuffers.compactMap { $0 }.count
            scratch += report.plan.scratchOffsets.compactMap { $0 }.count
        }
        // The generator must actually exercise every kind of sharing.
        #expect(inPlace > 100 && views > 100 && stateBuffers > 100 && scratch > 20,
                "in place \(inPlace), views \(views), state buffers \(stateBuffers), scratch \(scratch)")
    }

    @Test("50 random graphs: the executor with a shared arena agrees with the interpreter over two runs")
    func randomGraphsRunCorrectly() throws {
        for seed in 0..<50 {
            let graph = try Scheduling().run(try RandomGraphs.make(seed: UInt64(seed)))
            var rng = RandomStream(seed: UInt64(seed), stream: 9)
            var feeds: [String: HostTensor] = [:]
            var states: [String: HostTensor] = [:]
            for id in graph.leaves(.input) + graph.leaves(.state) {
                let node = graph[id]
                guard case .string(let name)? = node.attributes["name"] else { continue }
                let value = HostTensor(node.type, (0..<node.type.count).map { _ in rng.uniform(-1, 1) }).rounded()
                if node.op == LeafOp.input.rawValue { feeds[name] = value } else { states[name] = value }
            }
            let interpreter = try Interpreter(graph: graph, states: states)
            let exe = try Executable(graph: graph)
            for (name, value) in states { try exe.setState(name, value) }
            for (name, value) in feeds { try exe.setInput(name, value) }
            for run in 0..<2 {
                let expected = try interpreter.run(feeds)
                try exe.run()  // the second run relies on the inputs surviving the first
                for (name, e) in expected {
                    let got = try #require(exe.output(name))
                    #expect(close(got, e), "seed \(seed) run \(run) output \(name)\n\(graph.text())")
                }
                for (name, e) in interpreter.states {
                    let got = try #require(exe.state(name))
                    #expect(close(got, e), "seed \(seed) run \(run) state \(name)\n\(graph.text())")
                }
            }
        }
    }

    func close(_ a: HostTensor, _ b: HostTensor) -> Bool {
        a.type == b.type && zip(a.data, b.data).allSatisfy { x, y in Swift.abs(x - y) <= 1e-3 * Swift.max(1, Swift.abs(y)) }
    }

    /// x → exp → neg → relu → output: each elementwise node writes over its dying operand.
    @Test("elementwise chains run in place; inputs and results are never reused")
    func inPlaceChain() throws {
        var b = GraphBuilder(name: "chain")
        let x = b.input("x", TensorType(.f32, [16, 16]))
        let e = try b.exp(x)
        let n = try b.neg(e)
        let r = try b.relu(n)
        let s = try b.reduceSum(r, axes: [1])
        b.output("r", r)
        b.output("s", s)
        let report = MemoryPlanner().plan(b.graph)
        let offsets = report.plan.offsets
        #expect(offsets[e.index] != offsets[x.index], "the input must not be overwritten")
        #expect(offsets[n.index] == offsets[e.index] && offsets[r.index] == offsets[e.index])
        #expect(report.sharing.sharing[n.index] == .inPlace(operand: e))
        #expect(offsets[s.index] != offsets[r.index], "the result r is live to the end")
        #expect(report.plannedBytes == 2 * 1024 + 64)
        #expect(report.naiveBytes == 4 * 1024 + 64)
        #expect(report.lowerBoundBytes == report.plannedBytes)
    }

    /// A reshape shares its operand's bytes; a writer can take the buffer only when both are dead.
    @Test("reshape views alias their operand until both are dead")
    func reshapeViews() throws {
        var b = GraphBuilder(name: "views")
        let x = b.input("x", TensorType(.f32, [4, 8]))
        let a = try b.tanh(x)
        let v = try b.reshape(a, [32])
        let w = try b.neg(v)              // v dies here but a is read later: w needs its own bytes
        let keep = try b.sigmoid(a)       // now a and its view are both dead: in place
        let z = try b.add(try b.reshape(keep, [32]), w)
        b.output("z", z)
        let report = MemoryPlanner().plan(b.graph)
        #expect(report.sharing.sharing[v.index] == .view(of: a))
        #expect(report.plan.offsets[v.index] == report.plan.offsets[a.index])
        #expect(report.plan.offsets[w.index] != report.plan.offsets[a.index])
        #expect(report.sharing.sharing[keep.index] == .inPlace(operand: a))
        #expect(PlanChecker.violations(b.graph, report).isEmpty)
        let exe = try Executable(graph: b.graph)
        let input = HostTensor(TensorType(.f32, [4, 8]), (0..<32).map { Double($0) / 10 - 1.5 })
        let got = try exe.run(["x": input])["z"]!
        let want = try Interpreter(graph: b.graph).run(["x": input])["z"]!
        #expect(zip(got.data, want.data).allSatisfy { Swift.abs($0 - $1) < 1e-5 })
    }

    /// An SGD-like update s' = s - 0.1 * g is computed in s's own buffer unless someone reads s afterwards.
    @Test("assigned values are computed in their state's buffer when no later node reads the state")
    func stateBuffers() throws {
        for lateReader in [false, true] {
            var b = GraphBuilder(name: "update")
            let s = b.state("w", TensorType(.f32, [33]))
            let g = b.input("g", TensorType(.f32, [33]))
            let update = try b.sub(s, try b.mul(g, b.scalar(0.1)))
            b.assign(s, update)
            if lateReader { b.output("old_plus_new", try b.add(s, update)) }
            let report = MemoryPlanner().plan(b.graph)
            #expect((report.plan.stateBuffers[update.index] == s) == !lateReader)
            #expect(PlanChecker.violations(b.graph, report).isEmpty)
            let exe = try Executable(graph: b.graph)
            let interpreter = try Interpreter(graph: b.graph, states: ["w": HostTensor(repeating: 1, TensorType(.f32, [33]))])
            try exe.setState("w", HostTensor(repeating: 1, TensorType(.f32, [33])))
            let feed = ["g": HostTensor(TensorType(.f32, [33]), (0..<33).map(Double.init))]
            for _ in 0..<3 {
                let want = try interpreter.run(feed)
                let got = try exe.run(feed)
                if lateReader { #expect(zip(got["old_plus_new"]!.data, want["old_plus_new"]!.data).allSatisfy { Swift.abs($0 - $1) < 1e-4 }) }
                #expect(zip(exe.state("w")!.data, interpreter.states["w"]!.data).allSatisfy { Swift.abs($0 - $1) < 1e-4 })
            }
        }
    }

    @Test("the memory pass annotates #buf and the annotations survive a text round trip")
    func annotations() throws {
        var b = GraphBuilder(name: "annotated")
        let x = b.input("x", TensorType(.f32, [2, 5, 5, 3]))
        let w = b.constant(0.5, TensorType(.f32, [4, 3, 3, 3]))
        let y = try b.relu(try b.conv2d(x, w, ConvAttributes(padding: [1, 1, 1, 1])))
        b.output("y", y)
        let annotated = try Pipeline([MemoryPlanning()]).run(b.graph)
        let plan = MemoryPlanner().plan(b.graph).plan
        for i in annotated.nodes.indices {
            let bufs = annotated.nodes[i].annotations.filter { $0.hasPrefix("buf(") }
            if let o = plan.offsets[i] {
                #expect(bufs == ["buf(\(o),\(annotated.nodes[i].type.byteCount))"])
            } else {
                #expect(bufs.isEmpty)
            }
        }
        let conv = try #require(annotated.nodes.firstIndex { $0.op == "conv2d" })
        #expect(annotated.nodes[conv].annotations.contains { $0.hasPrefix("scratch(") })
        let text = annotated.text()
        #expect(text.contains("#buf("))
        let parsed = try Graph.parse(text)
        #expect(parsed.nodes.map(\.annotations) == annotated.nodes.map(\.annotations))
        // Planning again replaces the annotations instead of adding more.
        #expect(try MemoryPlanning().run(annotated).nodes.map(\.annotations) == annotated.nodes.map(\.annotations))
    }
}
