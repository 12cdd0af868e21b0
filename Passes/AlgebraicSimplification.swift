// Algebraic simplification: a table of named local rewrite rules (after tinygrad's `pm_*` pattern tables).
//
// Contract: each rule looks at one node (operands already rewritten) and returns the value that replaces it, or nil
// when it does not apply. A replacement always has exactly the node's type — an identity such as x + 0 → x only
// fires when x already has the result's shape (x + 0 where 0 broadcasts x to a bigger shape is not x). Rules:
//
//   mul_one              x·1, 1·x → x
//   add_zero             x+0, 0+x → x
//   sub_zero             x−0 → x
//   div_one              x/1 → x
//   neg_neg              neg(neg(x)) → x
//   reshape_noop         reshape(x) to x's own shape → x
//   reshape_reshape      reshape(reshape(x)) → reshape(x), or x
//   transpose_noop       transpose(x) by the identity permutation → x
//   transpose_transpose  transpose(transpose(x)) → one transpose, or x when they cancel
//   broadcast_noop       broadcast(x) to x's own shape → x
//   broadcast_broadcast  broadcast(broadcast(x)) → broadcast(x)
//   broadcast_reshape    broadcast(reshape(x)) → broadcast(x) when the reshape only adds or drops leading 1s
//   cast_noop            cast(x) to x's dtype → x
//   stop_gradient_stop_gradient   stop_gradient(stop_gradient(x)) → stop_gradient(x)
//   elementwise_broadcast_operand  f(broadcast(x), y) → f(x, y) for an elementwise f when the implicit
//                        broadcasting of f gives the same result type (no broadcast tensor is materialised); a
//                        splat constant operand likewise becomes a scalar constant
//   reduce_sum_broadcast   reduce_sum(broadcast(x)) over the broadcast axes → x·n (x when n = 1); over those axes
//                        and more → reduce_sum(x over the rest)·n. Reshaped when only axes of size 1 differ.
//   reduce_mean_broadcast  reduce_mean(broadcast(x)) likewise → x, or reduce_mean(x over the rest)
//
// The reduce and broadcast rules undo what autodiff leaves behind: a cotangent reshaped and broadcast back over
// reduced axes (ReduceShape.broadcastBack) and then summed down to an operand's shape (GraphBuilder.sumTo).
// Deliberately absent: x·0 → 0 (wrong when x is inf or NaN). x + 0 → x keeps a −0 that the addition would have
// made +0: the sign of a zero is the only possible difference. No rule duplicates work: a replacement reads the
// matched node's operands and never recomputes a node that other users still need.
// With KILN_VERBOSE=1 every rewrite is logged as "algebraic: <rule> at %N" (N is the node's id in the graph the
// pass received).

import KilnIR
import KilnOps

public struct AlgebraicSimplification: Pass {
    public var name: String { "algebraic" }
    public init() {}

    public func run(_ graph: Graph) throws -> Graph {
        let verbose = PassLog.verbose
        return try GraphRewriter.rewrite(graph, pass: name) { rw, node in
            for rule in AlgebraicRule.table[node.op] ?? [] {
                if let replacement = try rule.apply(node, &rw) {
                    if verbose { PassLog.write("algebraic: \(rule.name) at \(rw.sourceID)") }
                    return replacement
                }
            }
            return rw.keep(node)
        }
    }
}

/// One named rewrite of a node whose op is `op`.
struct AlgebraicRule {
    var name: String
    var op: String
    var apply: (Node, inout GraphRewriter) throws -> ValueID?

    /// Rules by the op they match.
    static let table: [String: [AlgebraicRule]] = Dictionary(grouping: all, by: \.op)

    /// Names of the elementwise ops (they broadcast their operands implicitly; only ElementwiseOp conformers have
    /// this fusion kind).
    static let elementwiseOps = OpRegistry.all.filter { $0.fusion == .elementwise }.map { $0.name }

    static let all: [AlgebraicRule] = [
        AlgebraicRule(name: "mul_one", op: Mul.name) { n, rw in identity(n, rw, unit: 1, at: [1, 0]) },
        AlgebraicRule(name: "add_zero", op: Add.name) { n, rw in identity(n, rw, unit: 0, at: [1, 0]) },
        AlgebraicRule(name: "sub_zero", op: Sub.name) { n, rw in identity(n, rw, unit: 0, at: [1]) },
        AlgebraicRule(name: "div_one", op: Div.name) { n, rw in identity(n, rw, unit: 1, at: [1]) },
        AlgebraicRule(name: "neg_neg", op: Neg.name, apply: negNeg),
        AlgebraicRule(name: "reshape_noop", op: Reshape.name, apply: reshapeNoop),
        AlgebraicRule(name: "reshape_reshape", op: Reshape.name, apply: reshapeReshape),
        AlgebraicRule(name: "transpose_noop", op: Transpose.name, apply: transposeNoop),
        AlgebraicRule(name: "transpose_transpose", op: Transpose.name, apply: transposeTranspose),
        AlgebraicRule(name: "broadcast_noop", op: Broadcast.name, apply: broadcastNoop),
        AlgebraicRule(name: "broadcast_broadcast", op: Broadcast.name, apply: broadcastBroadcast),
        AlgebraicRule(name: "broadcast_reshape", op: Broadcast.name, apply: broadcastReshape),
        AlgebraicRule(name: "cast_noop", op: Cast.name, apply: castNoop),
        AlgebraicRule(name: "stop_gradient_stop_gradient", op: StopGradient.name, apply: stopGradientTwice),
        AlgebraicRule(name: "reduce_sum_broadcast", op: ReduceSum.name) { n, rw in try reduceOfBroadcast(n, &rw, scaleByCopies: true) },
        AlgebraicRule(name: "reduce_mean_broadcast", op: ReduceMean.name) { n, rw in try reduceOfBroadcast(n, &rw, scaleByCopies: false) },
    ] + elementwiseOps.map { op in
        AlgebraicRule(name: "elementwise_broadcast_operand", op: op, apply: absorbBroadcastOperands)
    }
}

// MARK: - Rules

/// For a binary op with an identity element `unit`: the other operand, when the operand at one of `positions` is a
/// splat constant equal to `unit` and the other operand already has the result's type (both positions for
/// commutative ops, only the right one for sub and div).
private func identity(_ n: Node, _ rw: GraphRewriter, unit: Double, at positions: [Int]) -> ValueID? {
    for k in positions {
        let other = n.inputs[1 - k]
        if ConstantValue.splat(rw.node(n.inputs[k])) == unit, rw.type(of: other) == n.type { return other }
    }
    return nil
}

/// neg(neg(x)) → x.
private func negNeg(_ n: Node, _ rw: inout GraphRewriter) -> ValueID? {
    let inner = rw.node(n.inputs[0])
    return inner.op == Neg.name ? inner.inputs[0] : nil
}

/// reshape(x) to x's own shape → x.
private func reshapeNoop(_ n: Node, _ rw: inout GraphRewriter) -> ValueID? {
    rw.type(of: n.inputs[0]) == n.type ? n.inputs[0] : nil
}

/// reshape(reshape(x)) → reshape(x), or x when that is x's own shape.
private func reshapeReshape(_ n: Node, _ rw: inout GraphRewriter) throws -> ValueID? {
    let inner = rw.node(n.inputs[0])
    guard inner.op == Reshape.name else { return nil }
    let x = inner.inputs[0]
    if rw.type(of: x) == n.type { return x }
    return try rw.emit(Reshape.self, [x], n.attributes)
}

private func isIdentity(_ permutation: [Int]) -> Bool { permutation == Array(permutation.indices) }

/// transpose(x) by the identity permutation → x.
private func transposeNoop(_ n: Node, _ rw: inout GraphRewriter) throws -> ValueID? {
    isIdentity(try n.attributes.ints("permutation")) ? n.inputs[0] : nil
}

/// transpose(transpose(x, p), q) → transpose(x, p∘q), where output axis i reads x's axis p[q[i]]; x when that is
/// the identity.
private func transposeTranspose(_ n: Node, _ rw: inout GraphRewriter) throws -> ValueID? {
    let inner = rw.node(n.inputs[0])
    guard inner.op == Transpose.name else { return nil }
    let p = try inner.attributes.ints("permutation"), q = try n.attributes.ints("permutation")
    let composed = q.map { p[$0] }
    if isIdentity(composed) { return inner.inputs[0] }
    return try rw.emit(Transpose.self, [inner.inputs[0]], ["permutation": .ints(composed)])
}

/// broadcast(x) to x's own shape → x.
private func broadcastNoop(_ n: Node, _ rw: inout GraphRewriter) -> ValueID? {
    rw.type(of: n.inputs[0]) == n.type ? n.inputs[0] : nil
}

/// broadcast(broadcast(x)) → broadcast(x): broadcasting composes (a shape that broadcasts to s, where s broadcasts
/// to t, broadcasts to t).
private func broadcastBroadcast(_ n: Node, _ rw: inout GraphRewriter) throws -> ValueID? {
    let inner = rw.node(n.inputs[0])
    guard inner.op == Broadcast.name else { return nil }
    return try rw.emit(Broadcast.self, [inner.inputs[0]], n.attributes)
}

/// cast(x) to x's own dtype → x.
private func castNoop(_ n: Node, _ rw: inout GraphRewriter) -> ValueID? {
    rw.type(of: n.inputs[0]) == n.type ? n.inputs[0] : nil
}

/// stop_gradient(stop_gradient(x)) → stop_gradient(x).
private func stopGradientTwice(_ n: Node, _ rw: inout GraphRewriter) -> ValueID? {
    rw.node(n.inputs[0]).op == StopGradient.name ? n.inputs[0] : nil
}

/// broadcast(reshape(x)) → broadcast(x) when the reshape only adds or drops leading axes of size 1: broadcasting
/// aligns shapes from the right, so x broadcasts to the same result.
private func broadcastReshape(_ n: Node, _ rw: inout GraphRewriter) throws -> ValueID? {
    let inner = rw.node(n.inputs[0])
    guard inner.op == Reshape.name else { return nil }
    let x = inner.inputs[0]
    let dropLeadingOnes = { (shape: [Int]) in Array(shape.drop(while: { $0 == 1 })) }
    guard dropLeadingOnes(rw.type(of: x).shape) == dropLeadingOnes(inner.type.shape) else { return nil }
    return try rw.emit(Broadcast.self, [x], n.attributes)
}

/// f(…, broadcast(x), …) → f(…, x, …) for an elementwise f, operand by operand, wherever f's own broadcasting gives
/// the same result type: broadcasting composes, so every output element reads the same element of x. A splat
/// constant that is not a scalar counts as a broadcast scalar (folding leaves such constants behind).
private func absorbBroadcastOperands(_ n: Node, _ rw: inout GraphRewriter) throws -> ValueID? {
    guard let op = OpRegistry.op(named: n.op) else { return nil }
    var operandTypes = n.inputs.map { rw.type(of: $0) }
    var replacements: [Int: ValueID] = [:]
    var scalars: [Int: HostTensor] = [:]
    for k in n.inputs.indices {
        let operand = rw.node(n.inputs[k])
        var candidate = operandTypes
        if operand.op == Broadcast.name {
            candidate[k] = rw.type(of: operand.inputs[0])
        } else if !operand.type.isScalar, let v = ConstantValue.splat(operand) {
            candidate[k] = TensorType(operand.type.dtype, [])
            scalars[k] = HostTensor(scalar: v, dtype: operand.type.dtype)
        } else {
            continue
        }
        if inferredType(op, candidate, n.attributes) == n.type {
            operandTypes = candidate
            if scalars[k] == nil { replacements[k] = operand.inputs[0] }
        } else {
            scalars[k] = nil
        }
    }
    if replacements.isEmpty && scalars.isEmpty { return nil }
    var inputs = n.inputs
    for (k, x) in replacements { inputs[k] = x }
    for (k, value) in scalars.sorted(by: { $0.key < $1.key }) { inputs[k] = rw.constant(value) }
    return try rw.emit(op, inputs, n.attributes)
}

/// The op's result type for these operands, or nil when they do not fit.
private func inferredType(_ op: any Op.Type, _ inputs: [TensorType], _ attributes: Attributes) -> TensorType? {
    do { return try op.inferType(inputs, attributes) } catch { return nil }
}

/// reduce_sum / reduce_mean of broadcast(x) over axes that include every axis the broadcast expanded. Each output
/// element then reduces n copies of each of some elements of x: the sum is (x reduced over the remaining axes)·n,
/// the mean is x's mean over the remaining axes. The result differs from the node's shape only by axes of size 1
/// (same element order), hence a reshape when the shapes differ.
private func reduceOfBroadcast(_ n: Node, _ rw: inout GraphRewriter, scaleByCopies: Bool) throws -> ValueID? {
    let inner = rw.node(n.inputs[0])
    guard inner.op == Broadcast.name, n.type.dtype != .bool, let op = OpRegistry.op(named: n.op) else { return nil }
    let x = inner.inputs[0]
    let axes = try ReduceShape.axes(inner.type, n.attributes, op: n.op)
    guard let split = BroadcastReduction(source: rw.type(of: x).shape, target: inner.type.shape, axes: axes) else {
        return nil
    }
    var result = x
    if !split.remainingAxes.isEmpty {
        result = try rw.emit(op, [x], ["axes": .ints(split.remainingAxes), "keepdims": .bool(true)])
    }
    if scaleByCopies, split.copies != 1 {
        let factor = rw.constant(HostTensor(scalar: Double(split.copies), dtype: rw.type(of: x).dtype))
        result = try rw.emit(Mul.self, [result, factor])
    }
    if rw.type(of: result) != n.type { result = try rw.emit(Reshape.self, [result], ["shape": .ints(n.type.shape)]) }
    return result
}

/// How a reduction over `axes` of a broadcast from `source` to `target` splits: `copies` is how many copies of
/// each source element every output element reduces (the product of the expanded axes), `remainingAxes` the axes
/// of the source itself that are still reduced. Nil when some expanded axis is not reduced (the result would still
/// be a broadcast).
struct BroadcastReduction: Equatable {
    var copies: Int
    var remainingAxes: [Int]

    init?(source: [Int], target: [Int], axes: [Int]) {
        let offset = target.count - source.count
        copies = 1
        remainingAxes = []
        for d in target.indices {
            let expanded = target[d] != 1 && (d < offset || source[d - offset] == 1)
            let reduced = axes.contains(d)
            if expanded && !reduced { return nil }
            if expanded { copies *= target[d] } else if reduced && target[d] != 1 { remainingAxes.append(d - offset) }
        }
    }
}
