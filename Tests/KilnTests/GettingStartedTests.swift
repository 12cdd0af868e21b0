// Keeps docs/getting-started.md's program identical to GettingStarted.swift, and runs it.

import Foundation
import Kiln
import Testing

@Suite("Getting started")
struct GettingStartedTests {
    static func block(_ text: String) -> String? {
        guard let begin = text.range(of: "// BEGIN getting-started\n"), let end = text.range(of: "// END getting-started") else { return nil }
        return String(text[begin.upperBound..<end.lowerBound])
    }

    @Test("the documented program is the tested program")
    func documentMatches() throws {
        let here = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        let source = try String(contentsOf: here.appendingPathComponent("GettingStarted.swift"), encoding: .utf8)
        let doc = try String(contentsOf: here.appendingPathComponent("../../docs/getting-started.md"), encoding: .utf8)
        let program = try #require(Self.block(source))
        #expect(doc.contains("```swift\n" + program + "```"), "docs/getting-started.md is out of date with GettingStarted.swift")
    }

    @Test("the program trains (loss falls) and writes a checkpoint that loads back")
    func runs() throws {
        let url = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("kiln-getting-started-\(getpid()).safetensors")
        let losses = try trainSmallCNN(steps: 30, checkpoint: url)
        let early = losses.prefix(5).reduce(0, +) / 5, late = losses.suffix(5).reduce(0, +) / 5
        #expect(late < 0.5 * early, "losses \(losses)")
        let reloaded = SmallCNN()
        try Checkpoint.load(url, into: reloaded)
        #expect(reloaded.fc.weight.values != nil)
    }
}
