// Fusion: fused graphs compute what the unfused ones do (fast executor and interpreter), on small graphs with BN,
// ReLU, residual adds and reductions, and on the full ResNet-18 train step.

import Foundation
import Kiln
import KilnIR
import KilnKernels
import KilnOps
import KilnPasses
import KilnRuntime
import KilnZoo
import Testing

/// Largest |a − b| relative to the largest |b|.
func normwise(_ a: [Double], _ b: [Double]) -> Double {
    let scale = b.reduce(0) { Swift.max($0, Swift.abs($1)) }
    return zip(a, b).reduce(0) { Swift.max($0, Swift.abs($1.0 - $1.1)) } / Swift.max(scale, 1e-30)
}

@Suite("Fusion")
struct FusionTests {
    /// BN (training) + ReLU + residual add, its gradient, and an SGD-like update: the patterns fusion targets.
    static func block() throws -> Graph {
        var b = GraphBuilder(name: "block")
        let x = b.input("x", TensorType(.f32, [3, 5, 7, 16]))
        let skip = b.input("skip", TensorType(.f32, [3, 5, 7, 16]))
        let gamma = b.state("gamma", TensorType(.f32, [16])), beta = b.state("beta", TensorType(.f32, [16]))
        let rm = b.state("rm", TensorType(.f32, [16])), rv = b.state("rv", TensorType(.f32, [16]))
        let bn = try b.batchNorm(x, scale: gamma, shift: beta, runningMean: rm, runningVar: rv, training: true)
        let y = try b.relu(try b.add(try b.relu(bn.output), skip))
        let loss = try b.reduceMean(try b.mul(y, y))
        let grads = try b.gradients(of: loss, wrt: [gamma, beta, x])
        b.output("loss", loss)
        b.output("dx", grads[2])
        b.assign(gamma, try b.sub(gamma, try b.mul(grads[0], b.scalar(0.1))))
        b.assign(beta, try b.sub(beta, try b.mul(grads[1], b.scalar(0.1))))
        b.assign(rm, bn.runningMean!)
        b.assign(rv, bn.runningVar!)
        return b.graph
    }

    static func feeds(_ g: Graph, seed: UInt64) -> [String: HostTensor] {
        var rng = RandomStream(seed: seed)
        var out: [String: HostTensor] = [:]
        for id in g.leaves(.input) + g.leaves(.state) {
            guard case .string(let name)? = g[id].attributes["name"] else { continue }
            let t = g.type(of: id)
            out[name] = HostTensor(t, (0..<t.count).map { _ in name == "rv" ? rng.uniform(0.5, 1.5) : rng.uniform(-1, 1) }).rounded()
        }
        return out
    }

    /// Runs a graph once on the executor; returns outputs and the states after the run.
    static func execute(_ g: Graph, _ feeds: [String: HostTensor]) throws -> [String: HostTensor] {
        let exe = try Executable(graph: g)
        for name in exe.stateNames { try exe.setState(name, feeds[name]!) }
        var out = try exe.run(feeds.filter { exe.inputType($0.key) != nil })
        for name in exe.stateNames { out["state:" + name] = exe.state(name)! }
        return out
    }

    @Test("fusing the BN/ReLU/residual block keeps every output and state update")
    func blockEquivalence() throws {
        let g = try Self.block()
        let fused = try Pipeline(StandardPipeline.passes()).run(g)
        #expect(fused.nodes.contains { $0.op == "fused" })
        #expect(fused.nodes.contains { $0.op == "fused" && (try? Fused.plan($0.attributes.graph("body")))?.kind != .elementwise })
        let feeds = Self.feeds(g, seed: 5)
        let before = try Self.execute(g, feeds), after = try Self.execute(fused, feeds)
        let reference = try Interpreter(graph: fused, states: feeds.filter { g.leaf(named: $0.key, .state) != nil }).run(feeds)
        for (name, value) in before {
            let error = normwise(after[name]!.data, value.data)
            #expect(error < 1e-5, "\(name): \(error)")
        }
        #expect(normwise(reference["dx"]!.data, before["dx"]!.data) < 1e-5)
    }

    @Test("ResNet-50 inference (batch 2, 64×64): every convolution takes its BN/residual/ReLU epilogue, and the result agrees with no passes (1e-5)")
    func resnet50InferenceEpilogues() throws {
        let plain = try RunnableWorkload(.resnet50Infer, batch: 2, size: 64, options: CompileOptions(passes: []))
        let fused = try RunnableWorkload(.resnet50Infer, batch: 2, size: 64, options: CompileOptions(passes: nil))
        let ops = fused.compiled.optimized.nodes.map(\.op)
        #expect(!ops.contains(Conv2D.name))
        #expect(ops.filter { $0 == FusedConv2D.name }.count == 53)
        // The ReLUs and residual adds are all inside the convolutions: no full-size elementwise node is left.
        let activations = fused.compiled.optimized.nodes.filter { $0.op == Fused.name && $0.type.rank == 4 }
        #expect(activations.isEmpty, "\(activations.count) fused loops over activations remain")
        // Non-trivial BN statistics and affine parameters, the same in both executables.
        var rng = RandomStream(seed: 3)
        for name in plain.executable.stateNames {
            guard var value = plain.executable.state(name) else { continue }
            if value.type.rank == 1 && value.type.dtype == .f32 && !name.hasPrefix("fc.") {
                let positive = name.hasSuffix("running_var") || name.hasSuffix(".weight")
                value = HostTensor(value.type, (0..<value.count).map { _ in positive ? rng.uniform(0.5, 1.5) : rng.uniform(-0.2, 0.2) })
                    .rounded()
            }
            try plain.executable.setState(name, value)
            try fused.executable.setState(name, value)
        }
        try plain.run()
        try fused.run()
        let a = try #require(plain.executable.output("logits")), b = try #require(fused.executable.output("logits"))
        let error = normwise(b.data, a.data)
        #expect(error < 1e-5, "logits differ by \(error)")
    }

    @Test("ResNet-18 train step (batch 32, 64×64): all passes vs none give the same loss and updates (1e-4)")
    func resnet18AllVersusNone() throws {
        let (model, traced) = try ResNetTraining.trace(depth: .resnet18, classes: 10, batch: 32, size: 64,
                                                       optimizer: SGD(momentum: 0))
        try model.initialize(seed: 11)
        let plain = try TrainStep(traced, options: CompileOptions(passes: []))
        let optimized = try TrainStep(traced, options: CompileOptions(passes: nil))
        #expect(optimized.compiled.optimized.nodes.count < plain.compiled.optimized.nodes.count)
        let data = SyntheticImages(classes: 10, size: 64, seed: 4)
        var losses: [Double] = []
        for step in [plain, optimized] {
            let exe = step.executable
            data.batch(from: 0, count: 32, images: exe.inputBuffer("images")!.assumingMemoryBound(to: Float.self),
                       labels: exe.inputBuffer("labels")!.assumingMemoryBound(to: Int32.self))
            // lr = 1 and no momentum: the parameter change is exactly the gradient.
            losses.append(try step.run(learningRate: 1)["loss"]!)
        }
        #expect(Swift.abs(losses[0] - losses[1]) <= 1e-4 * Swift.abs(losses[0]), "loss \(losses)")
        var worst = (0.0, "")
        for name in plain.executable.stateNames {
            guard let initial = plain.compiled.parameters[name]?.values else { continue }
            let a = plain.executable.state(name)!, b = optimized.executable.state(name)!
            let start = initial.map(Double.init)
            let ga = zip(a.data, start).map { $1 - $0 }, gb = zip(b.data, start).map { $1 - $0 }
            let error = name.contains("running") || name.contains("num_batches") ? normwise(b.data, a.data) : normwise(gb, ga)
            if error > worst.0 { worst = (error, name) }
        }
        #expect(worst.0 < 1e-4, "largest gradient/state difference \(worst.0) in \(worst.1)")
    }
}
