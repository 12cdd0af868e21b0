// Fusion of convolution epilogues: a conv2d followed by a per-channel scale, a per-channel shift, a residual add
// and a ReLU (BN in eval mode, bias, skip connection, activation) becomes one fused_conv2d
// (KilnOps/Conv/FusedConv2D.swift), whose kernel applies those steps to each block of the output while the block is
// still in cache, instead of a separate loop that reads and writes the whole output again.
//
// Contract:
// - A chain starts at an f32 conv2d and takes steps in the order scale, shift, residual, relu, each optional and at
//   most once, at least one. Each step is the only user of the value before it: `mul` or `add` with a per-channel
//   operand (one f32 value per output channel: shape [C] or [1, …, 1, C]) is scale or shift, `add` with an operand
//   of the output's type is the residual, `relu` ends the chain. Either operand order is accepted.
// - Legality: every value the chain swallows (the conv's and each step's result except the last) has exactly that
//   one user and is not a graph output or assigned to a state. A backward pass reads the values it needs (a relu's
//   input, the conv output that training-mode BN normalises), so in training graphs chains stop before them: the
//   pass needs no notion of training versus inference.
// - The fused node stands where the chain's last node stood, with the conv's location and annotations; every operand
//   it reads is defined before that point. The swallowed nodes disappear; nothing else changes (order, other nodes,
//   outputs, assignments).
// - Values: the fused kernel rounds after each step like the separate ops, so results are the unfused ones up to the
//   rounding of the convolution itself. Other element types keep their separate ops (the fused kernel is f32).
// - A conv2d with a scale/shift/residual/relu candidate among its users that could not take it carries
//   `#noepilogue(reason)`; KILN_VERBOSE=1 logs every chain and rejection.
//
// Stages:
//   1. Chains: for each conv2d in order, follow the single user while `nextStep` accepts it (greedy; a node joins at
//      most one chain — a residual add of two convolution chains goes to the first).
//   2. Emission: copy the graph, skipping swallowed nodes and putting a fused_conv2d at each chain's last node.

import KilnIR
import KilnOps

public struct ConvEpilogueFusion: Pass {
    public var name: String { "conv-epilogue" }
    public init() {}

    /// One step of an epilogue and the source-graph operand it reads (none for relu).
    enum Step: Equatable {
        case scale(ValueID), shift(ValueID), residual(ValueID), relu
    }

    /// A conv2d and the steps (nodes) that follow it.
    struct Chain {
        var conv: Int
        var nodes: [Int] = []
        var steps = ConvEpilogueSteps()
        var operands: [ValueID] = []
        var last: Int { nodes.last ?? conv }
    }

    /// The verdict on a candidate step.
    enum StepDecision: Equatable {
        case take(Step)
        case reject(String)
    }

    public func run(_ graph: Graph) throws -> Graph {
        let users = graph.users()
        var isResult = [Bool](repeating: false, count: graph.nodes.count)
        for v in graph.rootValues { isResult[v.index] = true }

        // 1. Chains.
        var chains: [Chain] = []
        var claimed = [Bool](repeating: false, count: graph.nodes.count)
        var notes: [Int: String] = [:]
        for (c, node) in graph.nodes.enumerated() where node.op == Conv2D.name && node.type.dtype == .f32 {
            var chain = Chain(conv: c)
            var rejection: String?
            while !chain.steps.relu {
                let v = chain.last
                guard let next = users[v].first else { break }
                guard users[v].count == 1 else {
                    rejection = "\(graph.nodes[v].op) value has \(users[v].count) users"
                    break
                }
                guard !isResult[v] else {
                    rejection = "\(graph.nodes[v].op) value is a graph output or assigned to a state"
                    break
                }
                guard !claimed[next.index] else { break }
                switch nextStep(graph, next.index, after: ValueID(v), chain: chain) {
                case .take(let step):
                    chain.nodes.append(next.index)
                    claimed[next.index] = true
                    switch step {
                    case .scale(let s): chain.steps.scale = true; chain.operands.append(s)
                    case .shift(let s): chain.steps.shift = true; chain.operands.append(s)
                    case .residual(let r): chain.steps.residual = true; chain.operands.append(r)
                    case .relu: chain.steps.relu = true
                    }
                case .reject(let reason):
                    rejection = reason
                }
                if rejection != nil { break }
            }
            if chain.nodes.isEmpty {
                let stepOps = [Mul.name, Add.name, ReLU.name]
                let candidates = users[c].contains { stepOps.contains(graph.nodes[$0.index].op) }
                if let rejection, candidates { notes[c] = rejection }
                if PassLog.verbose, let rejection { PassLog.write("conv-epilogue: %\(c) not fused: \(rejection)") }
                continue
            }
            if PassLog.verbose {
                let steps = chain.nodes.map { graph.nodes[$0].op }.joined(separator: ",")
                PassLog.write("conv-epilogue: %\(c) conv2d ← \(steps)" + (rejection.map { " (stopped: \($0))" } ?? ""))
            }
            chains.append(chain)
        }
        if chains.isEmpty && notes.isEmpty { return graph }

        // 2. Emission.
        var chainEndingAt: [Int: Chain] = [:]
        var swallowed = [Bool](repeating: false, count: graph.nodes.count)
        for chain in chains {
            chainEndingAt[chain.last] = chain
            for i in [chain.conv] + chain.nodes.dropLast() { swallowed[i] = true }
        }
        var out = Graph(name: graph.name)
        var map = [ValueID?](repeating: nil, count: graph.nodes.count)
        func mapped(_ v: ValueID) throws -> ValueID {
            guard let id = map[v.index] else {
                throw RewriteError(pass: name, node: v, message: "operand used before it is defined")
            }
            return id
        }
        for (i, node) in graph.nodes.enumerated() where !swallowed[i] {
            if let chain = chainEndingAt[i] {
                let conv = graph.nodes[chain.conv]
                var attributes = conv.attributes
                for (key, value) in chain.steps.attributes.values { attributes[key] = value }
                let inputs = try (conv.inputs + chain.operands).map(mapped)
                let type = try FusedConv2D.inferType(inputs.map { out.type(of: $0) }, attributes)
                guard type == node.type else {
                    throw RewriteError(pass: name, node: ValueID(i),
                                       message: "fused type \(type) differs from \(node.type)")
                }
                map[i] = out.append(Node(op: FusedConv2D.name, inputs: inputs, type: type, attributes: attributes,
                                         location: conv.location, annotations: conv.annotations))
            } else {
                var copy = node
                copy.inputs = try node.inputs.map(mapped)
                if let note = notes[i] { copy.annotations.append("noepilogue(\(note))") }
                map[i] = out.append(copy)
            }
        }
        out.outputs = try graph.outputs.map { GraphOutput(name: $0.name, value: try mapped($0.value)) }
        out.assignments = try graph.assignments.map {
            Assignment(state: try mapped($0.state), value: try mapped($0.value))
        }
        return out
    }

    /// Whether node `u`, the only user of the chain's current value `v`, can be the chain's next step.
    func nextStep(_ graph: Graph, _ u: Int, after v: ValueID, chain: Chain) -> StepDecision {
        let node = graph.nodes[u]
        let output = graph.nodes[chain.conv].type
        let channels = output.shape.last ?? 0
        guard node.type == output else { return .reject("\(node.op) changes the type to \(node.type)") }
        if node.op == ReLU.name { return .take(.relu) }
        guard node.op == Mul.name || node.op == Add.name else { return .reject("\(node.op) is not an epilogue step") }
        guard node.inputs.count == 2, node.inputs.filter({ $0 == v }).count == 1 else {
            return .reject("\(node.op) reads the value twice")
        }
        let other = node.inputs[0] == v ? node.inputs[1] : node.inputs[0]
        let t = graph.type(of: other)
        let perChannel = t.dtype == .f32 && t.shape.last == channels && t.count == channels
        if node.op == Mul.name {
            guard perChannel else { return .reject("mul operand \(t) is not one value per channel") }
            guard chain.steps == ConvEpilogueSteps() else { return .reject("mul after another step") }
            return .take(.scale(other))
        }
        if perChannel {
            guard !chain.steps.shift && !chain.steps.residual else {
                return .reject("per-channel add after a shift or residual")
            }
            return .take(.shift(other))
        }
        guard t == output else { return .reject("add operand \(t) is neither per-channel nor a residual") }
        guard !chain.steps.residual else { return .reject("second residual add") }
        return .take(.residual(other))
    }
}
