// Softmax and log-softmax as compositions of primitives (architecture brief §3). The max is subtracted for
// stability; it is wrapped in stop_gradient because softmax does not depend on the shift.

import KilnIR

extension GraphBuilder {
    /// exp(x) / Σ exp(x) along `axis`.
    public mutating func softmax(_ x: ValueID, axis: Int = -1) throws(ShapeError) -> ValueID {
        let shifted = try sub(x, try stopGradient(try reduceMax(x, axes: [axis], keepdims: true)))
        let e = try exp(shifted)
        return try div(e, try reduceSum(e, axes: [axis], keepdims: true))
    }

    /// x − log Σ exp(x) along `axis`, computed stably.
    public mutating func logSoftmax(_ x: ValueID, axis: Int = -1) throws(ShapeError) -> ValueID {
        let shifted = try sub(x, try stopGradient(try reduceMax(x, axes: [axis], keepdims: true)))
        return try sub(shifted, try log(try reduceSum(try exp(shifted), axes: [axis], keepdims: true)))
    }
}
