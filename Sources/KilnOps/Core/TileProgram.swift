// A straight-line program of elementwise ops over tiles: the body of a fused node, or a single elementwise op.

import KilnIR

public struct TileProgram {
    public enum Operand: Hashable {
        /// The i-th operand of the node (read through a broadcasting loader).
        case input(Int)
        /// The result of an earlier instruction.
        case temp(Int)
        /// A splat constant.
        case constant(Float)
    }

    public struct Instruction {
        public var op: any ElementwiseOp.Type
        public var operands: [Operand]
        public var parameters: TileParameters
    }

    public var instructions: [Instruction]
    public var inputCount: Int

    public init(instructions: [Instruction], inputCount: Int) {
        self.instructions = instructions
        self.inputCount = inputCount
    }

    /// The identity on a single operand (no instructions): the prologue of a plain reduction.
    public static let identity = TileProgram(instructions: [], inputCount: 1)

    /// The program of one elementwise node.
    public init(single op: any ElementwiseOp.Type, node: Node, inputTypes: [TensorType]) {
        instructions = [Instruction(op: op, operands: inputTypes.indices.map { .input($0) },
                                    parameters: TileParameters(outputDType: node.type.dtype))]
        inputCount = inputTypes.count
    }
}
