// Graphviz DOT export: one box per node (op and type), edges along data flow, leaves and outputs highlighted.

extension Graph {
    /// The graph in Graphviz DOT syntax (`dot -Tsvg`).
    public func dot() -> String {
        func esc(_ s: String) -> String {
            s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
        }
        var out = "digraph \"\(esc(name))\" {\n  rankdir=TB;\n  node [shape=box, fontname=\"monospace\", fontsize=10];\n"
        for (i, node) in nodes.enumerated() {
            var label = "%\(i) \(node.op)\\n\(node.type)"
            if case .string(let n)? = node.attributes["name"] { label += "\\n\(esc(n))" }
            let style: String
            switch LeafOp(rawValue: node.op) {
            case .input?: style = ", style=filled, fillcolor=\"#cfe8ff\""
            case .state?: style = ", style=filled, fillcolor=\"#ffe7c2\""
            case .constant?: style = ", style=filled, fillcolor=\"#eeeeee\""
            case nil: style = node.op == "fused" ? ", style=filled, fillcolor=\"#d9f2d9\"" : ""
            }
            out += "  n\(i) [label=\"\(label)\"\(style)];\n"
            for input in node.inputs { out += "  n\(input.index) -> n\(i);\n" }
        }
        for output in outputs {
            out += "  \"out_\(esc(output.name))\" [shape=ellipse, label=\"\(esc(output.name))\"];\n"
            out += "  n\(output.value.index) -> \"out_\(esc(output.name))\";\n"
        }
        for a in assignments {
            out += "  n\(a.value.index) -> n\(a.state.index) [style=dashed, color=\"#c07000\", constraint=false];\n"
        }
        return out + "}\n"
    }
}

extension String {
    fileprivate func replacingOccurrences(of target: String, with replacement: String) -> String {
        split(separator: Character(target), omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
