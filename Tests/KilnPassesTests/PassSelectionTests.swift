// Pass selection by name and the contracts the golden files cannot show: rewrites that would change a type are
// rejected, and the fixpoint terminates on the standard pipeline.

import KilnIR
import KilnOps
import KilnPasses
import Testing

@Suite("Pass selection and rewriter contracts")
struct PassSelectionTests {
    @Test("select accepts the pipeline, each simplification pass by name, none and all")
    func select() throws {
        #expect(try StandardPipeline.select("none").isEmpty)
        #expect(try StandardPipeline.select("all").map(\.name) == StandardPipeline.passes().map(\.name))
        #expect(try StandardPipeline.select("fold, cse,dce,algebraic,simplify").map(\.name)
                == ["fold", "cse", "dce", "algebraic", "simplify"])
        #expect(StandardPipeline.passes().map(\.name) == ["simplify", "conv-epilogue", "fusion", "dce", "schedule",
                                                           "memory"])
        #expect(throws: PipelineSelectionError.self) { try StandardPipeline.select("cse,fusion-typo") }
    }

    @Test("a replacement of another type is a thrown error naming the pass and node")
    func typeChangingRewriteIsRejected() throws {
        var b = GraphBuilder(name: "g")
        let x = b.input("x", TensorType(.f32, [2, 3]))
        let y = try b.exp(x)
        b.output("y", try b.reduceSum(y))
        do {
            _ = try GraphRewriter.rewrite(b.graph, pass: "bad") { rw, node in
                node.op == "reduce_sum" ? node.inputs[0] : rw.keep(node)
            }
            Issue.record("the rewrite should have been rejected")
        } catch let error as RewriteError {
            #expect(error.pass == "bad" && error.node == ValueID(2))
            #expect("\(error)".contains("reduce_sum of type f32[] replaced by a value of type f32[2,3]"))
        }
    }

    @Test("a rewrite that replaces nothing returns the graph unchanged, dead nodes included")
    func noRewriteIsIdentity() throws {
        var b = GraphBuilder(name: "g")
        let x = b.input("x", TensorType(.f32, [3]))
        _ = try b.exp(x)
        b.output("y", try b.neg(x))
        let g = b.graph
        #expect(try CommonSubexpressionElimination().run(g).text() == g.text())
        #expect(try AlgebraicSimplification().run(g).text() == g.text())
    }
}
