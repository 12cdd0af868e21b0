// SGD with momentum and weight decay, exactly PyTorch's torch.optim.SGD (dampening 0, optional Nesterov):
//   d = g + wd·p;  v ← μ·v + d;  p ← p − lr·(nesterov ? d + μ·v : v)

import KilnIR
import KilnOps

public struct SGD: Optimizer {
    public var momentum: Double
    public var weightDecay: Double
    public var nesterov: Bool

    public init(momentum: Double = 0.9, weightDecay: Double = 0, nesterov: Bool = false) {
        self.momentum = momentum
        self.weightDecay = weightDecay
        self.nesterov = nesterov
    }

    public func apply(_ p: ParameterUpdate, _ b: inout GraphBuilder) throws -> ValueID {
        let dt = p.type.dtype
        var d = p.grad
        if weightDecay != 0 { d = try b.add(d, try b.mul(p.value, b.scalar(weightDecay, dt))) }
        var direction = d
        if momentum != 0 {
            let v = p.slot("momentum", &b)
            let newV = try b.add(try b.mul(v, b.scalar(momentum, dt)), d)
            p.update(v, to: newV, &b)
            direction = nesterov ? try b.add(d, try b.mul(newV, b.scalar(momentum, dt))) : newV
        }
        let lr = dt == .f32 ? p.learningRate : try b.cast(p.learningRate, dt)
        return try b.sub(p.value, try b.mul(direction, lr))
    }
}
