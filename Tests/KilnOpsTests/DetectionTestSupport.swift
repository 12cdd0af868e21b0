// Helpers for the detection tests: run a small graph on the reference interpreter and on the fast executor and
// return both results, plus deterministic random boxes.

import KilnIR
import KilnKernels
import KilnOps
import KilnRuntime

enum DetectionRun {
    /// Builds `y = build(inputs)` over inputs named x0, x1, … and runs it on both paths.
    /// Returns (interpreter, executor) values of y.
    static func both(_ feeds: [HostTensor],
                     _ build: (inout GraphBuilder, [ValueID]) throws -> ValueID) throws -> (reference: HostTensor, fast: HostTensor) {
        var b = GraphBuilder(name: "detection")
        let xs = feeds.enumerated().map { i, t in b.input("x\(i)", t.type) }
        b.output("y", try build(&b, xs))
        var named: [String: HostTensor] = [:]
        for (i, t) in feeds.enumerated() { named["x\(i)"] = t.rounded() }
        let reference = try Interpreter(graph: b.graph).run(named)["y"]
        let fast = try Executable(graph: b.graph).run(named)["y"]
        guard let reference, let fast else { throw DetectionTestError.missingOutput }
        return (reference, fast)
    }

    /// The values of an integer result.
    static func ints(_ t: HostTensor) -> [Int] { t.data.map { Int($0) } }
}

enum DetectionTestError: Error { case missingOutput }

/// `count` random boxes (x0, y0, x1, y1) with corners in [0, extent) and sides in [1, maxSide], as f32 values.
func randomBoxes(_ count: Int, extent: Double = 40, maxSide: Double = 16, rng: inout RandomStream) -> [Float] {
    (0..<count).flatMap { _ -> [Float] in
        let x = rng.uniform(0, extent), y = rng.uniform(0, extent)
        return [Float(x), Float(y), Float(x + rng.uniform(1, maxSide)), Float(y + rng.uniform(1, maxSide))]
    }
}

func f32(_ shape: [Int]) -> TensorType { TensorType(.f32, shape) }

extension HostTensor {
    /// A tensor from Float values.
    init(_ type: TensorType, floats: [Float]) { self.init(type, floats.map(Double.init)) }
}

/// `count` floats uniform in [−1, 1), reproducible from `seed`.
func randomFloats(_ count: Int, seed: UInt64) -> [Float] {
    var stream = RandomStream(seed: seed)
    return (0..<count).map { _ in stream.uniformFloat(-1, 1) }
}

/// max |a − b| / max(max |b|, tiny).
func relativeError(_ a: [Float], _ reference: [Float]) -> Float {
    var worst: Float = 0, scale: Float = 0
    for (x, r) in zip(a, reference) {
        let diff = abs(x - r)
        worst = diff.isNaN ? .infinity : max(worst, diff)
        scale = max(scale, abs(r))
    }
    return a.count == reference.count ? worst / max(scale, 1e-30) : .infinity
}

/// ⟨a, b⟩ in Double.
func dot(_ a: [Float], _ b: [Float]) -> Double {
    zip(a, b).reduce(0) { $0 + Double($1.0) * Double($1.1) }
}
