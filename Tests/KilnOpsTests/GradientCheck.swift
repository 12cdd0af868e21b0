// Central finite-difference checks of reverse-mode gradients in f64, run on the reference interpreter.

import KilnIR
import KilnKernels
import KilnOps
import KilnPasses
import KilnRuntime

/// One gradient-check case: a small f64 graph built from its inputs.
struct GradCase: CustomStringConvertible, Sendable {
    var name: String
    /// Operand types; f64 operands are differentiated, integer ones are held fixed.
    var inputs: [TensorType]
    /// How to draw an operand's values (default: uniform in [-1, 1]).
    var values: @Sendable (Int, TensorType, inout RandomStream) -> [Double] = { _, t, rng in
        (0..<t.count).map { _ in rng.uniform(-1, 1) }
    }
    /// When false the op has no gradient: the check asserts that none flows.
    var differentiable = true
    var build: @Sendable (inout GraphBuilder, [ValueID]) throws -> ValueID

    var description: String { name }
    /// The op this case exercises (the prefix before '/').
    var op: String { String(name.split(separator: "/").first ?? "") }
}

struct GradCheckResult {
    var maxError: Double
    var worst: String
}

enum GradientChecker {
    /// Builds loss = Σ w ⊙ f(x) with fixed random weights w, compares analytic and numeric gradients.
    static func check(_ c: GradCase, seed: UInt64 = 1, step: Double = 1e-6) throws -> GradCheckResult {
        var rng = RandomStream(seed: seed)
        var b = GraphBuilder(name: "gradcheck")
        let xs = c.inputs.enumerated().map { i, t in b.input("x\(i)", t) }
        let y = try c.build(&b, xs)
        let yt = b.type(of: y)
        let yf = yt.dtype == .f64 ? y : try b.cast(y, .f64)
        let w = b.input("w", TensorType(.f64, yt.shape))
        let loss = try b.reduceSum(try b.mul(yf, w))
        b.output("loss", loss)
        let wrt = xs.enumerated().filter { c.inputs[$0.offset].dtype == .f64 }.map(\.element)
        let grads = try b.gradients(of: loss, wrt: wrt)
        for (k, g) in grads.enumerated() { b.output("g\(k)", g) }
        let interpreter = try Interpreter(graph: b.graph)

        var feeds: [String: HostTensor] = [:]
        for (i, t) in c.inputs.enumerated() { feeds["x\(i)"] = HostTensor(t, c.values(i, t, &rng)) }
        feeds["w"] = HostTensor(TensorType(.f64, yt.shape), (0..<yt.count).map { _ in rng.uniform(0.5, 1.5) })
        let analytic = try interpreter.run(feeds)

        var result = GradCheckResult(maxError: 0, worst: "")
        for (k, x) in xs.enumerated() where c.inputs[x.index].dtype == .f64 {
            _ = k
            let name = "x\(x.index)"
            let gIndex = wrt.firstIndex(of: x)!
            let g = analytic["g\(gIndex)"]!
            for e in 0..<c.inputs[x.index].count {
                var plus = feeds, minus = feeds
                plus[name]!.data[e] += step
                minus[name]!.data[e] -= step
                let lp = try interpreter.run(plus)["loss"]!.data[0]
                let lm = try interpreter.run(minus)["loss"]!.data[0]
                let numeric = (lp - lm) / (2 * step)
                let err = Swift.abs(numeric - g.data[e]) / Swift.max(1, Swift.abs(numeric))
                if !c.differentiable {
                    let e2 = Swift.abs(g.data[e])
                    if e2 > result.maxError { result = GradCheckResult(maxError: e2, worst: "\(name)[\(e)] gradient \(g.data[e]) should be 0") }
                } else if err > result.maxError || err.isNaN {
                    result = GradCheckResult(maxError: err.isNaN ? .infinity : err,
                                             worst: "\(name)[\(e)]: analytic \(g.data[e]) numeric \(numeric)")
                }
            }
        }
        return result
    }
}
