// The canonical text form of a graph (grammar in docs/ir-format.md). Deterministic: attributes sorted by key,
// floats in Swift's shortest round-trip form, one node per line with the type first so shapes line up.
//
//   graph @block {
//     %0 = f32[8,56,56,64] input() {name="x"}
//     %1 = f32[64,3,3,64] state() {name="conv.weight"}
//     %2 = f32[8,56,56,64] conv2d(%0, %1) {dilation=[1,1], groups=1, padding=[1,1,1,1], stride=[1,1]} #src(Block.swift:12)
//     %3 = f32[8,56,56,64] relu(%2)
//     return out=%3
//   }

extension Graph {
    /// The canonical text. `annotate` may append extra `#...` annotations per node (e.g. buffer offsets).
    public func text(annotate: ((ValueID) -> [String])? = nil) -> String {
        var out = ""
        print(into: &out, indent: "", annotate: annotate)
        return out
    }

    func print(into out: inout String, indent: String, annotate: ((ValueID) -> [String])?) {
        out += "\(indent)graph @\(IRName.quotedIfNeeded(name)) {\n"
        for (i, node) in nodes.enumerated() {
            out += "\(indent)  %\(i) = \(node.type) \(node.op)("
            out += node.inputs.map { "%\($0.index)" }.joined(separator: ", ")
            out += ")"
            if !node.attributes.isEmpty {
                out += " {"
                var first = true
                for key in node.attributes.sortedKeys {
                    if !first { out += ", " }
                    first = false
                    out += "\(IRName.quotedIfNeeded(key))="
                    AttributePrinter.print(node.attributes[key]!, into: &out, indent: indent + "  ")
                }
                out += "}"
            }
            if let loc = node.location { out += " #src(\(loc.file):\(loc.line))" }
            for a in node.annotations { out += " #\(a)" }
            if let extra = annotate?(ValueID(i)) { for a in extra { out += " #\(a)" } }
            out += "\n"
        }
        for a in assignments {
            out += "\(indent)  assign %\(a.state.index) = %\(a.value.index)\n"
        }
        out += "\(indent)  return"
        if !outputs.isEmpty { out += " " }
        out += outputs.map { "\(IRName.quotedIfNeeded($0.name))=%\($0.value.index)" }.joined(separator: ", ")
        out += "\n\(indent)}"
        if indent.isEmpty { out += "\n" }
    }
}

/// Names print bare when they are simple identifiers (letters, digits, `_`, `.`; not starting with a digit),
/// quoted with escapes otherwise.
public enum IRName {
    public static func isBare(_ s: String) -> Bool {
        guard let first = s.unicodeScalars.first, !("0"..."9").contains(first) else { return false }
        return s.unicodeScalars.allSatisfy { isIdentifierScalar($0) }
    }

    static func isIdentifierScalar(_ c: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(c) || ("A"..."Z").contains(c) || ("0"..."9").contains(c) || c == "_" || c == "."
    }

    public static func quotedIfNeeded(_ s: String) -> String { isBare(s) ? s : quoted(s) }

    public static func quoted(_ s: String) -> String {
        var out = "\""
        for c in s.unicodeScalars {
            switch c {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            default:
                if c.value < 0x20 { out += "\\u{\(String(c.value, radix: 16))}" } else { out.unicodeScalars.append(c) }
            }
        }
        return out + "\""
    }
}

/// Prints attribute values.
public enum AttributePrinter {
    public static func text(_ v: AttributeValue) -> String {
        var s = ""
        print(v, into: &s, indent: "")
        return s
    }

    static func print(_ v: AttributeValue, into out: inout String, indent: String) {
        switch v {
        case .int(let i): out += String(i)
        case .float(let d): out += float(d)
        case .bool(let b): out += b ? "true" : "false"
        case .string(let s): out += IRName.quoted(s)
        case .ints(let xs): out += "[" + xs.map(String.init).joined(separator: ",") + "]"
        case .floats(let xs):
            // An empty float list would read back as an empty int list; accessors treat them alike.
            out += "[" + xs.map(float).joined(separator: ",") + "]"
        case .graph(let g):
            var body = ""
            g.print(into: &body, indent: indent + "  ", annotate: nil)
            out += "\n" + body
        }
    }

    /// Shortest round-trip form that always reads back as a float (contains `.`, `e`, `inf` or `nan`).
    public static func float(_ d: Double) -> String {
        if d.isNaN { return "nan" }
        if d.isInfinite { return d < 0 ? "-inf" : "inf" }
        let s = "\(d)"
        return s.contains(".") || s.contains("e") ? s : s + ".0"
    }
}
