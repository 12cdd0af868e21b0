// The gradient-check cases: every registered op appears at least once (GradientCheckTests enforces it), with
// broadcasting, strided, padded, dilated and grouped variants.

import KilnIR
import KilnKernels
import KilnOps

func f64(_ shape: [Int]) -> TensorType { TensorType(.f64, shape) }
func i32(_ shape: [Int]) -> TensorType { TensorType(.i32, shape) }

/// Value generators for operands with domain restrictions.
enum Draw {
    static let positive: @Sendable (Int, TensorType, inout RandomStream) -> [Double] = { _, t, rng in
        (0..<t.count).map { _ in rng.uniform(0.5, 2) }
    }
    static let awayFromZero: @Sendable (Int, TensorType, inout RandomStream) -> [Double] = { _, t, rng in
        (0..<t.count).map { _ in (rng.bernoulli(0.5) ? 1 : -1) * rng.uniform(0.2, 1) }
    }
    /// Distinct values spaced ≥ 0.01 apart (no ties for max-like ops); operand i is offset so operands differ too.
    static let distinct: @Sendable (Int, TensorType, inout RandomStream) -> [Double] = { i, t, rng in
        var v = (0..<t.count).map { Double($0) * 0.05 - 1 + Double(i) * 0.013 }
        rng.shuffle(&v)
        return v
    }
    /// Integer operands get indices in 0..<4; float operands uniform in [-1, 1].
    static let indices: @Sendable (Int, TensorType, inout RandomStream) -> [Double] = { _, t, rng in
        (0..<t.count).map { _ in t.dtype.isInteger ? Double(rng.below(4)) : rng.uniform(-1, 1) }
    }
}

func conv(_ stride: [Int] = [1, 1], _ padding: [Int] = [0, 0, 0, 0], _ dilation: [Int] = [1, 1], groups: Int = 1) -> ConvAttributes {
    ConvAttributes(stride: stride, padding: padding, dilation: dilation, groups: groups)
}

let gradCases: [GradCase] = [
    GradCase(name: "abs", inputs: [f64([3, 4])], values: Draw.awayFromZero) { b, x in try b.abs(x[0]) },
    GradCase(name: "add/broadcast", inputs: [f64([3, 4]), f64([4])]) { b, x in try b.add(x[0], x[1]) },
    GradCase(name: "add/scalar", inputs: [f64([2, 3]), f64([])]) { b, x in try b.add(x[0], x[1]) },
    GradCase(name: "add/fanout", inputs: [f64([3])]) { b, x in try b.add(try b.mul(x[0], x[0]), x[0]) },
    GradCase(name: "argmax", inputs: [f64([3, 4])], values: Draw.distinct, differentiable: false) { b, x in
        try b.cast(try b.argmax(x[0], axis: 1), .f64)
    },
    GradCase(name: "avg_pool2d/include_pad", inputs: [f64([1, 5, 5, 2])]) { b, x in
        try b.avgPool2d(x[0], PoolAttributes(kernel: [3, 3], stride: [2, 2], padding: [1, 1, 1, 1]))
    },
    GradCase(name: "avg_pool2d/exclude_pad", inputs: [f64([2, 4, 5, 1])]) { b, x in
        try b.avgPool2d(x[0], PoolAttributes(kernel: [2, 3], stride: [1, 2], padding: [1, 1, 0, 1]), countIncludePad: false)
    },
    GradCase(name: "avg_pool2d_backward", inputs: [f64([1, 3, 3, 2])]) { b, x in
        try b.avgPool2dBackward(x[0], inputShape: [1, 5, 5, 2], PoolAttributes(kernel: [3, 3], stride: [2, 2], padding: [1, 1, 1, 1]))
    },
    GradCase(name: "broadcast", inputs: [f64([3, 1])]) { b, x in try b.broadcast(x[0], [2, 3, 4]) },
    GradCase(name: "cast/f64", inputs: [f64([2, 3]), i32([2, 3])], values: Draw.indices) { b, x in
        try b.mul(try b.cast(x[0], .f64), try b.cast(x[1], .f64))
    },
    GradCase(name: "concat", inputs: [f64([2, 3]), f64([2, 2])]) { b, x in try b.concat(x, axis: 1) },
    GradCase(name: "conv2d/pad1", inputs: [f64([2, 5, 5, 3]), f64([4, 3, 3, 3])]) { b, x in
        try b.conv2d(x[0], x[1], conv([1, 1], [1, 1, 1, 1]))
    },
    GradCase(name: "conv2d/stride2_asymmetric", inputs: [f64([1, 6, 5, 2]), f64([3, 3, 2, 2])]) { b, x in
        try b.conv2d(x[0], x[1], conv([2, 2], [1, 0, 1, 1]))
    },
    GradCase(name: "conv2d/dilated", inputs: [f64([1, 7, 7, 2]), f64([2, 3, 3, 2])]) { b, x in
        try b.conv2d(x[0], x[1], conv([1, 1], [2, 2, 2, 2], [2, 2]))
    },
    GradCase(name: "conv2d/grouped", inputs: [f64([1, 4, 4, 4]), f64([6, 3, 3, 2])]) { b, x in
        try b.conv2d(x[0], x[1], conv([1, 1], [1, 1, 1, 1], groups: 2))
    },
    GradCase(name: "conv2d/1x1_stride2", inputs: [f64([2, 5, 5, 3]), f64([4, 1, 1, 3])]) { b, x in
        try b.conv2d(x[0], x[1], conv([2, 2]))
    },
    GradCase(name: "conv2d_backward_data", inputs: [f64([2, 3, 3, 4]), f64([4, 3, 3, 3])]) { b, x in
        try b.conv2dBackwardData(x[0], x[1], inputShape: [2, 5, 5, 3], conv([2, 2], [1, 1, 1, 1]))
    },
    GradCase(name: "conv2d_backward_data/grouped", inputs: [f64([1, 4, 4, 6]), f64([6, 3, 3, 2])]) { b, x in
        try b.conv2dBackwardData(x[0], x[1], inputShape: [1, 4, 4, 4], conv([1, 1], [1, 1, 1, 1], groups: 2))
    },
    GradCase(name: "conv2d_backward_weights", inputs: [f64([2, 5, 5, 3]), f64([2, 3, 3, 4])]) { b, x in
        try b.conv2dBackwardWeights(x[0], x[1], kernel: [3, 3], conv([2, 2], [1, 1, 1, 1]))
    },
    GradCase(name: "div/broadcast", inputs: [f64([3, 4]), f64([4])], values: { i, t, rng in
        (0..<t.count).map { _ in i == 1 ? rng.uniform(0.5, 2) : rng.uniform(-1, 1) }
    }) { b, x in try b.div(x[0], x[1]) },
    GradCase(name: "dynamic_slice", inputs: [f64([5, 4]), i32([2])], values: { i, t, rng in
        i == 1 ? [2, 7] : (0..<t.count).map { _ in rng.uniform(-1, 1) }   // column start 7 is clamped to 1
    }) { b, x in try b.dynamicSlice(x[0], start: x[1], sizes: [2, 3]) },
    GradCase(name: "dynamic_update_slice", inputs: [f64([5, 4]), f64([2, 4]), i32([2])], values: { i, t, rng in
        i == 2 ? [3, 0] : (0..<t.count).map { _ in rng.uniform(-1, 1) }
    }) { b, x in try b.dynamicUpdateSlice(x[0], update: x[1], start: x[2]) },
    GradCase(name: "equal", inputs: [f64([3, 4]), f64([3, 4])], differentiable: false) { b, x in try b.cast(try b.equal(x[0], x[1]), .f64) },
    GradCase(name: "exp", inputs: [f64([3, 4])]) { b, x in try b.exp(x[0]) },
    GradCase(name: "fused", inputs: [f64([2, 3]), f64([3])], values: Draw.distinct) { b, x in
        var body = GraphBuilder(name: "body")
        let a = body.input("0", f64([2, 3])), c = body.input("1", f64([3]))
        body.output("out", try body.mul(try body.relu(try body.add(a, c)), a))
        return try b.apply(Fused.self, x, ["body": .graph(body.graph)])
    },
    GradCase(name: "fused_conv2d/bn_residual_relu",
             inputs: [f64([2, 5, 5, 3]), f64([4, 3, 3, 3]), f64([4]), f64([4]), f64([2, 5, 5, 4])]) { b, x in
        try b.fusedConv2d(x[0], x[1], conv([1, 1], [1, 1, 1, 1]),
                          ConvEpilogueSteps(scale: true, shift: true, residual: true, relu: true), operands: [x[2], x[3], x[4]])
    },
    GradCase(name: "fused_conv2d/stride2_grouped_bias", inputs: [f64([1, 6, 5, 4]), f64([6, 3, 3, 2]), f64([6])]) { b, x in
        try b.fusedConv2d(x[0], x[1], conv([2, 2], [1, 0, 1, 1], groups: 2), ConvEpilogueSteps(shift: true), operands: [x[2]])
    },
    GradCase(name: "gather/axis0", inputs: [f64([4, 3]), i32([5])], values: Draw.indices) { b, x in
        try b.gather(x[0], indices: x[1], axis: 0)
    },
    GradCase(name: "gather/axis1", inputs: [f64([2, 4, 2]), i32([2, 3])], values: Draw.indices) { b, x in
        try b.gather(x[0], indices: x[1], axis: 1)
    },
    GradCase(name: "global_avg_pool", inputs: [f64([2, 3, 3, 4])]) { b, x in try b.globalAvgPool(x[0]) },
    GradCase(name: "greater", inputs: [f64([3, 4]), f64([4])], differentiable: false) { b, x in try b.cast(try b.greater(x[0], x[1]), .f64) },
    GradCase(name: "greater_equal", inputs: [f64([3, 4]), f64([4])], differentiable: false) { b, x in try b.cast(try b.greaterEqual(x[0], x[1]), .f64) },
    GradCase(name: "less", inputs: [f64([3, 4]), f64([4])], differentiable: false) { b, x in try b.cast(try b.less(x[0], x[1]), .f64) },
    GradCase(name: "less_equal", inputs: [f64([3, 4]), f64([4])], differentiable: false) { b, x in try b.cast(try b.lessEqual(x[0], x[1]), .f64) },
    GradCase(name: "log", inputs: [f64([3, 4])], values: Draw.positive) { b, x in try b.log(x[0]) },
    GradCase(name: "matmul", inputs: [f64([2, 3]), f64([3, 4])]) { b, x in try b.matmul(x[0], x[1]) },
    GradCase(name: "matmul/transposed", inputs: [f64([3, 2]), f64([4, 3])]) { b, x in
        try b.matmul(x[0], x[1], transposeA: true, transposeB: true)
    },
    GradCase(name: "matmul/batched", inputs: [f64([2, 3, 4]), f64([2, 4, 5])]) { b, x in try b.matmul(x[0], x[1]) },
    GradCase(name: "matmul/batched_ta", inputs: [f64([2, 4, 3]), f64([2, 4, 5])]) { b, x in try b.matmul(x[0], x[1], transposeA: true) },
    GradCase(name: "matmul/shared_b", inputs: [f64([2, 3, 4]), f64([5, 4])]) { b, x in try b.matmul(x[0], x[1], transposeB: true) },
    GradCase(name: "max_pool2d", inputs: [f64([1, 5, 5, 2])], values: Draw.distinct) { b, x in
        try b.maxPool2d(x[0], PoolAttributes(kernel: [3, 3], stride: [2, 2], padding: [1, 1, 1, 1]))
    },
    GradCase(name: "max_pool2d_backward", inputs: [f64([1, 4, 4, 2]), f64([1, 2, 2, 2])], values: Draw.distinct) { b, x in
        try b.maxPool2dBackward(x[0], x[1], PoolAttributes(kernel: [2, 2], stride: [2, 2]))
    },
    GradCase(name: "max_pool2d_gather", inputs: [f64([1, 5, 5, 2]), f64([1, 5, 5, 2])], values: Draw.distinct) { b, x in
        try b.maxPool2dGather(x[0], x[1], PoolAttributes(kernel: [3, 3], stride: [2, 2], padding: [1, 1, 1, 1]))
    },
    GradCase(name: "maximum/broadcast", inputs: [f64([3, 4]), f64([4])], values: Draw.distinct) { b, x in try b.maximum(x[0], x[1]) },
    GradCase(name: "minimum", inputs: [f64([3, 4]), f64([3, 4])], values: Draw.distinct) { b, x in try b.minimum(x[0], x[1]) },
    GradCase(name: "mul/broadcast", inputs: [f64([3, 4]), f64([3, 1])]) { b, x in try b.mul(x[0], x[1]) },
    GradCase(name: "neg", inputs: [f64([5])]) { b, x in try b.neg(x[0]) },
    GradCase(name: "not_equal", inputs: [f64([3]), f64([3])], differentiable: false) { b, x in try b.cast(try b.notEqual(x[0], x[1]), .f64) },
    GradCase(name: "pad", inputs: [f64([2, 3])]) { b, x in try b.pad(x[0], low: [1, 0], high: [0, 2], value: 0.5) },
    GradCase(name: "pow", inputs: [f64([2, 3]), f64([2, 3])], values: { i, t, rng in
        (0..<t.count).map { _ in i == 0 ? rng.uniform(0.5, 2) : rng.uniform(-2, 2) }
    }) { b, x in try b.pow(x[0], x[1]) },
    GradCase(name: "random_normal", inputs: [f64([3, 4])]) { b, x in
        try b.mul(x[0], try b.randomNormal(f64([3, 4]), seed: 7))
    },
    GradCase(name: "random_uniform", inputs: [f64([3, 4])]) { b, x in
        try b.mul(x[0], try b.randomUniform(f64([3, 4]), seed: 3, low: -1, high: 2))
    },
    GradCase(name: "reduce_max", inputs: [f64([3, 4])], values: Draw.distinct) { b, x in try b.reduceMax(x[0], axes: [1]) },
    GradCase(name: "reduce_max/all", inputs: [f64([2, 3])], values: Draw.distinct) { b, x in try b.reduceMax(x[0]) },
    GradCase(name: "reduce_mean", inputs: [f64([2, 3, 4])]) { b, x in try b.reduceMean(x[0], axes: [0, 2], keepdims: true) },
    GradCase(name: "reduce_sum", inputs: [f64([2, 3, 4])]) { b, x in try b.reduceSum(x[0], axes: [1]) },
    GradCase(name: "reduce_sum/all", inputs: [f64([2, 3])]) { b, x in try b.reduceSum(x[0]) },
    GradCase(name: "relu", inputs: [f64([3, 4])], values: Draw.awayFromZero) { b, x in try b.relu(x[0]) },
    GradCase(name: "reshape", inputs: [f64([2, 6])]) { b, x in try b.reshape(x[0], [3, 4]) },
    GradCase(name: "rsqrt", inputs: [f64([3, 4])], values: Draw.positive) { b, x in try b.rsqrt(x[0]) },
    GradCase(name: "scatter_add", inputs: [f64([4, 3]), i32([5]), f64([5, 3])], values: Draw.indices) { b, x in
        try b.scatterAdd(x[0], indices: x[1], updates: x[2], axis: 0)
    },
    GradCase(name: "select", inputs: [f64([3, 4]), f64([3, 4]), f64([4])], values: Draw.awayFromZero) { b, x in
        try b.select(try b.greater(x[0], b.scalar(0, .f64)), x[1], x[2])
    },
    GradCase(name: "sigmoid", inputs: [f64([3, 4])]) { b, x in try b.sigmoid(x[0]) },
    GradCase(name: "slice", inputs: [f64([4, 5])]) { b, x in try b.slice(x[0], start: [1, 0], end: [3, 4]) },
    GradCase(name: "sqrt", inputs: [f64([3, 4])], values: Draw.positive) { b, x in try b.sqrt(x[0]) },
    GradCase(name: "stop_gradient", inputs: [f64([3])], differentiable: false) { b, x in try b.stopGradient(x[0]) },
    GradCase(name: "sub/broadcast", inputs: [f64([2, 1, 3]), f64([4, 1])]) { b, x in try b.sub(x[0], x[1]) },
    GradCase(name: "tanh", inputs: [f64([3, 4])]) { b, x in try b.tanh(x[0]) },
    GradCase(name: "transpose", inputs: [f64([2, 3, 4])]) { b, x in try b.transpose(x[0], [2, 0, 1]) },
    GradCase(name: "upsample/nearest", inputs: [f64([1, 3, 4, 2])]) { b, x in try b.upsample(x[0], size: [6, 7], mode: .nearest) },
    GradCase(name: "upsample/bilinear", inputs: [f64([1, 3, 4, 2])]) { b, x in try b.upsample(x[0], size: [5, 9], mode: .bilinear) },
    GradCase(name: "upsample/bilinear_down", inputs: [f64([1, 6, 6, 1])]) { b, x in try b.upsample(x[0], size: [4, 4], mode: .bilinear) },
    GradCase(name: "upsample_backward", inputs: [f64([1, 5, 9, 2])]) { b, x in
        try b.upsampleBackward(x[0], inputShape: [1, 3, 4, 2], mode: .bilinear)
    },
    // Compositions (not registry ops): checked the same way.
    GradCase(name: "composite:softmax", inputs: [f64([3, 5])]) { b, x in try b.softmax(x[0], axis: 1) },
    GradCase(name: "composite:log_softmax", inputs: [f64([3, 5])]) { b, x in try b.logSoftmax(x[0], axis: 1) },
    GradCase(name: "composite:cross_entropy", inputs: [f64([4, 5]), i32([4])], values: Draw.indices) { b, x in
        try b.crossEntropy(logits: x[0], labels: x[1])
    },
    GradCase(name: "composite:l2_normalize", inputs: [f64([3, 4])]) { b, x in try b.l2Normalize(x[0], axis: 1) },
    GradCase(name: "composite:batch_norm_train", inputs: [f64([2, 3, 3, 4]), f64([4]), f64([4])]) { b, x in
        let rm = b.zeros(f64([4])), rv = b.constant(1, f64([4]))
        return try b.batchNorm(x[0], scale: x[1], shift: x[2], runningMean: rm, runningVar: rv, training: true).output
    },
    GradCase(name: "composite:batch_norm_eval", inputs: [f64([2, 3, 3, 4]), f64([4]), f64([4]), f64([4])], values: { i, t, rng in
        (0..<t.count).map { _ in i == 3 ? rng.uniform(0.5, 2) : rng.uniform(-1, 1) }
    }) { b, x in
        try b.batchNorm(x[0], scale: x[1], shift: x[2], runningMean: x[2], runningVar: x[3], training: false).output
    },
] + detectionGradCases
