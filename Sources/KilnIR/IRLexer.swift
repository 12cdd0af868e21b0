// Tokens of the IR text form.

struct IRToken {
    enum Kind { case value, atName, identifier, int, float, string, annotation, equals, comma, lparen, rparen,
                     lbracket, rbracket, lbrace, rbrace, end }
    var kind: Kind
    var text: String
    var line: Int
    var column: Int

    var display: String {
        switch kind {
        case .end: "end of input"
        case .value: "%\(text)"
        case .atName: "@\(text)"
        case .string: "\"\(text)\""
        case .annotation: "#\(text)"
        default: "'\(text)'"
        }
    }
}

struct IRLexer {
    private let scalars: [Unicode.Scalar]
    private var pos = 0
    private var line = 1
    private var column = 1

    init(_ text: String) { scalars = Array(text.unicodeScalars) }

    private func peek(_ offset: Int = 0) -> Unicode.Scalar? {
        pos + offset < scalars.count ? scalars[pos + offset] : nil
    }

    private mutating func bump() {
        if scalars[pos] == "\n" { line += 1; column = 1 } else { column += 1 }
        pos += 1
    }

    private func isDigit(_ c: Unicode.Scalar?) -> Bool { c.map { ("0"..."9").contains($0) } ?? false }

    mutating func next() throws(ParseError) -> IRToken {
        // Skip whitespace and `//` comments.
        while let c = peek() {
            if c == " " || c == "\t" || c == "\n" || c == "\r" { bump() }
            else if c == "/", peek(1) == "/" { while let d = peek(), d != "\n" { bump() } }
            else { break }
        }
        let startLine = line, startColumn = column
        func make(_ kind: IRToken.Kind, _ text: String) -> IRToken {
            IRToken(kind: kind, text: text, line: startLine, column: startColumn)
        }
        func fail(_ message: String) -> ParseError { ParseError(line: startLine, column: startColumn, message: message) }
        guard let c = peek() else { return make(.end, "") }
        let punct: [Unicode.Scalar: IRToken.Kind] = ["=": .equals, ",": .comma, "(": .lparen, ")": .rparen,
                                                     "[": .lbracket, "]": .rbracket, "{": .lbrace, "}": .rbrace]
        if let kind = punct[c] { bump(); return make(kind, String(c)) }
        switch c {
        case "%":
            bump()
            var digits = ""
            while isDigit(peek()) { digits.unicodeScalars.append(peek()!); bump() }
            guard !digits.isEmpty else { throw fail("expected digits after '%'") }
            return make(.value, digits)
        case "@":
            bump()
            if peek() == "\"" { return make(.atName, try string()) }
            let name = identifier()
            guard !name.isEmpty else { throw fail("expected a name after '@'") }
            return make(.atName, name)
        case "\"":
            return make(.string, try string())
        case "#":
            bump()
            var text = ""
            var depth = 0
            while let d = peek() {
                if d == "(" { depth += 1 }
                if d == ")" { depth -= 1 }
                if d == "\n" || (depth == 0 && (d == " " || d == "\t")) { break }
                text.unicodeScalars.append(d)
                bump()
                if depth == 0 && d == ")" { break }
            }
            guard depth == 0, !text.isEmpty else { throw fail("malformed annotation #\(text)") }
            return make(.annotation, text)
        default:
            if isDigit(c) || ((c == "-" || c == "+") && (isDigit(peek(1)) || peek(1) == "i" || peek(1) == "n")) {
                return try number(make)
            }
            if IRName.isIdentifierScalar(c) {
                let word = identifier()
                if word == "inf" || word == "nan" { return make(.float, word) }
                return make(.identifier, word)
            }
            throw fail("unexpected character '\(c)'")
        }
    }

    private mutating func identifier() -> String {
        var s = ""
        while let d = peek(), IRName.isIdentifierScalar(d) { s.unicodeScalars.append(d); bump() }
        return s
    }

    private mutating func number(_ make: (IRToken.Kind, String) -> IRToken) throws(ParseError) -> IRToken {
        var s = ""
        if let sign = peek(), sign == "-" || sign == "+" { s.unicodeScalars.append(sign); bump() }
        if let d = peek(), d == "i" || d == "n" {
            let word = identifier()
            guard word == "inf" || word == "nan" else {
                throw ParseError(line: line, column: column, message: "malformed number \(s)\(word)")
            }
            return make(.float, s + word)
        }
        var isFloat = false
        while let d = peek() {
            if isDigit(d) { s.unicodeScalars.append(d); bump() }
            else if d == "." { isFloat = true; s.unicodeScalars.append(d); bump() }
            else if d == "e" || d == "E" {
                isFloat = true
                s.unicodeScalars.append(d); bump()
                if let sign = peek(), sign == "-" || sign == "+" { s.unicodeScalars.append(sign); bump() }
            } else { break }
        }
        return make(isFloat ? .float : .int, s)
    }

    private mutating func string() throws(ParseError) -> String {
        let startLine = line, startColumn = column
        bump()  // opening quote
        var s = ""
        while let c = peek() {
            bump()
            if c == "\"" { return s }
            if c == "\\" {
                guard let e = peek() else { break }
                bump()
                switch e {
                case "n": s += "\n"
                case "t": s += "\t"
                case "\"": s += "\""
                case "\\": s += "\\"
                case "u":
                    guard peek() == "{" else { throw ParseError(line: line, column: column, message: "expected '{' after \\u") }
                    bump()
                    var hex = ""
                    while let h = peek(), h != "}" { hex.unicodeScalars.append(h); bump() }
                    bump()
                    guard let v = UInt32(hex, radix: 16), let u = Unicode.Scalar(v) else {
                        throw ParseError(line: line, column: column, message: "bad escape \\u{\(hex)}")
                    }
                    s.unicodeScalars.append(u)
                default: throw ParseError(line: line, column: column, message: "unknown escape \\\(e)")
                }
            } else {
                s.unicodeScalars.append(c)
            }
        }
        throw ParseError(line: startLine, column: startColumn, message: "unterminated string")
    }
}
