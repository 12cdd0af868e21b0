// The default pass pipeline used when compiling a step.

import KilnIR

public enum StandardPipeline {
    /// Names accepted by `zoo graph dump --passes`.
    public static var names: [String] { passes().map(\.name) }

    /// Scheduling and memory planning come last: they order and place the nodes the other passes leave.
    public static func passes() -> [any Pass] {
        [DeadCodeElimination(), Scheduling(), MemoryPlanning()]
    }

    /// The passes with the given names, in pipeline order (`all` for every pass, `none` for none).
    public static func select(_ spec: String) throws -> [any Pass] {
        if spec == "all" { return passes() }
        if spec == "none" || spec.isEmpty { return [] }
        let wanted = spec.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }
        let known = passes()
        for name in wanted where !known.contains(where: { $0.name == name }) {
            throw PipelineSelectionError(name: name, known: known.map(\.name))
        }
        return known.filter { wanted.contains($0.name) }
    }
}

public struct PipelineSelectionError: Error, CustomStringConvertible {
    public var name: String
    public var known: [String]
    public var description: String { "unknown pass '\(name)' (known: \(known.joined(separator: ", ")), all, none)" }
}
