// Reads the text form written by `Graph.text()` (grammar in docs/ir-format.md). Value ids in the input may be any
// distinct numbers defined before use; the result is renumbered densely, so printing a parsed canonical text
// reproduces it exactly. Errors carry line and column and never trap.

extension Graph {
    /// Parses one graph from its text form.
    public static func parse(_ text: String) throws(ParseError) -> Graph {
        var parser = IRParser(text)
        try parser.start()
        let graph = try parser.parseGraph()
        try parser.expectEnd()
        return graph
    }
}

/// A syntax error in IR text.
public struct ParseError: Error, Hashable, CustomStringConvertible {
    public var line: Int
    public var column: Int
    public var message: String
    public var description: String { "line \(line), column \(column): \(message)" }
}

struct IRParser {
    private var lexer: IRLexer
    private var token: IRToken

    init(_ text: String) {
        lexer = IRLexer(text)
        token = IRToken(kind: .end, text: "", line: 1, column: 1)
    }

    private mutating func advance() throws(ParseError) { token = try lexer.next() }

    /// Reads the first token.
    mutating func start() throws(ParseError) { try advance() }

    private func error(_ message: String) -> ParseError {
        ParseError(line: token.line, column: token.column, message: message)
    }

    private mutating func expect(_ kind: IRToken.Kind, _ what: String) throws(ParseError) -> IRToken {
        guard token.kind == kind else { throw error("expected \(what), found \(token.display)") }
        let t = token
        try advance()
        return t
    }

    private mutating func expectWord(_ word: String) throws(ParseError) {
        guard token.kind == .identifier, token.text == word else { throw error("expected '\(word)', found \(token.display)") }
        try advance()
    }

    mutating func expectEnd() throws(ParseError) {
        guard token.kind == .end else { throw error("unexpected \(token.display) after the graph") }
    }

    mutating func parseGraph() throws(ParseError) -> Graph {
        try expectWord("graph")
        let nameToken = try expect(.atName, "a graph name such as @main")
        _ = try expect(.lbrace, "'{'")
        var graph = Graph(name: nameToken.text)
        var ids: [Int: ValueID] = [:]

        func resolve(_ t: IRToken) throws(ParseError) -> ValueID {
            guard let n = Int(t.text), let id = ids[n] else {
                throw ParseError(line: t.line, column: t.column, message: "use of undefined value %\(t.text)")
            }
            return id
        }

        while true {
            switch token.kind {
            case .value:
                let def = token
                try advance()
                _ = try expect(.equals, "'=' after \(def.display)")
                let type = try parseType()
                let op = try expect(.identifier, "an op name")
                _ = try expect(.lparen, "'(' after \(op.text)")
                var inputs: [ValueID] = []
                while token.kind != .rparen {
                    let v = try expect(.value, "an operand such as %3")
                    inputs.append(try resolve(v))
                    if token.kind == .comma { try advance() } else { break }
                }
                _ = try expect(.rparen, "')' closing the operands of \(op.text)")
                var attributes = Attributes()
                if token.kind == .lbrace { attributes = try parseAttributes() }
                var location: SourceLocation?
                var annotations: [String] = []
                while token.kind == .annotation {
                    if token.text.hasPrefix("src("), token.text.hasSuffix(")") {
                        let body = token.text.dropFirst(4).dropLast()
                        guard let colon = body.lastIndex(of: ":"), let line = Int(body[body.index(after: colon)...]) else {
                            throw error("#src must read #src(file:line)")
                        }
                        location = SourceLocation(file: String(body[..<colon]), line: line)
                    } else {
                        annotations.append(token.text)
                    }
                    try advance()
                }
                guard let n = Int(def.text), ids[n] == nil else {
                    throw ParseError(line: def.line, column: def.column, message: "value \(def.display) is defined twice")
                }
                ids[n] = graph.append(Node(op: op.text, inputs: inputs, type: type, attributes: attributes,
                                           location: location, annotations: annotations))
            case .identifier where token.text == "assign":
                try advance()
                let state = try resolve(try expect(.value, "a state value after 'assign'"))
                _ = try expect(.equals, "'=' in assign")
                let value = try resolve(try expect(.value, "a value in assign"))
                graph.assignments.append(Assignment(state: state, value: value))
            case .identifier where token.text == "return":
                try advance()
                while token.kind == .identifier || token.kind == .string {
                    let name = token.text
                    try advance()
                    _ = try expect(.equals, "'=' after output name \(name)")
                    let value = try resolve(try expect(.value, "the value of output \(name)"))
                    graph.outputs.append(GraphOutput(name: name, value: value))
                    if token.kind == .comma { try advance() } else { break }
                }
                _ = try expect(.rbrace, "'}' closing graph @\(graph.name) after its return")
                return graph
            default:
                throw error("expected a node (%N = ...), 'assign' or 'return', found \(token.display)")
            }
        }
    }

    private mutating func parseType() throws(ParseError) -> TensorType {
        let dt = try expect(.identifier, "a tensor type such as f32[8,3]")
        guard let dtype = DType(rawValue: dt.text) else {
            throw ParseError(line: dt.line, column: dt.column, message: "unknown element type '\(dt.text)' (expected f32, f64, i32, i64 or bool)")
        }
        _ = try expect(.lbracket, "'[' after \(dt.text)")
        var shape: [Int] = []
        while token.kind == .int {
            guard let d = Int(token.text), d >= 0 else { throw error("dimension must be a non-negative integer") }
            shape.append(d)
            try advance()
            if token.kind == .comma { try advance() } else { break }
        }
        _ = try expect(.rbracket, "']' closing the shape")
        return TensorType(dtype, shape)
    }

    private mutating func parseAttributes() throws(ParseError) -> Attributes {
        _ = try expect(.lbrace, "'{'")
        var attributes = Attributes()
        while token.kind != .rbrace {
            let key = token
            guard key.kind == .identifier || key.kind == .string else { throw error("expected an attribute name, found \(token.display)") }
            try advance()
            _ = try expect(.equals, "'=' after attribute \(key.text)")
            guard attributes[key.text] == nil else { throw error("attribute '\(key.text)' given twice") }
            attributes[key.text] = try parseAttributeValue()
            if token.kind == .comma { try advance() } else { break }
        }
        _ = try expect(.rbrace, "'}' closing the attributes")
        return attributes
    }

    private mutating func parseAttributeValue() throws(ParseError) -> AttributeValue {
        switch token.kind {
        case .int:
            guard let v = Int(token.text) else { throw error("integer out of range: \(token.text)") }
            try advance()
            return .int(v)
        case .float:
            guard let v = Double(token.text) else { throw error("malformed number \(token.text)") }
            try advance()
            return .float(v)
        case .string:
            let s = token.text
            try advance()
            return .string(s)
        case .identifier where token.text == "true" || token.text == "false":
            let b = token.text == "true"
            try advance()
            return .bool(b)
        case .identifier where token.text == "graph":
            return .graph(try parseGraph())
        case .lbracket:
            try advance()
            var ints: [Int] = []
            var floats: [Double] = []
            var sawFloat = false
            while token.kind == .int || token.kind == .float {
                if token.kind == .float { sawFloat = true }
                guard let d = Double(token.text) else { throw error("malformed number \(token.text)") }
                floats.append(d)
                if !sawFloat {
                    guard let i = Int(token.text) else { throw error("integer out of range: \(token.text)") }
                    ints.append(i)
                }
                try advance()
                if token.kind == .comma { try advance() } else { break }
            }
            _ = try expect(.rbracket, "']' closing the list")
            return sawFloat ? .floats(floats) : .ints(ints)
        default:
            throw error("expected an attribute value, found \(token.display)")
        }
    }
}
