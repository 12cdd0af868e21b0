// L2 normalisation x / max(‖x‖₂, ε) along an axis (PyTorch's F.normalize).

import KilnIR

extension GraphBuilder {
    public mutating func l2Normalize(_ x: ValueID, axis: Int = -1, epsilon: Double = 1e-12) throws(ShapeError) -> ValueID {
        let norm = try sqrt(try reduceSum(try mul(x, x), axes: [axis], keepdims: true))
        return try div(x, try maximum(norm, scalar(epsilon, type(of: x).dtype)))
    }
}
