// A minimal JSON value with deterministic serialisation (object keys keep their insertion order, numbers use
// the shortest round-trip form), so generated files are byte-identical across runs. Used by the COCO writer,
// scenes generator, benchmark reports and (later) detection result files.

/// A JSON value whose objects preserve key order.
public indirect enum JSONValue: Equatable, Sendable {
    case null
    case bool(Bool)
    case int(Int)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([(String, JSONValue)])

    public static func == (a: JSONValue, b: JSONValue) -> Bool {
        switch (a, b) {
        case (.null, .null): return true
        case let (.bool(x), .bool(y)): return x == y
        case let (.int(x), .int(y)): return x == y
        case let (.number(x), .number(y)): return x == y
        case let (.string(x), .string(y)): return x == y
        case let (.array(x), .array(y)): return x == y
        case let (.object(x), .object(y)): return x.count == y.count && zip(x, y).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: return false
        }
    }

    /// Compact JSON text; with `pretty`, the top-level object/array puts one member per line.
    public func serialized(pretty: Bool = false) -> String {
        var out = ""
        write(to: &out, breakTopLevel: pretty)
        return out
    }

    private func write(to out: inout String, breakTopLevel: Bool = false) {
        let separator = breakTopLevel ? ",\n" : ","
        switch self {
        case .null: out += "null"
        case .bool(let value): out += value ? "true" : "false"
        case .int(let value): out += String(value)
        case .number(let value): out += Self.format(value)
        case .string(let value): Self.quote(value, into: &out)
        case .array(let items):
            out += breakTopLevel ? "[\n" : "["
            for (i, item) in items.enumerated() {
                if i > 0 { out += separator }
                item.write(to: &out)
            }
            out += breakTopLevel ? "\n]" : "]"
        case .object(let members):
            out += breakTopLevel ? "{\n" : "{"
            for (i, (key, value)) in members.enumerated() {
                if i > 0 { out += separator }
                Self.quote(key, into: &out)
                out += ":"
                value.write(to: &out)
            }
            out += breakTopLevel ? "\n}" : "}"
        }
    }

    /// Integral values print without a fraction; non-finite values (not representable in JSON) print as null.
    static func format(_ value: Double) -> String {
        guard value.isFinite else { return "null" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int(value)) }
        return "\(value)"
    }

    private static func quote(_ text: String, into out: inout String) {
        out += "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
    }
}
