// fused(x0, x1, ...) {body}: a node whose body is a small graph of elementwise ops (plus broadcasts and splat
// constants) over the operands, created by the fusion pass. Its fast kernel runs the body tile by tile through
// the elementwise engine (architecture brief §6); its reference evaluates the body with reference kernels.
// Body leaves are `input` nodes named "0", "1", ... in operand order; the body returns one value.

import KilnIR

public enum Fused: Op {
    public static let name = "fused"
    public static let fusion = FusionKind.opaque

    static func bodyInputs(_ body: Graph) -> [ValueID] { body.leaves(.input) }

    public static func inferType(_ inputs: [TensorType], _ attributes: Attributes) throws -> TensorType {
        let body = try attributes.graph("body")
        try OpRegistry.verify(body)
        let leaves = bodyInputs(body)
        guard leaves.count == inputs.count else {
            throw shapeError(inputs, "body has \(leaves.count) inputs for \(inputs.count) operands")
        }
        for (k, leaf) in leaves.enumerated() {
            guard body[leaf].attributes["name"] == .string("\(k)"), body[leaf].type == inputs[k] else {
                throw shapeError(inputs, "body input %\(leaf.index) must be named \"\(k)\" with type \(inputs[k])")
            }
        }
        guard body.outputs.count == 1, body.assignments.isEmpty else {
            throw shapeError(inputs, "body must return exactly one value and assign no state")
        }
        return body.type(of: body.outputs[0].value)
    }

    public static func vjp(_ c: VJPContext, _ b: inout GraphBuilder) throws -> [ValueID?] {
        // Inline the body over the operands, then differentiate the inlined nodes.
        let body = try c.attributes.graph("body")
        let start = b.graph.nodes.count
        var map: [ValueID] = []
        var leafIndex = 0
        for node in body.nodes {
            if node.op == LeafOp.input.rawValue {
                map.append(c.inputs[leafIndex])
                leafIndex += 1
            } else {
                var copy = node
                copy.inputs = node.inputs.map { map[$0.index] }
                map.append(b.graph.append(copy))
            }
        }
        let result = map[body.outputs[0].value.index]
        let cot = try ReverseSweep.run(&b, range: start..<b.graph.nodes.count, seeds: [result: c.grad])
        return c.inputs.indices.map { k in
            c.wants[k] ? (cot[c.inputs[k].index] ?? b.zeros(c.inputTypes[k])) : nil
        }
    }

    public static func reference(_ inputs: [HostTensor], _ node: Node) throws -> HostTensor {
        let body = try node.attributes.graph("body")
        var next = 0
        let values = try ReferenceEvaluator.evaluate(body) { _, _ in
            defer { next += 1 }
            return inputs[next]
        }
        return values[body.outputs[0].value.index]
    }

    /// How a fused body runs: a tile program over an iteration domain, optionally followed by a reduction.
    public struct Plan {
        public enum Kind: Equatable {
            case elementwise
            /// The body ends with reduce_sum / reduce_mean / reduce_max over contiguous `axes` of the domain.
            case reduction(op: String, axes: [Int])
        }
        public var program: TileProgram
        /// The shape the program is evaluated over (the output, or the reduction's input).
        public var domain: [Int]
        public var kind: Kind
    }

    static let reductionOps: Set<String> = [ReduceSum.name, ReduceMean.name, ReduceMax.name]

    /// The plan of a body made of elementwise ops, broadcasts and splat constants, optionally ending in a reduction
    /// over contiguous axes; nil when the body has another shape (it then runs on the reference kernel).
    public static func plan(_ body: Graph) -> Plan? {
        guard let out = body.outputs.first else { return nil }
        let root = body[out.value]
        if reductionOps.contains(root.op) {
            guard let input = root.inputs.first,
                  let axes = try? ReduceShape.axes(body.type(of: input), root.attributes, op: root.op),
                  ReductionLayout(domain: body.type(of: input).shape, axes: axes) != nil,
                  let program = program(body, domain: body.type(of: input).shape, result: input) else { return nil }
            return Plan(program: program, domain: body.type(of: input).shape, kind: .reduction(op: root.op, axes: axes))
        }
        guard let program = program(body, domain: root.type.shape, result: out.value) else { return nil }
        return Plan(program: program, domain: root.type.shape, kind: .elementwise)
    }

    /// The tile program computing `result` over `domain`.
    static func program(_ body: Graph, domain: [Int], result: ValueID) -> TileProgram? {
        var operand: [TileProgram.Operand?] = []
        var instructions: [TileProgram.Instruction] = []
        var inputCount = 0
        for (i, node) in body.nodes.enumerated() where i <= result.index {
            switch node.op {
            case LeafOp.input.rawValue:
                operand.append(.input(inputCount))
                inputCount += 1
            case LeafOp.constant.rawValue:
                guard let v = ConstantValue.splat(node) else { return nil }
                operand.append(.constant(Float(v)))
            case Broadcast.name:
                // Evaluating at the domain shape already broadcasts: a broadcast is a pass-through.
                guard Shape.broadcasts(node.type.shape, to: domain) else { return nil }
                operand.append(operand[node.inputs[0].index])
            default:
                guard let op = OpRegistry.op(named: node.op) as? any ElementwiseOp.Type,
                      Shape.broadcasts(node.type.shape, to: domain) else { return nil }
                var operands: [TileProgram.Operand] = []
                for input in node.inputs {
                    guard let o = operand[input.index] else { return nil }
                    operands.append(o)
                }
                instructions.append(TileProgram.Instruction(op: op, operands: operands,
                                                            parameters: TileParameters(outputDType: node.type.dtype)))
                operand.append(.temp(instructions.count - 1))
            }
        }
        guard case .temp(let last)? = operand[result.index], last == instructions.count - 1 else { return nil }
        return TileProgram(instructions: instructions, inputCount: inputCount)
    }

    public static func kernel(_ node: Node, _ inputTypes: [TensorType], _ buffers: KernelBuffers,
                              _ context: KernelContext) throws -> KernelThunk? {
        guard node.type.dtype != .f64, !inputTypes.contains(where: { $0.dtype == .f64 }),
              let plan = plan(try node.attributes.graph("body")), plan.domain.count <= ElementwiseEngine.maxRank else { return nil }
        switch plan.kind {
        case .elementwise:
            return ElementwiseEngine.kernel(plan.program, inputTypes: inputTypes, outputType: node.type, buffers: buffers,
                                            pool: context.pool)
        case .reduction(let op, let axes):
            guard node.type.dtype == .f32, let layout = ReductionLayout(domain: plan.domain, axes: axes) else { return nil }
            return FusedReduction.kernel(plan.program, op: op, layout: layout, inputTypes: inputTypes, domain: plan.domain,
                                         buffers: buffers, pool: context.pool)
        }
    }

    public static func flops(_ node: Node, _ inputTypes: [TensorType]) -> Double {
        let body = (try? node.attributes.graph("body"))?.nodes.filter { !$0.isLeaf && $0.op != Broadcast.name }.count ?? 1
        return Double(node.type.count * body)
    }
}
