// Constant folding.
//
// Contract: a node whose operands are all constants and whose result has at most `maxElements` elements (4096: a
// folded constant is stored in the graph, so graphs stay small) is evaluated once with its op's reference kernel
// and replaced by a constant — a splat `value` when every element is the same, else `values`. Operands and result
// are rounded to their dtype exactly as the interpreter does (`HostTensor.rounded()`), so folding never changes
// what the graph computes. Constants written as `values` whose elements are all equal become splats, so that CSE
// can merge them with equal splats.
//
// Never folded: random ops (folding would freeze one draw into the graph; keeping them as ops keeps the seed and
// counter visible), anything reading an input or a state (its operands are not all constants), and ops with no
// operands at all (nothing to fold from). With KILN_VERBOSE=1 each fold is logged as "fold: <op> at %N".

import KilnIR
import KilnOps

public struct ConstantFolding: Pass {
    public var name: String { "fold" }
    /// The largest result, in elements, that is folded.
    public var maxElements: Int

    public init(maxElements: Int = 4096) { self.maxElements = maxElements }

    /// Ops whose values are draws from a random stream; they are never folded.
    static let randomOps: Set<String> = [RandomUniform.name, RandomNormal.name]

    public func run(_ graph: Graph) throws -> Graph {
        let verbose = PassLog.verbose
        return try GraphRewriter.rewrite(graph, pass: name) { rw, node in
            if node.op == LeafOp.constant.rawValue { return try canonicalConstant(node, &rw) }
            guard let value = try foldedValue(node, rw) else { return rw.keep(node) }
            if verbose { PassLog.write("fold: \(node.op) at \(rw.sourceID)") }
            return rw.constant(value)
        }
    }

    /// The node's value when it can be folded, else nil.
    func foldedValue(_ node: Node, _ rw: GraphRewriter) throws -> HostTensor? {
        guard !node.isLeaf, !node.inputs.isEmpty, !Self.randomOps.contains(node.op), node.type.count <= maxElements,
              node.inputs.allSatisfy({ rw.node($0).op == LeafOp.constant.rawValue }),
              let op = OpRegistry.op(named: node.op) else { return nil }
        let operands = try node.inputs.map { id in
            HostTensor(rw.type(of: id), try ConstantValue.values(of: rw.node(id))).rounded()
        }
        let value = try op.reference(operands, node).rounded()
        guard value.type == node.type else {
            throw RewriteError(pass: name, node: rw.sourceID, message: "\(node.op) reference produced \(value.type), not \(node.type)")
        }
        return value
    }

    /// A `values` constant whose elements are all equal, rewritten as a splat.
    func canonicalConstant(_ node: Node, _ rw: inout GraphRewriter) throws -> ValueID {
        guard node.attributes["values"] != nil, node.type.count > 0 else { return rw.keep(node) }
        let values = try ConstantValue.values(of: node)
        guard values.allSatisfy({ $0.bitPattern == values[0].bitPattern }) else { return rw.keep(node) }
        return rw.constant(HostTensor(node.type, values))
    }
}
