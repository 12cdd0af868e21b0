// Fusion of elementwise chains and of reductions with their elementwise producers.
//
// Contract: rewrites groups of nodes into `fused` nodes whose body is the group (KilnOps/Core/Fused.swift) and
// whose kernel streams memory once (elementwise tile programs; reductions with an elementwise prologue). The
// graph computes the same values (up to floating-point reassociation inside reductions); outputs, assignments and
// every value used outside a group are unchanged.
//
// Stages:
//   1. Grouping (consumers in reverse order, after XLA's instruction fusion): an elementwise node, or a
//      reduce_sum / reduce_mean / reduce_max over contiguous axes, roots a group whose domain is its output shape (a
//      reduction's: its input shape). An operand joins the group when `shouldFuse` says so: it is elementwise with
//      exactly the domain shape (smaller shapes stay separate so they are not recomputed per element), every one of
//      its users is in the same group, and it is not a graph result. Broadcasts and splat constants always join.
//   2. Duplication: a materialised elementwise node whose users all sit in groups, and that reads at most one
//      domain-sized operand, is recomputed inside each of those groups instead of being stored (BN's x − mean feeds
//      the variance, the normalisation and the backward pass: recomputing it saves a write and a read per use).
//   3. Emission: each group with at least two elementwise instructions becomes one `fused` node at its root's place.
// Every rejection that keeps a domain-shaped elementwise producer out carries a reason, shown in dumps as
// `#nofuse(reason)`; fused nodes carry `#fused(kind:ops)`. KILN_VERBOSE=1 prints decisions to stderr.

import Foundation
import KilnIR
import KilnOps

/// The outcome of asking whether a producer may join a group (XLA's FusionDecision).
public enum FusionDecision: Equatable {
    case fuse
    case reject(String)
}

public struct Fusion: Pass {
    public var name: String { "fusion" }
    /// Upper bounds that keep bodies small enough for the tile evaluator's scratch.
    public var maxInstructions = 40
    public var maxInputs = 12
    public init() {}

    struct Group {
        var root: Int
        var domain: [Int]
        var isReduction: Bool
        /// Members in topological order of insertion (sorted before emission).
        var members: Set<Int>
    }

    public func run(_ graph: Graph) throws -> Graph {
        let users = graph.users()
        var isResult = [Bool](repeating: false, count: graph.nodes.count)
        for v in graph.rootValues { isResult[v.index] = true }
        var groupOf = [Int?](repeating: nil, count: graph.nodes.count)
        var groups: [Group] = []
        var rejections: [Int: String] = [:]
        let verbose = ProcessInfo.processInfo.environment["KILN_VERBOSE"] != nil

        // 1. Grouping.
        for r in graph.nodes.indices.reversed() {
            if groupOf[r] == nil, let (domain, isReduction) = rootDomain(graph, r) {
                groupOf[r] = groups.count
                groups.append(Group(root: r, domain: domain, isReduction: isReduction, members: [r]))
            }
            guard let g = groupOf[r] else { continue }
            for p in graph.nodes[r].inputs.map(\.index) where groupOf[p] == nil {
                switch shouldFuse(graph, p, into: groups[g], groupOf: groupOf, group: g, users: users, isResult: isResult) {
                case .fuse:
                    groupOf[p] = g
                    groups[g].members.insert(p)
                    rejections[p] = nil
                case .reject(let reason):
                    if isElementwise(graph.nodes[p]) { rejections[p] = reason }
                }
            }
        }

        // 2. Duplication of cheap shared producers into every group that uses them.
        var copies: [Int: [Int]] = [:]   // group → extra members recomputed there
        var duplicated = Set<Int>()
        var changed = true
        while changed {
            changed = false
            for p in graph.nodes.indices.reversed() where !duplicated.contains(p) && !isResult[p] {
                let node = graph.nodes[p]
                guard isElementwise(node), !users[p].isEmpty else { continue }
                // The computation to recompute: p alone, or the whole elementwise group p roots (its members).
                var members: [Int] = [p]
                if let own = groupOf[p] {
                    guard groups[own].root == p, !groups[own].isReduction else { continue }
                    members = groups[own].members.sorted()
                }
                // Every group that computes some user of p (a user may itself be recomputed in several groups).
                let userGroups = users[p].map { u -> [Int] in
                    (groupOf[u.index].map { [$0] } ?? []) + copies.filter { $0.value.contains(u.index) }.map(\.key)
                }
                guard userGroups.allSatisfy({ !$0.isEmpty }) else { continue }
                let targets = Set(userGroups.flatMap { $0 }).subtracting(groupOf[p].map { [$0] } ?? [])
                guard !targets.isEmpty, targets.allSatisfy({ node.type.shape == groups[$0].domain }) else { continue }
                // Recomputing must not read more than storing and reloading p would: at most one domain-sized
                // operand from outside the recomputed members.
                let memberSet = Set(members)
                let external = Set(members.flatMap { graph.nodes[$0].inputs.map(\.index) }).subtracting(memberSet)
                guard external.filter({ graph.nodes[$0].type.count == node.type.count }).count <= 1 else { continue }
                if let own = groupOf[p] {
                    for m in groups[own].members { groupOf[m] = nil }
                    groups[own].members = []
                }
                for g in targets { copies[g, default: []].append(contentsOf: members) }
                for m in members { duplicated.insert(m) }
                if verbose {
                    FileHandle.standardError.write(Data("fusion: %\(p) \(node.op) (\(members.count) nodes) recomputed in \(targets.count) groups\n".utf8))
                }
                rejections[p] = nil
                changed = true
            }
        }

        // 3. Emission: fused nodes at their roots; every other node is kept only if something kept reads it.
        var fusedAt: [Int: (Graph, [ValueID], String)] = [:]
        for (g, group) in groups.enumerated() where !group.members.isEmpty {
            let members = group.members.union(copies[g] ?? [])
            let instructions = members.filter { isElementwise(graph.nodes[$0]) }.count
            guard instructions >= (group.isReduction ? 1 : 2), members.count > 1 else { continue }
            let (body, inputs) = makeBody(graph, members: members.sorted(), root: group.root, domain: group.domain)
            guard inputs.count <= maxInputs, instructions <= maxInstructions, Fused.plan(body) != nil else {
                if verbose { FileHandle.standardError.write(Data("fusion: group at %\(group.root) not lowerable, left unfused\n".utf8)) }
                continue
            }
            let ops = members.sorted().map { graph.nodes[$0].op }.filter { $0 != LeafOp.constant.rawValue && $0 != Broadcast.name }
            let label = (group.isReduction ? "reduce:" : "loop:") + ops.joined(separator: ",")
            fusedAt[group.root] = (body, inputs, label)
            if verbose { FileHandle.standardError.write(Data("fusion: %\(group.root) ← \(label)\n".utf8)) }
        }
        var live = isResult
        for i in graph.nodes.indices.reversed() where live[i] {
            let reads = fusedAt[i]?.1 ?? graph.nodes[i].inputs
            for v in reads { live[v.index] = true }
        }

        var out = Graph(name: graph.name)
        var map = [ValueID?](repeating: nil, count: graph.nodes.count)
        for (i, node) in graph.nodes.enumerated() where live[i] {
            if let (body, inputs, label) = fusedAt[i] {
                let fused = Node(op: Fused.name, inputs: inputs.map { map[$0.index]! }, type: node.type,
                                 attributes: ["body": .graph(body)], location: node.location, annotations: ["fused(\(label))"])
                map[i] = out.append(fused)
            } else {
                var copy = node
                copy.inputs = node.inputs.map { map[$0.index]! }
                if let reason = rejections[i], !node.annotations.contains(where: { $0.hasPrefix("nofuse") }) {
                    copy.annotations.append("nofuse(\(reason))")
                    if verbose { FileHandle.standardError.write(Data("fusion: %\(i) \(node.op) not fused: \(reason)\n".utf8)) }
                }
                map[i] = out.append(copy)
            }
        }
        out.outputs = graph.outputs.map { GraphOutput(name: $0.name, value: map[$0.value.index]!) }
        out.assignments = graph.assignments.map { Assignment(state: map[$0.state.index]!, value: map[$0.value.index]!) }
        return out
    }

    func isElementwise(_ node: Node) -> Bool {
        !node.isLeaf && OpRegistry.op(named: node.op) is any ElementwiseOp.Type
    }

    /// The domain a node would fuse over as a group root, or nil when it cannot root a group.
    func rootDomain(_ graph: Graph, _ i: Int) -> ([Int], Bool)? {
        let node = graph.nodes[i]
        if isElementwise(node) { return (node.type.shape, false) }
        if [ReduceSum.name, ReduceMean.name, ReduceMax.name].contains(node.op), node.type.dtype == .f32,
           let input = node.inputs.first,
           let axes = try? ReduceShape.axes(graph.type(of: input), node.attributes, op: node.op),
           ReductionLayout(domain: graph.type(of: input).shape, axes: axes) != nil {
            return (graph.type(of: input).shape, true)
        }
        return nil
    }

    /// May producer `p` join `group`?
    func shouldFuse(_ graph: Graph, _ p: Int, into group: Group, groupOf: [Int?], group g: Int,
                    users: [[ValueID]], isResult: [Bool]) -> FusionDecision {
        let node = graph.nodes[p]
        if node.op == LeafOp.constant.rawValue {
            return ConstantValue.splat(node) != nil && users[p].allSatisfy({ groupOf[$0.index] == g }) && !isResult[p]
                ? .fuse : .reject("not a splat constant")
        }
        if node.isLeaf { return .reject("\(node.op) is a leaf") }
        if node.op == Broadcast.name {
            guard Shape.broadcasts(node.type.shape, to: group.domain) else { return .reject("broadcast outside the domain") }
            return users[p].allSatisfy({ groupOf[$0.index] == g }) && !isResult[p] ? .fuse : .reject("broadcast used elsewhere")
        }
        guard isElementwise(node) else { return .reject("\(node.op) is not elementwise") }
        guard node.type.shape == group.domain else {
            return .reject("shape \(node.type.shape) differs from the fused domain \(group.domain)")
        }
        if isResult[p] { return .reject("value is a graph output or is assigned to a state") }
        if let outside = users[p].first(where: { groupOf[$0.index] != g }) {
            return .reject("also used by \(graph.nodes[outside.index].op) outside the group")
        }
        return .fuse
    }

    /// Operands copied into every body that reads them instead of becoming inputs: splat constants, and broadcasts
    /// of a value (the body reads the broadcast's operand with a broadcasting loader).
    func inlinable(_ graph: Graph, _ i: Int, domain: [Int]) -> Bool {
        let node = graph.nodes[i]
        if node.op == LeafOp.constant.rawValue { return ConstantValue.splat(node) != nil }
        return node.op == Broadcast.name && Shape.broadcasts(node.type.shape, to: domain)
    }

    /// The body graph of a group: external operands become inputs "0", "1", ... in order of first use.
    func makeBody(_ graph: Graph, members: [Int], root: Int, domain: [Int]) -> (Graph, [ValueID]) {
        var b = Graph(name: "body")
        var local: [Int: ValueID] = [:]
        var inputs: [ValueID] = []
        // Pull inlinable operands (and a broadcast's own operand) into the member list.
        var memberSet = Set(members)
        for m in members {
            for operand in graph.nodes[m].inputs where inlinable(graph, operand.index, domain: domain) {
                memberSet.insert(operand.index)
            }
        }
        let members = memberSet.sorted()
        for m in members {
            for operand in graph.nodes[m].inputs where !memberSet.contains(operand.index) && local[operand.index] == nil {
                local[operand.index] = b.append(Node(op: LeafOp.input.rawValue, inputs: [], type: graph.type(of: operand),
                                                     attributes: ["name": .string("\(inputs.count)")]))
                inputs.append(operand)
            }
        }
        for m in members {
            var node = graph.nodes[m]
            node.inputs = node.inputs.map { local[$0.index]! }
            node.location = nil
            node.annotations = []
            local[m] = b.append(node)
        }
        b.outputs = [GraphOutput(name: "out", value: local[root]!)]
        return (b, inputs)
    }
}
