// Cross-entropy between logits (N, C) and integer class labels (N,), averaged over the batch (PyTorch's
// F.cross_entropy with reduction="mean"). Labels select through a one-hot mask built from an iota constant, so
// the whole loss stays elementwise + reductions (fusable; no scatter in the backward pass).

import KilnIR

extension GraphBuilder {
    /// Mean over the batch of −log softmax(logits)[label].
    public mutating func crossEntropy(logits: ValueID, labels: ValueID) throws(ShapeError) -> ValueID {
        let lt = type(of: logits), yt = type(of: labels)
        guard lt.rank == 2, yt.shape == [lt.shape[0]], yt.dtype.isInteger else {
            throw ShapeError(op: "cross_entropy", inputs: [lt, yt],
                             message: "expects logits (N, C) and integer labels (N,)", location: location)
        }
        let classes = lt.shape[1]
        let iota = constant(values: (0..<classes).map(Double.init), TensorType(yt.dtype, [classes]))
        let oneHot = try cast(try equal(try reshape(labels, [lt.shape[0], 1]), iota), lt.dtype)
        let picked = try reduceSum(try mul(try logSoftmax(logits, axis: 1), oneHot), axes: [1])
        return try neg(try reduceMean(picked))
    }

    /// Cross-entropy against class 0 for every row — InfoNCE's form (MoCo: the positive logit comes first).
    public mutating func crossEntropyFirstClass(logits: ValueID) throws(ShapeError) -> ValueID {
        let lt = type(of: logits)
        guard lt.rank == 2, lt.shape[1] > 0 else {
            throw ShapeError(op: "cross_entropy", inputs: [lt], message: "expects logits (N, C)", location: location)
        }
        let first = try slice(try logSoftmax(logits, axis: 1), axis: 1, 0..<1)
        return try neg(try reduceMean(first))
    }
}
