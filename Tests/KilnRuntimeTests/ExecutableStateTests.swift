// States in the executable with a planned arena: results see states as they were before the run (as in the
// interpreter), simultaneous assignments swap correctly, and updates computed in a state's own buffer stay exact.

import KilnIR
import KilnOps
import KilnPasses
import KilnRuntime
import Testing

@Suite("Executable states")
struct ExecutableStateTests {
    @Test("an output of an assigned state is its value from before the run")
    func outputsSeeOldStates() throws {
        var b = GraphBuilder(name: "counter")
        let s = b.state("s", TensorType(.f32, [5]))
        let next = try b.add(s, b.scalar(1))
        b.assign(s, next)
        b.output("old", s)
        b.output("new", next)
        let exe = try Executable(graph: b.graph)
        #expect(exe.plan.stateBuffers[next.index] == nil, "s is read after the run, so next needs its own bytes")
        try exe.setState("s", HostTensor(repeating: 10, TensorType(.f32, [5])))
        for step in 0..<3 {
            let out = try exe.run([:])
            #expect(out["old"]!.data == [Double](repeating: Double(10 + step), count: 5))
            #expect(out["new"]!.data == [Double](repeating: Double(11 + step), count: 5))
            #expect(exe.state("s")!.data == [Double](repeating: Double(11 + step), count: 5))
        }
    }

    @Test("assignments are simultaneous: assign a = b, b = a swaps")
    func swap() throws {
        var b = GraphBuilder(name: "swap")
        let x = b.state("a", TensorType(.f32, []))
        let y = b.state("b", TensorType(.f32, []))
        b.assign(x, y)
        b.assign(y, x)
        let exe = try Executable(graph: b.graph)
        try exe.setState("a", HostTensor(scalar: 1))
        try exe.setState("b", HostTensor(scalar: 2))
        try exe.run()
        #expect(exe.state("a")!.data == [2] && exe.state("b")!.data == [1])
        try exe.run()
        #expect(exe.state("a")!.data == [1] && exe.state("b")!.data == [2])
    }

    @Test("a momentum update written into its state buffers matches the interpreter")
    func momentumInStateBuffers() throws {
        var b = GraphBuilder(name: "sgd")
        let w = b.state("w", TensorType(.f32, [37]))
        let m = b.state("m", TensorType(.f32, [37]))
        let g = b.input("g", TensorType(.f32, [37]))
        let m2 = try b.add(try b.mul(m, b.scalar(0.9)), g)
        let w2 = try b.sub(w, try b.mul(m2, b.scalar(0.1)))
        b.assign(w, w2)
        b.assign(m, m2)
        b.output("norm", try b.reduceSum(try b.mul(w2, w2)))
        let graph = try Scheduling().run(b.graph)
        let exe = try Executable(graph: graph)
        #expect(exe.plan.stateBuffers.compactMap { $0 }.count == 2)
        let start: [String: HostTensor] = ["w": HostTensor(TensorType(.f32, [37]), (0..<37).map { Double($0) / 37 }),
                                           "m": HostTensor(repeating: 0, TensorType(.f32, [37]))]
        let interpreter = try Interpreter(graph: graph, states: start)
        for (name, value) in start { try exe.setState(name, value) }
        for step in 0..<4 {
            let feed = ["g": HostTensor(TensorType(.f32, [37]), (0..<37).map { Double(($0 + step) % 5) - 2 })]
            let want = try interpreter.run(feed)["norm"]!.data[0]
            let got = try exe.run(feed)["norm"]!.data[0]
            #expect(Swift.abs(got - want) <= 1e-5 * Swift.max(1, Swift.abs(want)))
            for name in ["w", "m"] {
                #expect(zip(exe.state(name)!.data, interpreter.states[name]!.data).allSatisfy { Swift.abs($0 - $1) < 1e-5 })
            }
        }
    }
}
