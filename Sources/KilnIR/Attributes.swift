// Node attributes: a small closed set of value kinds, printed sorted by key so the text form is deterministic.

/// One attribute value. `graph` carries the body of a fused node.
public indirect enum AttributeValue: Hashable, Sendable {
    case int(Int)
    case float(Double)
    case bool(Bool)
    case string(String)
    case ints([Int])
    case floats([Double])
    case graph(Graph)
}

/// The attributes of a node, keyed by name. Accessors throw `AttributeError` so that a malformed graph read from
/// text is reported, never trapped on.
public struct Attributes: Hashable, Sendable, ExpressibleByDictionaryLiteral {
    public private(set) var values: [String: AttributeValue]

    public init(_ values: [String: AttributeValue] = [:]) { self.values = values }
    public init(dictionaryLiteral elements: (String, AttributeValue)...) {
        self.values = Dictionary(elements, uniquingKeysWith: { _, last in last })
    }

    public subscript(key: String) -> AttributeValue? {
        get { values[key] }
        set { values[key] = newValue }
    }

    public var isEmpty: Bool { values.isEmpty }
    /// Keys in printing order.
    public var sortedKeys: [String] { values.keys.sorted() }

    public func int(_ key: String) throws(AttributeError) -> Int {
        guard case .int(let v)? = values[key] else { throw AttributeError(key: key, expected: "an integer", found: values[key]) }
        return v
    }

    public func int(_ key: String, default fallback: Int) throws(AttributeError) -> Int {
        values[key] == nil ? fallback : try int(key)
    }

    /// A float attribute; an integer literal is accepted and widened.
    public func float(_ key: String) throws(AttributeError) -> Double {
        switch values[key] {
        case .float(let v)?: return v
        case .int(let v)?: return Double(v)
        default: throw AttributeError(key: key, expected: "a number", found: values[key])
        }
    }

    public func float(_ key: String, default fallback: Double) throws(AttributeError) -> Double {
        values[key] == nil ? fallback : try float(key)
    }

    public func bool(_ key: String, default fallback: Bool? = nil) throws(AttributeError) -> Bool {
        if values[key] == nil, let fallback { return fallback }
        guard case .bool(let v)? = values[key] else { throw AttributeError(key: key, expected: "true or false", found: values[key]) }
        return v
    }

    public func string(_ key: String, default fallback: String? = nil) throws(AttributeError) -> String {
        if values[key] == nil, let fallback { return fallback }
        guard case .string(let v)? = values[key] else { throw AttributeError(key: key, expected: "a string", found: values[key]) }
        return v
    }

    /// An integer list; `count`, when given, is checked.
    public func ints(_ key: String, count: Int? = nil) throws(AttributeError) -> [Int] {
        guard case .ints(let v)? = values[key] else { throw AttributeError(key: key, expected: "a list of integers", found: values[key]) }
        if let count, v.count != count {
            throw AttributeError(key: key, expected: "a list of \(count) integers", found: values[key])
        }
        return v
    }

    public func ints(_ key: String, default fallback: [Int]) throws(AttributeError) -> [Int] {
        values[key] == nil ? fallback : try ints(key)
    }

    /// A float list; an integer list is accepted and widened (the printer writes `[]` for both).
    public func floats(_ key: String) throws(AttributeError) -> [Double] {
        switch values[key] {
        case .floats(let v)?: return v
        case .ints(let v)?: return v.map(Double.init)
        default: throw AttributeError(key: key, expected: "a list of numbers", found: values[key])
        }
    }

    public func graph(_ key: String) throws(AttributeError) -> Graph {
        guard case .graph(let g)? = values[key] else { throw AttributeError(key: key, expected: "a graph", found: values[key]) }
        return g
    }
}

/// A missing or mistyped attribute.
public struct AttributeError: Error, Hashable, CustomStringConvertible {
    public var key: String
    public var expected: String
    public var found: AttributeValue?

    public var description: String {
        if let found { return "attribute '\(key)' must be \(expected), found \(AttributePrinter.text(found))" }
        return "missing attribute '\(key)' (\(expected))"
    }
}
