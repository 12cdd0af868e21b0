// The reverse-mode core: walks nodes in reverse order, asks each op for its VJP and accumulates cotangents,
// summing broadcast cotangents down to operand shapes in one place. The autodiff pass (Passes/Gradient.swift)
// drives it for whole graphs; fused nodes use it for their bodies.

import KilnIR

public enum ReverseSweep {
    /// Appends backward nodes to `b` and returns the cotangent of every value reachable backwards from `seeds`
    /// (nil where no gradient flows). `seeds` maps values to their initial cotangents. Only values in `range` are
    /// differentiated through; `needed[v]` (when given) limits work to values on a path to the requested ones.
    public static func run(_ b: inout GraphBuilder, range: Range<Int>, seeds: [ValueID: ValueID],
                           needed: [Bool]? = nil) throws -> [ValueID?] {
        var cotangent = [ValueID?](repeating: nil, count: b.graph.nodes.count)
        for (v, g) in seeds { cotangent[v.index] = try accumulate(cotangent[v.index], g, &b) }
        for i in range.reversed() {
            guard let g = cotangent[i] else { continue }
            let node = b.graph.nodes[i]
            guard !node.isLeaf, let op = OpRegistry.op(named: node.op) else { continue }
            let inputTypes = node.inputs.map { b.type(of: $0) }
            let wants = zip(node.inputs, inputTypes).map { input, type in
                type.dtype.isFloatingPoint && (needed?[input.index] ?? true)
            }
            guard wants.contains(true) else { continue }
            let savedLocation = b.location
            b.location = node.location
            defer { b.location = savedLocation }
            let grads = try op.vjp(VJPContext(node: node, output: ValueID(i), grad: g, inputTypes: inputTypes, wants: wants), &b)
            guard grads.count == node.inputs.count else {
                throw ShapeError(op: node.op, inputs: inputTypes, message: "VJP returned \(grads.count) cotangents for \(node.inputs.count) operands")
            }
            for (k, input) in node.inputs.enumerated() {
                guard wants[k], let gk = grads[k] else { continue }
                let reduced = try b.sumTo(gk, inputTypes[k].shape)
                if cotangent.count < b.graph.nodes.count {
                    cotangent.append(contentsOf: [ValueID?](repeating: nil, count: b.graph.nodes.count - cotangent.count))
                }
                cotangent[input.index] = try accumulate(cotangent[input.index], reduced, &b)
            }
        }
        return cotangent
    }

    /// Fan-out: a value used several times gets the sum of its cotangents.
    private static func accumulate(_ existing: ValueID?, _ g: ValueID, _ b: inout GraphBuilder) throws -> ValueID {
        guard let existing else { return g }
        return try b.add(existing, g)
    }
}
