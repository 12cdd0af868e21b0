// End-to-end numerics of ResNet: the fast f32 forward against the naive f64 reference interpreter, overfitting a
// fixed batch, and the train-step graph's text round trip.

import Foundation
import Kiln
import KilnIR
import KilnOps
import KilnKernels
import KilnRuntime
import KilnZoo
import Testing

/// Largest |a − b| relative to the largest |b| (a norm-wise relative error, robust to values near zero).
func normwiseError(_ a: [Double], _ b: [Double]) -> Double {
    let scale = b.reduce(0) { Swift.max($0, Swift.abs($1)) }
    return zip(a, b).reduce(0) { Swift.max($0, Swift.abs($1.0 - $1.1)) } / Swift.max(scale, 1e-30)
}

/// The graph with every f32 value retyped to f64 (a double-precision twin of the same computation).
func retypedToF64(_ g: Graph) throws -> Graph {
    var out = g
    for i in out.nodes.indices {
        if out.nodes[i].type.dtype == .f32 { out.nodes[i].type.dtype = .f64 }
        if case .string("f32")? = out.nodes[i].attributes["dtype"] { out.nodes[i].attributes["dtype"] = .string("f64") }
    }
    try OpRegistry.verify(out)
    return out
}

@Suite("ResNet numerics")
struct ResNetNumericsTests {
    @Test("ResNet-50 forward at 224×224 (f32 fast kernels) agrees with the naive f64 reference to 1e-4")
    func resnet50AgainstReference() throws {
        let model = ResNet(.resnet50)
        try model.initialize(seed: 7)
        // Non-trivial BN statistics so eval-mode normalisation is exercised.
        var rng = KilnKernels.RandomStream(seed: 9)
        for (name, p) in try model.namedParameters() where name.hasSuffix("running_mean") || name.hasSuffix("running_var") {
            p.values = (0..<p.count).map { _ in Float(name.hasSuffix("mean") ? rng.uniform(-0.1, 0.1) : rng.uniform(0.5, 1.5)) }
        }
        let f = try InferenceFunction(models: [model], inputs: [("images", TensorType(.f32, [1, 224, 224, 3]))]) { _, x in
            let out = model(x["images"]!)
            return ["res2": out.res2, "res5": out.res5, "logits": out.logits!]
        }
        let image = HostTensor(TensorType(.f32, [1, 224, 224, 3]), (0..<(224 * 224 * 3)).map { _ in rng.uniform(-2, 2) }).rounded()
        let fast = try f([ "images": image ])

        let reference = try Interpreter(graph: try retypedToF64(f.compiled.traced))
        for name in f.executable.stateNames {
            let v = f.executable.state(name)!
            reference.states[name] = HostTensor(v.type.with(dtype: v.dtype == .f32 ? .f64 : v.dtype), v.data)
        }
        let exact = try reference.run(["images": HostTensor(image.type.with(dtype: .f64), image.data)])
        for name in ["res2", "res5", "logits"] {
            let error = normwiseError(fast[name]!.data, exact[name]!.data)
            #expect(error < 1e-4, "\(name): normwise relative error \(error)")
        }
    }

    @Test("ResNet-18 overfits one fixed batch of 8 at 32×32: loss below 10% of its start within 100 steps")
    func overfit() throws {
        let (model, traced) = try ResNetTraining.trace(depth: .resnet18, classes: 10, batch: 8, size: 32,
                                                       optimizer: SGD(momentum: 0.9))
        try model.initialize(seed: 0)
        let step = try TrainStep(traced)
        let data = SyntheticImages(classes: 10, size: 32, seed: 3)
        let exe = step.executable
        let images = exe.inputBuffer(ResNetTraining.imagesInput)!.assumingMemoryBound(to: Float.self)
        let labels = exe.inputBuffer(ResNetTraining.labelsInput)!.assumingMemoryBound(to: Int32.self)
        var losses: [Double] = []
        for _ in 0..<100 {
            data.batch(from: 0, count: 8, images: images, labels: labels)   // the same batch every step
            let loss = try step.run(learningRate: 0.01)["loss"]!
            losses.append(loss)
            if loss < 0.1 * losses[0] { break }
        }
        #expect(losses.last! < 0.1 * losses[0], "loss \(losses[0]) → \(losses.last!) after \(losses.count) steps")
    }

    @Test("the resnet18-train graph prints, parses and prints back identically")
    func trainGraphRoundTrip() throws {
        let g = try Workload.resnet18Train.graph(batch: 2, size: 32)
        let text = g.text()
        let parsed = try Graph.parse(text)
        #expect(parsed.text() == text)
        try OpRegistry.verify(parsed)
        // Forward, backward and update are all present.
        let ops = Set(g.nodes.map(\.op))
        #expect(ops.isSuperset(of: ["conv2d", "conv2d_backward_data", "conv2d_backward_weights", "max_pool2d_backward"]))
        #expect(g.assignments.count > 62)
    }
}
