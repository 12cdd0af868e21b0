// The default pass pipeline used when compiling a step, and pass selection by name (`zoo graph dump --passes`).

import Foundation
import KilnIR

public enum StandardPipeline {
    /// The passes of the standard pipeline, in order. Convolution epilogues are fused before elementwise fusion,
    /// which would otherwise put their steps into loops of their own. Scheduling and memory planning come last:
    /// they order and place the nodes the other passes leave.
    public static func passes() -> [any Pass] {
        [
            Simplify(),
            ConvEpilogueFusion(),
            Fusion(),
            DeadCodeElimination(),
            Scheduling(),
            MemoryPlanning(),
        ]
    }

    /// Every pass that can be selected by name: the pipeline's passes, then the parts of composite passes.
    public static func selectable() -> [any Pass] {
        passes() + Simplify.parts()
    }

    /// Names accepted by `select`.
    public static var names: [String] { selectable().map(\.name) }

    /// The passes with the given comma-separated names, in the order given (`all` for the standard pipeline,
    /// `none` for no pass).
    public static func select(_ spec: String) throws -> [any Pass] {
        if spec == "all" { return passes() }
        if spec == "none" || spec.isEmpty { return [] }
        let known = selectable()
        return try spec.split(separator: ",").map { part in
            let name = part.trimmingCharacters(in: .whitespaces)
            guard let pass = known.first(where: { $0.name == name }) else {
                throw PipelineSelectionError(name: name, known: known.map(\.name))
            }
            return pass
        }
    }
}

public struct PipelineSelectionError: Error, CustomStringConvertible {
    public var name: String
    public var known: [String]
    public var description: String { "unknown pass '\(name)' (known: \(known.joined(separator: ", ")), all, none)" }
}
