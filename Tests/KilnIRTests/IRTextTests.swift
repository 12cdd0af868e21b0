// The IR text format: exact print → parse → print round trips, parse errors with positions, and the verifier.

import KilnIR
import KilnOps
import Testing

@Suite("IR text format and verifier")
struct IRTextTests {
    static let sample = """
    graph @block {
      %0 = f32[2,5,5,3] input() {name="x"}
      %1 = f32[4,3,3,3] state() {name="conv.weight"}
      %2 = f32[2,5,5,4] conv2d(%0, %1) {dilation=[1,1], groups=1, padding=[1,1,1,1], stride=[1,1]} #src(Block.swift:12)
      %3 = f32[] constant() {value=0.5}
      %4 = f32[2,5,5,4] mul(%2, %3)
      %5 = f32[2,5,5,4] relu(%4) #buf(0,800)
      %6 = f32[4] constant() {values=[1.0,-2.5,1e-05,inf]}
      %7 = f32[2,5,5,4] fused(%5, %6) {body=
        graph @body {
          %0 = f32[2,5,5,4] input() {name="0"}
          %1 = f32[4] input() {name="1"}
          %2 = f32[2,5,5,4] add(%0, %1)
          return out=%2
        }}
      %8 = f32[] reduce_sum(%7) {keepdims=false}
      %9 = f32[4,3,3,3] sub(%1, %1)
      assign %1 = %9
      return loss=%8, "odd name"=%7
    }

    """

    @Test("printing a parsed canonical text reproduces it exactly")
    func roundTrip() throws {
        let g = try Graph.parse(Self.sample)
        #expect(g.text() == Self.sample)
        try OpRegistry.verify(g)
        #expect(g.nodes[2].location == SourceLocation(file: "Block.swift", line: 12))
        #expect(g.nodes[5].annotations == ["buf(0,800)"])
        #expect(try Graph.parse(g.text()) == g)
    }

    @Test("non-dense value ids are renumbered")
    func renumbering() throws {
        let g = try Graph.parse("graph @g { %10 = f32[2] input() {name=\"a\"} %7 = f32[2] neg(%10) return y=%7 }")
        #expect(g.text() == "graph @g {\n  %0 = f32[2] input() {name=\"a\"}\n  %1 = f32[2] neg(%0)\n  return y=%1\n}\n")
    }

    @Test("attribute values of every kind round-trip", arguments: [
        "1", "-3", "0.1", "1e-05", "-inf", "nan", "true", "false", "\"a\\\"b\\\\c\\n\"", "[]", "[1,2,3]", "[0.5,2.0]",
    ])
    func attributeRoundTrip(_ literal: String) throws {
        let text = "graph @g {\n  %0 = f32[] constant() {value=0.0, x=\(literal)}\n  return y=%0\n}\n"
        #expect(try Graph.parse(text).text() == text)
    }

    @Test("syntax errors name the line and column", arguments: [
        ("graph @g { %0 = f32[2 input() {name=\"a\"} return }", "line 1, column 23: expected ']' closing the shape"),
        ("graph @g {\n  %0 = f33[2] input() {name=\"a\"}\n  return\n}", "unknown element type 'f33'"),
        ("graph @g { %0 = f32[2] neg(%4) return }", "use of undefined value %4"),
        ("graph @g { %0 = f32[2] input() {name=\"a\"} %0 = f32[2] neg(%0) return }", "defined twice"),
        ("graph @g { %0 = f32[2] input() {name=\"unterminated} return }", "unterminated string"),
        ("", "expected 'graph'"),
    ])
    func parseErrors(_ text: String, _ expected: String) {
        do {
            _ = try Graph.parse(text)
            Issue.record("expected a parse error")
        } catch {
            #expect(error.description.contains(expected), "got: \(error)")
        }
    }

    @Test("the verifier reports wrong types, bad assigns and unknown ops without trapping", arguments: [
        ("graph @g { %0 = f32[2] input() {name=\"a\"} %1 = f32[3] neg(%0) return y=%1 }", "neg produces f32[2]"),
        ("graph @g { %0 = f32[2] input() {name=\"a\"} %1 = f32[2] frobnicate(%0) return y=%1 }", "unknown op 'frobnicate'"),
        ("graph @g { %0 = f32[2] input() {name=\"a\"} %1 = f32[2] neg(%0) assign %0 = %1 return }", "assign target must be a state"),
        ("graph @g { %0 = f32[2] input() {name=\"a\"} %1 = f32[2] input() {name=\"a\"} return }", "already used"),
        ("graph @g { %0 = f32[2,3] input() {name=\"a\"} %1 = f32[3,2] transpose(%0) {permutation=[0,0]} return }", "not a permutation"),
        ("graph @g { %0 = f32[2,3] input() {name=\"a\"} %1 = f32[3,2] transpose(%0) return }", "missing attribute 'permutation'"),
        ("graph @g { %0 = f32[2] input() {name=\"a\"} %1 = f32[2] cast(%0) {dtype=3} return }", "attribute 'dtype' must be a string"),
    ])
    func verifierErrors(_ text: String, _ expected: String) throws {
        let g = try Graph.parse(text)
        do {
            try OpRegistry.verify(g)
            Issue.record("expected a verifier error")
        } catch {
            #expect(error.description.contains(expected), "got: \(error)")
        }
    }

    @Test("shape errors name the op, the input shapes and the call site")
    func shapeErrorMessage() {
        var b = GraphBuilder(name: "g")
        let x = b.input("x", TensorType(.f32, [8, 32, 32, 3]))
        let w = b.state("w", TensorType(.f32, [64, 3, 3, 4]))
        b.location = SourceLocation(file: "Model.swift", line: 42)
        do {
            _ = try b.conv2d(x, w)
            Issue.record("expected a shape error")
        } catch {
            #expect(error.description == "Model.swift:42: conv2d(f32[8,32,32,3], f32[64,3,3,4]): input has 3 channels but the weight expects 4 (4 per group × 1 groups)")
        }
    }

    @Test("DOT export lists every node and edge")
    func dot() throws {
        let g = try Graph.parse(Self.sample)
        let dot = g.dot()
        #expect(dot.hasPrefix("digraph \"block\" {"))
        for i in g.nodes.indices { #expect(dot.contains("  n\(i) [label=\"%\(i) ")) }
        #expect(dot.contains("n0 -> n2;"))
        #expect(dot.contains("style=dashed"))
    }
}
