// Before/after equivalence of a pass (tinygrad's idea): both graphs run in the reference interpreter on the same
// seeded random inputs and states, and every output and every assigned state must agree within a relative
// tolerance. Floating-point values are drawn from [-1, 1]; integers from 0...3 (small enough to be valid labels
// and counters); booleans are 0 or 1.

import KilnIR
import KilnOps
import KilnRuntime

enum Equivalence {
    /// Random values for every input and state of `graph`. A leaf's values depend only on the seed and its name, so
    /// two versions of a graph get the same feeds.
    static func feeds(for graph: Graph, seed: UInt64) -> (inputs: [String: HostTensor], states: [String: HostTensor]) {
        var inputs: [String: HostTensor] = [:], states: [String: HostTensor] = [:]
        for node in graph.nodes {
            guard node.op == LeafOp.input.rawValue || node.op == LeafOp.state.rawValue,
                  case .string(let name)? = node.attributes["name"] else { continue }
            var rng = SplitMix(seed: seed ^ stableHash(name))
            let data = (0..<node.type.count).map { _ in
                switch node.type.dtype {
                case .f32, .f64: return rng.unit() * 2 - 1
                case .i32, .i64: return Double(rng.next() % 4)
                case .bool: return Double(rng.next() % 2)
                }
            }
            let value = HostTensor(node.type, data).rounded()
            if node.op == LeafOp.input.rawValue { inputs[name] = value } else { states[name] = value }
        }
        return (inputs, states)
    }

    /// Differences between `before` and `after` on one random feed: one line per output or assigned state that
    /// differs (empty when they agree).
    static func mismatches(_ before: Graph, _ after: Graph, seed: UInt64 = 1, tolerance: Double = 1e-5) throws -> [String] {
        let (inputs, states) = feeds(for: before, seed: seed)
        let runBefore = try Interpreter(graph: before, states: states)
        let runAfter = try Interpreter(graph: after, states: states)
        let outBefore = try runBefore.run(inputs), outAfter = try runAfter.run(inputs)
        var problems: [String] = []
        for output in before.outputs {
            guard let a = outBefore[output.name], let b = outAfter[output.name] else {
                problems.append("output \(output.name) is missing after the passes")
                continue
            }
            if let d = difference(a, b, tolerance: tolerance) { problems.append("output \(output.name): \(d)") }
        }
        for assignment in before.assignments {
            guard case .string(let name)? = before[assignment.state].attributes["name"] else { continue }
            guard let a = runBefore.states[name], let b = runAfter.states[name] else {
                problems.append("state \(name) is missing after the passes")
                continue
            }
            if let d = difference(a, b, tolerance: tolerance) { problems.append("state \(name): \(d)") }
        }
        return problems
    }

    /// Nil when the tensors agree: same type, each pair of elements equal, both NaN, or within `tolerance` of the
    /// larger magnitude.
    static func difference(_ a: HostTensor, _ b: HostTensor, tolerance: Double) -> String? {
        guard a.type == b.type else { return "type \(a.type) before, \(b.type) after" }
        for i in 0..<a.count {
            let x = a.data[i], y = b.data[i]
            if x == y || (x.isNaN && y.isNaN) { continue }
            if abs(x - y) <= tolerance * max(abs(x), abs(y)) { continue }
            return "element \(i): \(x) before, \(y) after"
        }
        return nil
    }

    /// FNV-1a over the name's UTF-8 bytes: stable across runs, unlike `hashValue`.
    static func stableHash(_ s: String) -> UInt64 {
        s.utf8.reduce(0xcbf2_9ce4_8422_2325) { ($0 ^ UInt64($1)) &* 0x100_0000_01b3 }
    }
}

/// SplitMix64: a small seeded generator for test data.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    mutating func unit() -> Double { Double(next() >> 11) * 0x1p-53 }
}
