// AdamW (decoupled weight decay), as torch.optim.AdamW:
//   p ← p·(1 − lr·wd);  m ← β1 m + (1−β1) g;  v ← β2 v + (1−β2) g²
//   p ← p − lr · (m / (1−β1ᵗ)) / (√(v / (1−β2ᵗ)) + ε)

import KilnIR
import KilnOps

public struct AdamW: Optimizer {
    public var beta1: Double
    public var beta2: Double
    public var epsilon: Double
    public var weightDecay: Double

    public init(beta1: Double = 0.9, beta2: Double = 0.999, epsilon: Double = 1e-8, weightDecay: Double = 0.01) {
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
    }

    public func apply(_ p: ParameterUpdate, _ b: inout GraphBuilder) throws -> ValueID {
        let dt = p.type.dtype
        func s(_ v: Double) -> ValueID { b.scalar(v, dt) }
        let lr = dt == .f32 ? p.learningRate : try b.cast(p.learningRate, dt)
        let t = try b.cast(p.step, dt)
        let m = p.slot("exp_avg", &b), v = p.slot("exp_avg_sq", &b)
        let newM = try b.add(try b.mul(m, s(beta1)), try b.mul(p.grad, s(1 - beta1)))
        let newV = try b.add(try b.mul(v, s(beta2)), try b.mul(try b.mul(p.grad, p.grad), s(1 - beta2)))
        p.update(m, to: newM, &b)
        p.update(v, to: newV, &b)
        let correction1 = try b.sub(s(1), try b.pow(s(beta1), t))
        let correction2 = try b.sub(s(1), try b.pow(s(beta2), t))
        let denominator = try b.add(try b.sqrt(try b.div(newV, correction2)), s(epsilon))
        let stepDirection = try b.div(try b.div(newM, correction1), denominator)
        let decayed = try b.mul(p.value, try b.sub(s(1), try b.mul(lr, s(weightDecay))))
        return try b.sub(decayed, try b.mul(stepDirection, lr))
    }
}
