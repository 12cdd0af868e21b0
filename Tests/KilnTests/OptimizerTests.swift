// Optimizers and schedules against their formulas computed independently in the test.

import Kiln
import KilnIR
import KilnOps
import Foundation
import Testing

/// A one-parameter model: loss = Σ w ⊙ x (so the gradient is x).
final class LinearProbe: Layer {
    let w = Parameter([3], initializer: .zeros)
    func forward(_ x: Tensor) -> Tensor { (x * x.tracer.value(of: w)).sum() }
}

@Suite("Optimizers and schedules")
struct OptimizerTests {
    func run(_ optimizer: any Optimizer, steps: Int, lr: Double, start: [Float], grad: [Float]) throws -> [Float] {
        let model = LinearProbe()
        model.w.values = start
        let step = try TrainStep(models: [model], inputs: [("x", TensorType(.f32, [3]))], optimizer: optimizer) { _, x in
            ["loss": model(x["x"]!)]
        }
        for _ in 0..<steps {
            try step.run(["x": HostTensor(TensorType(.f32, [3]), grad.map(Double.init))], learningRate: lr)
        }
        step.syncParameters()
        return model.w.values!
    }

    @Test("SGD with momentum and weight decay follows torch.optim.SGD")
    func sgd() throws {
        let start: [Float] = [1, -2, 0.5], g: [Float] = [0.3, 0.1, -0.2]
        let (mu, wd, lr) = (0.9, 0.01, 0.1)
        var p = start.map(Double.init), v = [0.0, 0, 0]
        for _ in 0..<3 {
            for i in 0..<3 {
                let d = Double(g[i]) + wd * p[i]
                v[i] = mu * v[i] + d
                p[i] -= lr * v[i]
            }
        }
        let got = try run(SGD(momentum: mu, weightDecay: wd), steps: 3, lr: lr, start: start, grad: g)
        for i in 0..<3 { #expect(Swift.abs(Double(got[i]) - p[i]) < 1e-5) }
    }

    @Test("AdamW follows torch.optim.AdamW (bias correction, decoupled decay)")
    func adamw() throws {
        let start: [Float] = [1, -2, 0.5], g: [Float] = [0.3, 0.1, -0.2]
        let (b1, b2, eps, wd, lr) = (0.9, 0.999, 1e-8, 0.01, 0.01)
        var p = start.map(Double.init), m = [0.0, 0, 0], v = [0.0, 0, 0]
        for t in 1...4 {
            for i in 0..<3 {
                let gi = Double(g[i])
                p[i] *= 1 - lr * wd
                m[i] = b1 * m[i] + (1 - b1) * gi
                v[i] = b2 * v[i] + (1 - b2) * gi * gi
                let mh = m[i] / (1 - pow(b1, Double(t))), vh = v[i] / (1 - pow(b2, Double(t)))
                p[i] -= lr * mh / (vh.squareRoot() + eps)
            }
        }
        let got = try run(AdamW(beta1: b1, beta2: b2, epsilon: eps, weightDecay: wd), steps: 4, lr: lr, start: start, grad: g)
        for i in 0..<3 { #expect(Swift.abs(Double(got[i]) - p[i]) < 1e-5, "\(got[i]) vs \(p[i])") }
    }

    @Test("cosine schedule: linear warm-up, then half cosine to the minimum")
    func cosine() {
        let s = CosineSchedule(base: 0.1, totalSteps: 110, warmupSteps: 10, warmupFactor: 0.001)
        #expect(Swift.abs(s.rate(at: 0) - 0.0001) < 1e-12)
        #expect(Swift.abs(s.rate(at: 5) - 0.1 * (0.001 * 0.5 + 0.5)) < 1e-12)
        #expect(Swift.abs(s.rate(at: 10) - 0.1) < 1e-12)
        #expect(Swift.abs(s.rate(at: 60) - 0.05) < 1e-12)
        #expect(s.rate(at: 110) < 1e-12)
        let m = MultiStepSchedule(base: 0.02, milestones: [60, 80], warmupSteps: 0)
        #expect(Swift.abs(m.rate(at: 70) - 0.002) < 1e-12)
    }
}
