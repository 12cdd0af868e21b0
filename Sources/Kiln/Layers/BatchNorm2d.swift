// Batch normalisation over channels (torch.nn.BatchNorm2d) on NHWC activations. In training mode it normalises
// with batch statistics and updates running_mean / running_var / num_batches_tracked as part of the step.

import KilnIR
import KilnOps

public final class BatchNorm2d: Layer {
    public let weight: Parameter
    public let bias: Parameter
    public let runningMean: Parameter
    public let runningVar: Parameter
    public let numBatchesTracked: Parameter
    public let momentum: Double
    public let epsilon: Double

    public init(_ channels: Int, momentum: Double = 0.1, epsilon: Double = 1e-5, zeroInit: Bool = false) {
        weight = Parameter([channels], initializer: zeroInit ? .zeros : .ones)
        bias = Parameter([channels], initializer: .zeros)
        runningMean = Parameter([channels], kind: .buffer, initializer: .zeros)
        runningVar = Parameter([channels], kind: .buffer, initializer: .ones)
        numBatchesTracked = Parameter([], dtype: .i64, kind: .buffer, initializer: .zeros)
        self.momentum = momentum
        self.epsilon = epsilon
    }

    /// Reflection uses property names; torchvision's keys are snake_case.
    public var namedChildren: [(String, Any)] {
        [("weight", weight), ("bias", bias), ("running_mean", runningMean), ("running_var", runningVar),
         ("num_batches_tracked", numBatchesTracked)]
    }

    public func forward(_ x: Tensor) -> Tensor {
        let t = x.tracer
        let training = t.training
        var result: BatchNormResult?
        let (scale, shift) = (t.value(of: weight).id, t.value(of: bias).id)
        let (mean, variance) = (t.value(of: runningMean).id, t.value(of: runningVar).id)
        let groups = t.batchNormGroups
        let y = x.record(nil, "", 0) { b in
            let r = try b.batchNorm(x.id, scale: scale, shift: shift, runningMean: mean, runningVar: variance,
                                    training: training, momentum: momentum, epsilon: epsilon, groups: groups)
            result = r
            return r.output
        }
        if training, let result, let mean = result.runningMean, let variance = result.runningVar {
            t.update(runningMean, to: Tensor(id: mean, type: runningMean.type, tracer: t))
            t.update(runningVar, to: Tensor(id: variance, type: runningVar.type, tracer: t))
            let count = t.value(of: numBatchesTracked)
            t.update(numBatchesTracked, to: count + 1)
        }
        return y
    }
}

extension BatchNorm2d: ChildNaming {}
