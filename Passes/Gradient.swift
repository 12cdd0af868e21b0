// Reverse-mode autodiff as a graph → graph transformation.
//
// Contract: given a scalar floating-point `loss` and values `wrt`, appends the backward nodes and returns one
// gradient value per `wrt` entry (a zero constant where the loss does not depend on it). The forward nodes are
// untouched. Stages: (1) mark values that depend on some `wrt` (forward reachability); (2) seed d loss = 1;
// (3) reverse sweep over the forward nodes asking each op for its VJP (KilnOps/Core/ReverseSweep.swift), summing
// fan-out and un-broadcasting cotangents in one place. Only cotangents on a path from `wrt` to `loss` are built.

import KilnIR
import KilnOps

public enum Autodiff {
    public static func gradients(of loss: ValueID, wrt: [ValueID], in b: inout GraphBuilder) throws -> [ValueID] {
        let lossType = b.type(of: loss)
        guard lossType.isScalar, lossType.dtype.isFloatingPoint else {
            throw ShapeError(op: "gradients", inputs: [lossType], message: "the loss must be a floating-point scalar",
                             location: b.location)
        }
        let forwardCount = b.graph.nodes.count
        var dependsOnWrt = [Bool](repeating: false, count: forwardCount)
        for v in wrt { dependsOnWrt[v.index] = true }
        for (i, node) in b.graph.nodes.enumerated() where !dependsOnWrt[i] && node.op != StopGradient.name {
            dependsOnWrt[i] = node.inputs.contains { dependsOnWrt[$0.index] }
        }
        let seed = b.constant(1, lossType)
        let cotangents = try ReverseSweep.run(&b, range: 0..<forwardCount, seeds: [loss: seed], needed: dependsOnWrt)
        return wrt.map { v in cotangents[v.index] ?? b.zeros(b.type(of: v)) }
    }
}

extension GraphBuilder {
    /// d loss / d each of `wrt`, appended to this graph.
    public mutating func gradients(of loss: ValueID, wrt: [ValueID]) throws -> [ValueID] {
        try Autodiff.gradients(of: loss, wrt: wrt, in: &self)
    }
}

/// Autodiff as a pass over a whole graph: differentiates the output named `loss` with respect to the named states
/// and adds outputs `grad.<state name>`.
public struct Gradient: Pass {
    public var loss: String
    public var wrt: [String]
    public var name: String { "gradient" }

    public init(loss: String = "loss", wrt: [String]) {
        self.loss = loss
        self.wrt = wrt
    }

    public func run(_ graph: Graph) throws -> Graph {
        guard let lossValue = graph.output(named: loss) else {
            throw ShapeError(op: "gradients", inputs: [], message: "the graph has no output named '\(loss)'")
        }
        var ids: [ValueID] = []
        for name in wrt {
            guard let id = graph.leaf(named: name, .state) ?? graph.leaf(named: name, .input) else {
                throw ShapeError(op: "gradients", inputs: [], message: "no state or input named '\(name)'")
            }
            ids.append(id)
        }
        var b = GraphBuilder(graph: graph)
        let grads = try b.gradients(of: lossValue, wrt: ids)
        for (name, g) in zip(wrt, grads) { b.output("grad.\(name)", g) }
        return b.graph
    }
}
