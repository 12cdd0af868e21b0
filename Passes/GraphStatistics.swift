// Size and memory statistics of a traced graph before and after the standard pipeline (`zoo graph stats`).
//
// Contract: `nodes_before` counts the traced graph's nodes; `nodes_after` the nodes after the pipeline;
// `kernels_unfused` the non-leaf nodes of the traced graph after dead-code elimination (the steps an executable of
// it would run); `kernels_fused` the non-leaf nodes after the pipeline. The byte counts describe the arena of the
// graph after the pipeline (scheduled): `naive_bytes` gives every value and scratch area its own slot,
// `planned_bytes` is the planner's arena and `lower_bound_bytes` the most bytes live at one time.

import KilnIR
import KilnOps

public struct GraphStatistics: Codable, Equatable, Sendable {
    public var nodesBefore: Int
    public var nodesAfter: Int
    public var kernelsUnfused: Int
    public var kernelsFused: Int
    public var naiveBytes: Int
    public var plannedBytes: Int
    public var lowerBoundBytes: Int
    /// The heap strategy whose placement was kept, and the arena bytes of every strategy tried.
    public var strategy: String
    public var strategyBytes: [String: Int]
    /// Values written in place over a dying operand, and reshapes that alias their operand.
    public var inPlaceValues: Int
    public var viewValues: Int
    /// Values computed directly in the buffer of the state they are assigned to.
    public var stateBufferValues: Int

    enum CodingKeys: String, CodingKey {
        case nodesBefore = "nodes_before", nodesAfter = "nodes_after"
        case kernelsUnfused = "kernels_unfused", kernelsFused = "kernels_fused"
        case naiveBytes = "naive_bytes", plannedBytes = "planned_bytes", lowerBoundBytes = "lower_bound_bytes"
        case strategy, strategyBytes = "strategy_bytes"
        case inPlaceValues = "in_place_values", viewValues = "view_values", stateBufferValues = "state_buffer_values"
    }

    /// Runs `passes` (the standard pipeline by default) over `traced` and plans the result.
    public static func measure(_ traced: Graph, passes: [any Pass]? = nil,
                               planner: MemoryPlanner = MemoryPlanner()) throws -> GraphStatistics {
        let unfused = try Pipeline([DeadCodeElimination()]).run(traced)
        let optimized = try Pipeline(passes ?? StandardPipeline.passes()).run(traced)
        let report = planner.plan(optimized)
        let sharing = report.sharing.sharing
        return GraphStatistics(
            nodesBefore: traced.nodes.count, nodesAfter: optimized.nodes.count,
            kernelsUnfused: unfused.nodes.filter { !$0.isLeaf }.count,
            kernelsFused: optimized.nodes.filter { !$0.isLeaf }.count,
            naiveBytes: report.naiveBytes, plannedBytes: report.plannedBytes, lowerBoundBytes: report.lowerBoundBytes,
            strategy: report.strategy,
            strategyBytes: Dictionary(report.candidates, uniquingKeysWith: { a, _ in a }),
            inPlaceValues: sharing.filter { if case .inPlace? = $0 { return true } else { return false } }.count,
            viewValues: sharing.filter { if case .view? = $0 { return true } else { return false } }.count,
            stateBufferValues: report.plan.stateBuffers.compactMap { $0 }.count)
    }
}
