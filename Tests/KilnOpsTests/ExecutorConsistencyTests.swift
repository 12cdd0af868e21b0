// Every op's fast kernel (the executor, f32) against its reference kernel (the interpreter), on the gradient-check
// cases converted to f32 plus larger odd-sized shapes that exercise tiling and threading.

import KilnIR
import KilnKernels
import KilnOps
import KilnRuntime
import Testing

/// The same case with every f64 operand turned into f32 (and shapes optionally enlarged by the case itself).
func asF32(_ t: TensorType) -> TensorType { t.dtype == .f64 ? t.with(dtype: .f32) : t }

enum Consistency {
    /// Runs a forward graph on both paths; returns the largest relative difference and the ops without a fast kernel.
    static func compare(_ c: GradCase, seed: UInt64 = 3) throws -> (error: Double, fallbacks: [String]) {
        // Build the f64 case as written, then retype every f64 value (operands, constants, casts) to f32.
        var b = GraphBuilder(name: "consistency")
        let types = c.inputs.map(asF32)
        let xs = c.inputs.enumerated().map { i, t in b.input("x\(i)", t) }
        b.output("y", try c.build(&b, xs))
        let graph = try retype(b.graph)
        var rng = RandomStream(seed: seed)
        var feeds: [String: HostTensor] = [:]
        for (i, t) in types.enumerated() { feeds["x\(i)"] = HostTensor(t, c.values(i, t, &rng)).rounded() }
        let expected = try Interpreter(graph: graph).run(feeds)["y"]!
        let exe = try Executable(graph: graph)
        let got = try exe.run(feeds)["y"]!
        var worst = 0.0
        for (a, e) in zip(got.data, expected.data) {
            if a.isNaN && e.isNaN { continue }
            worst = Swift.max(worst, Swift.abs(a - e) / Swift.max(1, Swift.abs(e)))
        }
        return (worst, exe.referenceFallbacks)
    }

    /// Converts every f64 node type (constants, casts, random ops) to f32.
    static func retype(_ g: Graph) throws -> Graph {
        var out = g
        for i in out.nodes.indices {
            if out.nodes[i].type.dtype == .f64 { out.nodes[i].type.dtype = .f32 }
            if case .string("f64")? = out.nodes[i].attributes["dtype"] { out.nodes[i].attributes["dtype"] = .string("f32") }
            if case .graph(let body)? = out.nodes[i].attributes["body"] { out.nodes[i].attributes["body"] = .graph(try retype(body)) }
        }
        try OpRegistry.verify(out)
        return out
    }
}

/// Larger, odd-sized cases where tiling, broadcasting loaders and threading matter.
let largeCases: [GradCase] = [
    GradCase(name: "add/large_channel_broadcast", inputs: [f64([3, 17, 19, 37]), f64([37])]) { b, x in try b.add(x[0], x[1]) },
    GradCase(name: "select/large", inputs: [f64([1001, 33]), f64([1001, 33]), f64([33])], values: Draw.awayFromZero) { b, x in
        try b.select(try b.greater(x[0], b.scalar(0, .f64)), x[1], x[2])
    },
    GradCase(name: "exp/large", inputs: [f64([5000])]) { b, x in try b.exp(x[0]) },
    GradCase(name: "reduce_sum/nhwc_channels", inputs: [f64([4, 9, 11, 35])]) { b, x in try b.reduceSum(x[0], axes: [0, 1, 2]) },
    GradCase(name: "reduce_max/rows", inputs: [f64([37, 129])]) { b, x in try b.reduceMax(x[0], axes: [1], keepdims: true) },
    GradCase(name: "transpose/large", inputs: [f64([3, 33, 17, 5])]) { b, x in try b.transpose(x[0], [0, 3, 1, 2]) },
    GradCase(name: "conv2d/odd", inputs: [f64([3, 13, 11, 17]), f64([19, 3, 3, 17])]) { b, x in
        try b.conv2d(x[0], x[1], conv([2, 2], [1, 1, 1, 1]))
    },
    GradCase(name: "conv2d_backward_data/odd", inputs: [f64([3, 7, 6, 19]), f64([19, 3, 3, 17])]) { b, x in
        try b.conv2dBackwardData(x[0], x[1], inputShape: [3, 13, 11, 17], conv([2, 2], [1, 1, 1, 1]))
    },
    GradCase(name: "conv2d_backward_weights/odd", inputs: [f64([3, 13, 11, 17]), f64([3, 7, 6, 19])]) { b, x in
        try b.conv2dBackwardWeights(x[0], x[1], kernel: [3, 3], conv([2, 2], [1, 1, 1, 1]))
    },
    GradCase(name: "fused_conv2d/odd_stride2",
             inputs: [f64([3, 13, 11, 17]), f64([19, 3, 3, 17]), f64([19]), f64([19]), f64([3, 7, 6, 19])]) { b, x in
        try b.fusedConv2d(x[0], x[1], conv([2, 2], [1, 1, 1, 1]),
                          ConvEpilogueSteps(scale: true, shift: true, residual: true, relu: true), operands: [x[2], x[3], x[4]])
    },
    GradCase(name: "fused_conv2d/winograd", inputs: [f64([4, 17, 15, 19]), f64([21, 3, 3, 19]), f64([21]), f64([21])]) { b, x in
        try b.fusedConv2d(x[0], x[1], conv([1, 1], [1, 1, 1, 1]),
                          ConvEpilogueSteps(scale: true, shift: true, relu: true), operands: [x[2], x[3]])
    },
    GradCase(name: "fused_conv2d/pointwise", inputs: [f64([3, 21, 19, 35]), f64([37, 1, 1, 35]), f64([3, 21, 19, 37])]) { b, x in
        try b.fusedConv2d(x[0], x[1], conv(), ConvEpilogueSteps(residual: true, relu: true), operands: [x[2]])
    },
    GradCase(name: "max_pool2d/odd", inputs: [f64([2, 15, 13, 19])], values: Draw.distinct) { b, x in
        try b.maxPool2d(x[0], PoolAttributes(kernel: [3, 3], stride: [2, 2], padding: [1, 1, 1, 1]))
    },
    GradCase(name: "matmul/odd", inputs: [f64([37, 53]), f64([61, 53])]) { b, x in try b.matmul(x[0], x[1], transposeB: true) },
]

@Suite("Fast kernels agree with the reference interpreter (f32)")
struct ExecutorConsistencyTests {
    @Test("executor vs interpreter", arguments: gradCases + largeCases)
    func agree(_ c: GradCase) throws {
        let (error, _) = try Consistency.compare(c)
        #expect(error < 2e-4, "\(c.name): relative error \(error)")
    }

    @Test("float ops used in training have fast kernels")
    func noFallbacks() throws {
        var fallbacks: Set<String> = []
        for c in gradCases + largeCases where !c.name.hasPrefix("composite") {
            fallbacks.formUnion(try Consistency.compare(c).fallbacks)
        }
        #expect(fallbacks.isEmpty, "ops running their reference kernel in f32: \(fallbacks.sorted())")
    }
}
