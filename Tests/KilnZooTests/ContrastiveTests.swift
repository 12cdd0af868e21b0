// MoCo v2 and DetCo building blocks: InfoNCE against hand-computed values, the queue's ring pointer, the momentum
// update, and DetCo reducing to MoCo v2 with weights (0, 0, 0, 1) and only the global↔global contrast.

import Foundation
import Kiln
import KilnZoo
import Testing

@Suite("Contrastive pre-training")
struct ContrastiveTests {
    @Test("InfoNCE equals −log(exp(q·k₊/τ) / Σ exp(q·k/τ)) averaged over queries")
    func infoNCE() throws {
        let q: [Double] = [0.6, 0.8, 0, 0, 0.6, 0.8]           // two unit queries (2, 3)
        let k: [Double] = [0.8, 0.6, 0, 0, 1, 0]               // their positives
        let queue: [Double] = [1, 0, 0, 0, 0, 1, 0.6, 0, 0.8, -1, 0, 0]   // four negatives (4, 3)
        let tau = 0.2
        var loss = 0.0
        for n in 0..<2 {
            let qn = Array(q[(3 * n)..<(3 * n + 3)])
            func dot(_ a: ArraySlice<Double>) -> Double { zip(qn, a).reduce(0) { $0 + $1.0 * $1.1 } }
            let pos = dot(k[(3 * n)..<(3 * n + 3)]) / tau
            let negs = (0..<4).map { dot(queue[(3 * $0)..<(3 * $0 + 3)]) / tau }
            loss += -(pos - Foundation.log(([pos] + negs).map(Foundation.exp).reduce(0, +)))
        }
        loss /= 2
        let (graph, _) = try Tracer.trace(name: "infonce", training: false) { t in
            let l = Contrastive.infoNCE(query: t.input("q", TensorType(.f64, [2, 3])), positive: t.input("k", TensorType(.f64, [2, 3])),
                                        negatives: t.input("queue", TensorType(.f64, [4, 3])), temperature: tau)
            t.output("loss", l)
        }
        let out = try Interpreter(graph: graph).run([
            "q": HostTensor(TensorType(.f64, [2, 3]), q), "k": HostTensor(TensorType(.f64, [2, 3]), k),
            "queue": HostTensor(TensorType(.f64, [4, 3]), queue),
        ])
        #expect(Swift.abs(out["loss"]!.data[0] - loss) < 1e-12)
    }

    @Test("the queue writes keys at the pointer and wraps it at K")
    func queueRing() throws {
        let queue = KeyQueue(size: 6, dimension: 2)
        try queue.initialize(seed: 0)
        let (graph, _) = try Tracer.trace(name: "enqueue", training: false, models: [queue]) { t in
            queue.enqueue(t.input("keys", TensorType(.f32, [3, 2])))
        }
        let interpreter = try Interpreter(graph: graph, states: [
            "queue": HostTensor(TensorType(.f32, [6, 2]), [Double](repeating: 0, count: 12)),
            "queue_ptr": HostTensor(TensorType(.i64, []), [0]),
        ])
        var pointers: [Double] = []
        for step in 0..<3 {
            let keys = (0..<6).map { Double(step * 10 + $0) }
            try interpreter.run(["keys": HostTensor(TensorType(.f32, [3, 2]), keys)])
            pointers.append(interpreter.states["queue_ptr"]!.data[0])
        }
        #expect(pointers == [3, 0, 3])
        #expect(interpreter.states["queue"]!.data == [20, 21, 22, 23, 24, 25, 10, 11, 12, 13, 14, 15])
    }

    @Test("the momentum update sets θk ← m·θk + (1−m)·θq before the key forward pass")
    func momentum() throws {
        var configuration = MoCoConfiguration()
        configuration.queueSize = 8
        configuration.momentum = 0.9
        let model = MoCoV2(configuration)
        try model.initialize(seed: 1)
        // Make key and query differ so the mix is visible.
        for (_, p) in try model.encoderK.namedParameters() where p.isTrainable { p.values = p.values!.map { $0 + 1 } }
        let name = "encoder_k.layer1.0.conv1.weight"
        let before = try value(model, name), query = try value(model, "encoder_q.layer1.0.conv1.weight")
        let step = try TrainStep(try Pretraining.moco(model, batch: 4, size: 32, optimizer: SGD(momentum: 0)))
        try feed(step, batch: 4, size: 32, seed: 3)
        try step.run(learningRate: 0.5)
        step.syncParameters()
        let after = try value(model, name)
        let expected = zip(before, query).map { 0.9 * $0 + 0.1 * $1 }
        #expect(zip(after, expected).allSatisfy { Swift.abs($0 - $1) < 1e-5 })
    }

    @Test("DetCo with level weights (0, 0, 0, 1) and only g↔g equals MoCo v2 on the same inputs and weights")
    func detcoReducesToMoCo() throws {
        var mc = MoCoConfiguration()
        mc.queueSize = 16
        var dc = DetCoConfiguration()
        dc.queueSize = 16
        dc.levelWeights = [0, 0, 0, 1]
        dc.contrasts = [.g2g]
        let moco = MoCoV2(mc), detco = DetCo(dc)
        try moco.initialize(seed: 5)
        try detco.initialize(seed: 6)
        // Same weights: backbones by name, MoCo's fc = DetCo's Res5 global head, same queue.
        let source = Dictionary(uniqueKeysWithValues: try moco.namedParameters().map { ($0.0, $0.1) })
        for (name, p) in try detco.namedParameters() {
            let mapped = name.replacingOccurrences(of: "global_heads.3.", with: "fc.")
                .replacingOccurrences(of: "queues.g2g.3.", with: "")
            if let s = source[mapped] { p.values = s.values }
        }
        let a = try TrainStep(try Pretraining.moco(moco, batch: 4, size: 32, optimizer: SGD(momentum: 0.9)))
        let b = try TrainStep(try Pretraining.detco(detco, batch: 4, size: 32, patch: 16, optimizer: SGD(momentum: 0.9)))
        var losses: [[Double]] = [[], []]
        for step in 0..<2 {
            for (i, s) in [a, b].enumerated() {
                try feed(s, batch: 4, size: 32, seed: UInt64(10 + step), patch: 16)
                losses[i].append(try s.run(learningRate: 0.1)["loss"]!)
            }
        }
        for step in 0..<2 { #expect(Swift.abs(losses[0][step] - losses[1][step]) < 1e-5 * Swift.abs(losses[0][step]), "\(losses)") }
    }

    func value(_ model: any Layer, _ name: String) throws -> [Float] {
        try #require(try model.namedParameters().first { $0.0 == name }?.1.values)
    }

    /// Random views and a shuffle for one step.
    func feed(_ step: TrainStep, batch: Int, size: Int, seed: UInt64, patch: Int = 0) throws {
        var rng = RandomStream(seed: seed)
        let exe = step.executable
        for name in [Pretraining.x1, Pretraining.x2, Pretraining.x3, Pretraining.x4] {
            guard let t = exe.inputType(name) else { continue }
            try exe.setInput(name, HostTensor(t, (0..<t.count).map { _ in rng.uniform(-1, 1) }))
        }
        Pretraining.feedShuffle(exe, batch: batch, seed: seed, step: 0)
    }
}
