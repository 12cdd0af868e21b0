// Seeded random graphs for planner and scheduler invariants: inputs, states and constants, then a random mix of
// elementwise (single and fused), reduction (plain and fused), reshape, transpose, matmul and convolution nodes
// over a small family of related shapes, random outputs, and state assignments — some computed from the state
// itself (in-place candidates), some with readers of the state after the new value (which must block state-buffer
// reuse).

import KilnIR
import KilnKernels
import KilnOps

enum RandomGraphs {
    static func make(seed: UInt64) throws -> Graph {
        var rng = RandomStream(seed: seed, stream: 4242)
        var b = GraphBuilder(name: "random_\(seed)")
        let m = 1 + rng.below(5), n = 1 + rng.below(37), h = 2 + rng.below(4), w = 2 + rng.below(4), c = 1 + rng.below(3)
        let shapes: [[Int]] = [[m, n], [n], [m, 1], [n, m], [m * n], [1, n], [1, h, w, c]]
        func shape(_ rng: inout RandomStream) -> [Int] { shapes[rng.below(shapes.count)] }

        var pool: [ValueID] = []
        var states: [ValueID] = []
        for i in 0..<(1 + rng.below(3)) { pool.append(b.input("x\(i)", TensorType(.f32, shape(&rng)))) }
        for i in 0..<rng.below(4) {
            let s = b.state("s\(i)", TensorType(.f32, shape(&rng)))
            states.append(s)
            pool.append(s)
        }
        if rng.bernoulli(0.5) { pool.append(b.constant(Double(rng.uniform(-1, 1)), TensorType(.f32, shape(&rng)))) }

        for _ in 0..<(4 + rng.below(27)) {
            let x = pool[rng.below(pool.count)]
            if let y = try randomNode(&b, x, pool, &rng) { pool.append(y) }
        }

        let computed = pool.filter { !b.node($0).isLeaf }
        for _ in 0..<(1 + rng.below(3)) {
            let source = computed.isEmpty || rng.bernoulli(0.1) ? pool : computed
            b.output("y\(b.graph.outputs.count)", source[rng.below(source.count)])
        }
        for s in states where rng.bernoulli(0.8) {
            let type = b.type(of: s)
            let sameType = computed.filter { b.type(of: $0) == type }
            var value: ValueID
            if sameType.isEmpty || rng.bernoulli(0.5) {
                // An update computed from the state itself: s' = s * k + f(other).
                let k = b.scalar(Double(rng.uniform(0.5, 1.5)))
                value = try b.mul(s, k)
                if let other = pool.first(where: { Shape.broadcast(b.type(of: $0).shape, type.shape) == type.shape }) {
                    value = try b.add(value, try b.tanh(other))
                }
            } else {
                value = sameType[rng.below(sameType.count)]
            }
            b.assign(s, value)
            if rng.bernoulli(0.2) {
                // A reader of the old state value after the new value exists.
                b.output("late\(b.graph.outputs.count)", try b.sub(s, value))
            }
        }
        try OpRegistry.verify(b.graph)
        return b.graph
    }

    /// One random node reading `x` (and maybe another pool value); nil when the chosen kind does not fit.
    static func randomNode(_ b: inout GraphBuilder, _ x: ValueID, _ pool: [ValueID],
                           _ rng: inout RandomStream) throws -> ValueID? {
        let shape = b.type(of: x).shape
        let count = b.type(of: x).count
        switch rng.below(10) {
        case 0, 1:
            switch rng.below(5) {
            case 0: return try b.neg(x)
            case 1: return try b.relu(x)
            case 2: return try b.tanh(x)
            case 3: return try b.sigmoid(x)
            default: return try b.abs(x)
            }
        case 2, 3:
            let partners = pool.filter { Shape.broadcast(b.type(of: $0).shape, shape) != nil }
            let y = partners.isEmpty ? x : partners[rng.below(partners.count)]
            switch rng.below(4) {
            case 0: return try b.add(x, y)
            case 1: return try b.sub(x, y)
            case 2: return try b.mul(x, y)
            default: return try b.maximum(x, y)
            }
        case 4:
            guard !shape.isEmpty else { return nil }
            return try b.reduceSum(x, axes: [rng.below(shape.count)], keepdims: rng.bernoulli(0.5))
        case 5:
            if shape.count >= 2 { return try b.reshape(x, [count]) }
            let d = (2...max(2, count)).first { count % $0 == 0 && $0 < count } ?? 1
            return try b.reshape(x, [count / d, d])
        case 6:
            guard shape.count == 2 else { return nil }
            return rng.bernoulli(0.5) ? try b.transpose(x, [1, 0]) : try b.matmul(x, x, transposeB: true)
        case 7:
            guard shape.count == 4 else { return nil }
            let out = 1 + rng.below(3)
            let weight = b.constant(Double(rng.uniform(-0.5, 0.5)), TensorType(.f32, [out, 3, 3, shape[3]]))
            return try b.conv2d(x, weight, ConvAttributes(padding: [1, 1, 1, 1]))
        default:
            // fused(x, y) = relu(x * y + x) with y of x's shape (or x itself), or a fused reduction
            // sum(x * y) over the last axis with keepdims — the same byte size when that axis has length 1, but not
            // an elementwise kernel, so never in place.
            let same = pool.filter { b.type(of: $0) == b.type(of: x) }
            let y = same[rng.below(same.count)]
            var body = GraphBuilder(name: "body")
            let a0 = body.input("0", b.type(of: x)), a1 = body.input("1", b.type(of: y))
            if !shape.isEmpty && rng.bernoulli(0.3) {
                body.output("out", try body.reduceSum(try body.mul(a0, a1), axes: [shape.count - 1], keepdims: true))
            } else {
                body.output("out", try body.relu(try body.add(try body.mul(a0, a1), a0)))
            }
            return try b.apply(Fused.self, [x, y], ["body": .graph(body.graph)])
        }
    }
}
