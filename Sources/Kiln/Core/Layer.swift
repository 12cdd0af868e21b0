// Layers: classes whose stored properties are parameters and sub-layers. Parameter names are found by reflection
// and match torchvision's `state_dict` keys (`layer1.0.conv1.weight`, `bn1.running_mean`).

import KilnIR

/// Anything that owns parameters, found by reflection: layers, and containers such as a queue of keys.
public protocol Module: AnyObject {}

public protocol Layer<Input, Output>: Module {
    associatedtype Input = Tensor
    associatedtype Output = Tensor
    /// The computation; call the layer itself (`layer(x)`), which records the call site.
    func forward(_ input: Input) -> Output
}

extension Layer {
    /// Applies the layer, recording the caller's source location for error messages.
    public func callAsFunction(_ input: Input, file: String = #fileID, line: Int = #line) -> Output {
        guard let tracer = Tracer.current, !file.hasPrefix("Kiln/") else { return forward(input) }
        return tracer.withCallSite(file, line) { forward(input) }
    }
}

extension Module {
    /// Every parameter and buffer with its dotted name, in declaration order.
    public func namedParameters(prefix: String = "") throws -> [(String, Parameter)] {
        var out: [(String, Parameter)] = []
        var seen = Set<String>()
        try ParameterWalker.walk(self, prefix: prefix) { name, p in
            guard seen.insert(name).inserted else { throw ModelError.duplicateName(name) }
            out.append((name, p))
        }
        return out
    }

    /// Number of scalar values in trainable parameters.
    public func parameterCount() throws -> Int {
        try namedParameters().filter { $0.1.isTrainable }.reduce(0) { $0 + $1.1.count }
    }

    /// Draws every parameter that has no value yet (pass `force: true` to redraw all) from `seed`.
    public func initialize(seed: UInt64, force: Bool = false) throws {
        for (name, p) in try namedParameters() where force || p.values == nil {
            p.initialize(seed: seed, name: name)
        }
    }
}

/// Layers that name their children themselves (Sequential: "0", "1", ...).
public protocol ChildNaming {
    var namedChildren: [(String, Any)] { get }
}

enum ParameterWalker {
    static func walk(_ value: Any, prefix: String, _ visit: (String, Parameter) throws -> Void) throws {
        if let p = value as? Parameter {
            try visit(prefix, p)
            return
        }
        let children: [(String, Any)]
        if let named = value as? ChildNaming {
            children = named.namedChildren
        } else {
            let mirror = Mirror(reflecting: value)
            switch mirror.displayStyle {
            case .optional:
                if let some = mirror.children.first { try walk(some.value, prefix: prefix, visit) }
                return
            case .collection:
                children = mirror.children.enumerated().map { ("\($0.offset)", $0.element.value) }
            case .class, .struct:
                var all: [(String, Any)] = []
                var m: Mirror? = mirror
                var chain: [Mirror] = []
                while let current = m { chain.insert(current, at: 0); m = current.superclassMirror }
                for current in chain {
                    for child in current.children { if let label = child.label { all.append((label, child.value)) } }
                }
                children = all
            default:
                return
            }
        }
        for (label, child) in children where isParameterBearing(child) {
            // An empty label splices the child's parameters into this level (a wrapper that keeps its child's names).
            let name = label.isEmpty ? prefix : prefix.isEmpty ? label : "\(prefix).\(label)"
            try walk(child, prefix: name, visit)
        }
    }

    /// Only parameters, layers and containers of them are walked (not configuration values).
    static func isParameterBearing(_ value: Any) -> Bool {
        if value is Parameter || value is any Module || value is ChildNaming { return true }
        let mirror = Mirror(reflecting: value)
        switch mirror.displayStyle {
        case .optional: return mirror.children.first.map { isParameterBearing($0.value) } ?? false
        case .collection: return mirror.children.contains { isParameterBearing($0.value) }
        default: return false
        }
    }
}
