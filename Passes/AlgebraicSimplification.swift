// Algebraic simplification: a table of named local rewrite rules (after tinygrad's `pm_*` pattern tables).
//
// Contract: each rule looks at one node (operands already rewritten) and returns the value that replaces it, or nil
// when it does not apply. A replacement always has exactly the node's type — an identity such as x + 0 → x only
// fires when x already has the result's shape (x + 0 where 0 broadcasts x to a bigger shape is not x). Rules:
//
//   mul_one           x·1, 1·x → x              neg_neg          neg(neg(x)) → x
//   add_zero          x+0, 0+x → x              reshape_reshape  reshape(reshape(x)) → reshape(x)
//   sub_zero          x−0 → x                   reshape_noop     reshape(x) to x's own shape → x
//   div_one           x/1 → x                   transpose_transpose  transpose(transpose(x)) → one transpose, or x
//   cast_noop         cast(x) to x's dtype → x  transpose_noop   transpose(x) by the identity → x
//   broadcast_noop    broadcast(x) to x's shape → x
//   broadcast_broadcast   broadcast(broadcast(x)) → broadcast(x)
//   stop_gradient_stop_gradient   stop_gradient(stop_gradient(x)) → stop_gradient(x)
//   reduce_sum_broadcast   reduce_sum(broadcast(x)) over exactly the broadcast axes → x·n (x when n = 1), reshaped
//   reduce_mean_broadcast  reduce_mean(broadcast(x)) over exactly the broadcast axes → x, reshaped
//
// The last two undo what autodiff leaves behind: a cotangent broadcast back over reduced axes
// (ReduceShape.broadcastBack) and then summed down to an operand's shape (GraphBuilder.sumTo).
// Deliberately absent: x·0 → 0 (wrong when x is inf or NaN). x + 0 → x keeps a −0 that the addition would have
// made +0: the sign of a zero is the only possible difference. With KILN_VERBOSE=1 every rewrite is logged as "algebraic: <rule> at %N" (N
// is the node's id in the graph the pass received).

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
        AlgebraicRule(name: "cast_noop", op: Cast.name, apply: castNoop),
        AlgebraicRule(name: "stop_gradient_stop_gradient", op: StopGradient.name, apply: stopGradientTwice),
        AlgebraicRule(name: "reduce_sum_broadcast", op: ReduceSum.name) { n, rw in try reduceOfBroadcast(n, &rw, scaleByCopies: true) },
        AlgebraicRule(name: "reduce_mean_broadcast", op: ReduceMean.name) { n, rw in try reduceOfBroadcast(n, &rw, scaleByCopies: false) },
    ]
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

/// reduce_sum / reduce_mean of broadcast(x) over exactly the axes the broadcast expanded: every output element is
/// the sum (or mean) of n copies of one element of x, so the result is x·n (or x) — in x's element order, since
/// the two shapes differ only by axes of size 1, hence a reshape when the shapes differ.
private func reduceOfBroadcast(_ n: Node, _ rw: inout GraphRewriter, scaleByCopies: Bool) throws -> ValueID? {
    let inner = rw.node(n.inputs[0])
    guard inner.op == Broadcast.name, n.type.dtype != .bool else { return nil }
    let x = inner.inputs[0]
    let axes = try ReduceShape.axes(inner.type, n.attributes, op: n.op)
    guard let copies = copiesUndone(from: rw.type(of: x).shape, to: inner.type.shape, axes: axes) else { return nil }
    var result = x
    if scaleByCopies, copies != 1 {
        let factor = rw.constant(HostTensor(scalar: Double(copies), dtype: rw.type(of: x).dtype))
        result = try rw.emit(Mul.self, [x, factor])
    }
    if rw.type(of: result) != n.type { result = try rw.emit(Reshape.self, [result], ["shape": .ints(n.type.shape)]) }
    return result
}

/// When reducing a broadcast from `source` to `target` over `axes` removes exactly the broadcast — every axis the
/// broadcast expanded is reduced, and every other reduced axis has size 1 — the number of copies of each source
/// element that were summed; else nil.
func copiesUndone(from source: [Int], to target: [Int], axes: [Int]) -> Int? {
    let offset = target.count - source.count
    var copies = 1
    for d in target.indices {
        let expanded = target[d] != 1 && (d < offset || source[d - offset] == 1)
        let reduced = axes.contains(d)
        if expanded != reduced && target[d] != 1 { return nil }
        if reduced { copies *= target[d] }
    }
    return copies
}
