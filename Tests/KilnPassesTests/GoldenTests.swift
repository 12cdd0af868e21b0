// The golden pass tests: every file under Golden/ is parsed, run through the passes its RUN header names (with the
// verifier after each, as in the pipeline), and the printed result must match its EXPECT part exactly; the input
// and output graphs must also compute the same outputs and state updates on random data (Equivalence.swift).

import Foundation
import KilnIR
import KilnPasses
import Testing

@Suite("Golden pass tests")
struct GoldenTests {
    @Test("golden file", arguments: GoldenCase.all())
    func golden(_ c: GoldenCase) throws {
        let file = try GoldenFile(contentsOf: c.url)
        let input = try Graph.parse(file.input)
        let passes = try file.passes.flatMap { try StandardPipeline.select($0) }
        try #require(passes.count == file.passes.count && !passes.isEmpty, "RUN names no pass")
        let output = try Pipeline(passes, environment: [:]).run(input)
        let actual = output.text()
        if GoldenCase.updating {
            if actual != file.expected { try file.text(expected: actual).write(to: c.url, atomically: true, encoding: .utf8) }
        } else {
            let difference = firstDifference(expected: file.expected, actual: actual)
            #expect(actual == file.expected, "\(c.testDescription): \(difference)\nrun with UPDATE_GOLDEN=1 to accept it")
        }
        for seed: UInt64 in [1, 2] {
            let problems = try Equivalence.mismatches(input, output, seed: seed)
            #expect(problems.isEmpty, "\(c.testDescription), seed \(seed): \(problems.joined(separator: "; "))")
        }
    }

    @Test("every simplification pass has at least three golden cases")
    func coverage() {
        let counts = Dictionary(grouping: GoldenCase.all(), by: \.folder).mapValues(\.count)
        for pass in ["dce", "cse", "fold", "algebraic", "simplify"] {
            #expect(counts[pass, default: 0] >= 3, "Golden/\(pass) has \(counts[pass, default: 0]) cases")
        }
    }

    @Test("a golden file's expected text is canonical: it parses and prints back unchanged")
    func expectedTextIsCanonical() throws {
        guard !GoldenCase.updating else { return }   // files are being rewritten concurrently
        for c in GoldenCase.all() {
            let file = try GoldenFile(contentsOf: c.url)
            #expect(try Graph.parse(file.expected).text() == file.expected, "\(c.testDescription)")
        }
    }
}
