// Simplification to a fixed point: CSE, constant folding, algebraic identities and dead-code elimination, repeated
// until the graph stops changing (each round can expose work for the others: folding makes equal constants that
// CSE merges, CSE makes operands equal that rules match, rules leave dead nodes that DCE removes).
//
// Contract: never changes what the graph computes (up to the sign of a zero, see AlgebraicSimplification.swift);
// the result has no dead nodes and no unused inputs or unassigned unused states (DCE runs last in every round).
// Stops after `maxIterations` rounds even if a round still changed something.

import KilnIR

public struct Simplify: Pass {
    public var name: String { "simplify" }
    public var maxIterations: Int

    public init(maxIterations: Int = 16) { self.maxIterations = maxIterations }

    /// The passes of one round, in order.
    public static func parts() -> [any Pass] {
        [CommonSubexpressionElimination(), ConstantFolding(), AlgebraicSimplification(), DeadCodeElimination()]
    }

    public func run(_ graph: Graph) throws -> Graph {
        try Fixpoint(Self.parts(), maxIterations: maxIterations).run(graph)
    }
}
