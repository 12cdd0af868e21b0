// Typed access to a parsed `JSONValue` that remembers where each value sits, so every complaint names the file
// and the JSON path (`annotations[17].bbox[2]`) and says what was expected and what was found.

struct JSONNode {
    let value: JSONValue
    let file: String
    private let parent: String
    private let component: Component

    private enum Component {
        case root
        case key(String)
        case index(Int)
    }

    init(value: JSONValue, file: String) {
        self.init(value: value, file: file, parent: "", component: .root)
    }

    private init(value: JSONValue, file: String, parent: String, component: Component) {
        self.value = value
        self.file = file
        self.parent = parent
        self.component = component
    }

    /// The JSON path of this value; built only when needed (errors), as most values are fine.
    var path: String {
        switch component {
        case .root: return ""
        case .key(let key): return parent.isEmpty ? key : "\(parent).\(key)"
        case .index(let i): return "\(parent)[\(i)]"
        }
    }

    func error(_ message: String, kind: DataError.Kind = .format) -> DataError {
        DataError(kind, file: file, field: path, message)
    }

    /// A short description of the value's JSON type, for messages.
    var typeName: String { Self.typeName(value) }

    static func typeName(_ value: JSONValue) -> String {
        switch value {
        case .null: return "null"
        case .bool: return "a boolean"
        case .int, .number: return "a number"
        case .string: return "a string"
        case .array: return "an array"
        case .object: return "an object"
        }
    }

    func members() throws -> [(String, JSONValue)] {
        guard case .object(let members) = value else { throw error("expected an object, found \(typeName)") }
        return members
    }

    /// A required member of an object.
    func member(_ key: String) throws -> JSONNode {
        guard let child = try optionalMember(key) else {
            throw DataError(.format, file: file, field: path.isEmpty ? key : "\(path).\(key)", "missing field")
        }
        return child
    }

    /// An optional member; nil when absent or null. With duplicate keys the last one wins.
    func optionalMember(_ key: String) throws -> JSONNode? {
        guard let child = try members().last(where: { $0.0 == key })?.1 else { return nil }
        if case .null = child { return nil }
        return JSONNode(value: child, file: file, parent: path, component: .key(key))
    }

    func array() throws -> [JSONNode] {
        guard case .array(let items) = value else { throw error("expected an array, found \(typeName)") }
        let here = path
        return items.enumerated().map { JSONNode(value: $1, file: file, parent: here, component: .index($0)) }
    }

    var isArray: Bool {
        if case .array = value { return true }
        return false
    }

    func string() throws -> String {
        guard case .string(let text) = value else { throw error("expected a string, found \(typeName)") }
        return text
    }

    func double() throws -> Double {
        switch value {
        case .int(let number): return Double(number)
        case .number(let number): return number
        default: throw error("expected a number, found \(typeName)")
        }
    }

    func int() throws -> Int {
        switch value {
        case .int(let number): return number
        case .number(let number) where number == number.rounded() && abs(number) < 9.0e15: return Int(number)
        case .number(let number): throw error("expected an integer, found \(number)")
        default: throw error("expected an integer, found \(typeName)")
        }
    }

    /// 0/1 or false/true.
    func flag() throws -> Bool {
        if case .bool(let flag) = value { return flag }
        let number = try int()
        guard number == 0 || number == 1 else { throw error("expected 0 or 1, found \(number)") }
        return number == 1
    }

    /// An array of numbers, checked element by element.
    func doubles() throws -> [Double] {
        guard case .array(let items) = value else { throw error("expected an array of numbers, found \(typeName)") }
        var result = [Double]()
        result.reserveCapacity(items.count)
        for (i, item) in items.enumerated() {
            switch item {
            case .int(let number): result.append(Double(number))
            case .number(let number): result.append(number)
            default:
                throw DataError(.format, file: file, field: "\(path)[\(i)]", "expected a number, found \(Self.typeName(item))")
            }
        }
        return result
    }
}
