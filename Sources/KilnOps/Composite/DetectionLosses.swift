// Detection losses as compositions of elementwise ops and reductions (fusable; gradients by autodiff):
// - binary cross-entropy with logits, in the overflow-free form max(x, 0) − x·t + log(1 + exp(−|x|))
//   (PyTorch's F.binary_cross_entropy_with_logits; Mask R-CNN's mask loss takes the mean);
// - sigmoid focal loss (fvcore.nn.sigmoid_focal_loss): ce · (1 − p_t)^γ · α_t with p = σ(x),
//   p_t = p·t + (1 − p)(1 − t), α_t = α·t + (1 − α)(1 − t) (α < 0 disables it); RetinaNet sums it;
// - smooth L1 (fvcore.nn.smooth_l1_loss): |d| < β ? 0.5 d² / β : |d| − 0.5 β with d = input − target, and plain
//   |d| when β < 1e-5 (detectron2's RPN, RoI box head and RetinaNet use β = 0).
// Optional `weights` (broadcastable to the loss) multiply it elementwise before the reduction: masks of valid
// anchors or foreground RoIs. `.mean` divides by the element count, like PyTorch's reduction="mean".

import KilnIR

/// How an elementwise loss is reduced.
public enum LossReduction: String, Sendable, CaseIterable {
    /// The elementwise loss itself.
    case none
    case sum
    case mean
}

extension GraphBuilder {
    /// Binary cross-entropy between logits and targets in [0, 1] (same shape), reduced as asked.
    public mutating func binaryCrossEntropyWithLogits(logits: ValueID, targets: ValueID, weights: ValueID? = nil,
                                                      reduction: LossReduction = .mean) throws(ShapeError) -> ValueID {
        try checkSameType(logits, targets, loss: "binary_cross_entropy_with_logits")
        return try reduceLoss(try elementwiseBCE(logits, targets), weights, reduction)
    }

    /// fvcore's sigmoid focal loss between logits and targets in [0, 1] (same shape); RetinaNet: α 0.25, γ 2, sum.
    public mutating func sigmoidFocalLoss(logits: ValueID, targets: ValueID, alpha: Double = 0.25, gamma: Double = 2,
                                          weights: ValueID? = nil, reduction: LossReduction = .sum) throws(ShapeError) -> ValueID {
        try checkSameType(logits, targets, loss: "sigmoid_focal_loss")
        guard gamma >= 0, gamma.isFinite else {
            throw ShapeError(op: "sigmoid_focal_loss", inputs: [type(of: logits)], message: "gamma \(gamma) must be ≥ 0", location: location)
        }
        let dtype = type(of: logits).dtype
        let one = scalar(1, dtype)
        let p = try sigmoid(logits)
        let notP = try sub(one, p), notT = try sub(one, targets)
        let pt = try add(try mul(p, targets), try mul(notP, notT))
        var loss = try elementwiseBCE(logits, targets)
        if gamma != 0 {
            let base = try sub(one, pt)
            var modulation = base
            if gamma == gamma.rounded(), gamma <= 4 {
                for _ in 1..<Int(gamma) { modulation = try mul(modulation, base) }
            } else {
                modulation = try pow(base, scalar(gamma, dtype))
            }
            loss = try mul(loss, modulation)
        }
        if alpha >= 0 {
            let alphaT = try add(try mul(scalar(alpha, dtype), targets), try mul(scalar(1 - alpha, dtype), notT))
            loss = try mul(loss, alphaT)
        }
        return try reduceLoss(loss, weights, reduction)
    }

    /// fvcore's smooth L1 loss between input and target (same shape); β = 0 gives L1.
    public mutating func smoothL1Loss(_ input: ValueID, _ target: ValueID, beta: Double, weights: ValueID? = nil,
                                      reduction: LossReduction = .sum) throws(ShapeError) -> ValueID {
        try checkSameType(input, target, loss: "smooth_l1_loss")
        guard beta >= 0, beta.isFinite else {
            throw ShapeError(op: "smooth_l1_loss", inputs: [type(of: input)], message: "beta \(beta) must be ≥ 0", location: location)
        }
        let dtype = type(of: input).dtype
        let n = try abs(try sub(input, target))
        var loss = n
        if beta >= 1e-5 {
            let quadratic = try mul(try mul(n, n), scalar(0.5 / beta, dtype))
            loss = try select(try less(n, scalar(beta, dtype)), quadratic, try sub(n, scalar(0.5 * beta, dtype)))
        }
        return try reduceLoss(loss, weights, reduction)
    }

    /// max(x, 0) − x·t + log(1 + exp(−|x|)).
    private mutating func elementwiseBCE(_ x: ValueID, _ t: ValueID) throws(ShapeError) -> ValueID {
        let dtype = type(of: x).dtype
        let softplus = try log(try add(scalar(1, dtype), try exp(try neg(try abs(x)))))
        return try add(try sub(try relu(x), try mul(x, t)), softplus)
    }

    private mutating func reduceLoss(_ loss: ValueID, _ weights: ValueID?, _ reduction: LossReduction) throws(ShapeError) -> ValueID {
        var weighted = loss
        if let weights { weighted = try mul(loss, weights) }
        switch reduction {
        case .none: return weighted
        case .sum: return try reduceSum(weighted)
        case .mean: return try reduceMean(weighted)
        }
    }

    private func checkSameType(_ a: ValueID, _ b: ValueID, loss: String) throws(ShapeError) {
        let at = type(of: a), bt = type(of: b)
        guard at == bt, at.dtype.isFloatingPoint else {
            throw ShapeError(op: loss, inputs: [at, bt], message: "expects two floating-point operands of the same type", location: location)
        }
    }
}
