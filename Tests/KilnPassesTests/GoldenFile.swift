// Golden pass files: `Golden/<pass>/<case>.kir` holds a `// RUN: p1,p2` header naming the passes to run, the input
// graph (any other `//` lines are comments describing the case), a line `// EXPECT:` and the exact printed graph
// the passes must produce. `UPDATE_GOLDEN=1` rewrites the part after `// EXPECT:` (like LLVM's
// update_test_checks). The folder is found next to this source file, so updates land in the repository.

import Foundation
import Testing

/// One golden file, named `<folder>/<file>` in test output.
struct GoldenCase: CustomTestStringConvertible, Sendable {
    var url: URL
    var folder: String { url.deletingLastPathComponent().lastPathComponent }
    var testDescription: String { "\(folder)/\(url.lastPathComponent)" }

    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden")

    /// Whether UPDATE_GOLDEN asks tests to rewrite expected text instead of comparing it.
    static var updating: Bool { ProcessInfo.processInfo.environment["UPDATE_GOLDEN"].map { $0 != "" && $0 != "0" } ?? false }

    /// Every `.kir` file under Golden/, sorted by folder and name.
    static func all() -> [GoldenCase] {
        let fm = FileManager.default
        let folders = (try? fm.contentsOfDirectory(atPath: directory.path)) ?? []
        return folders.sorted().flatMap { folder -> [GoldenCase] in
            let dir = directory.appendingPathComponent(folder)
            let files = (try? fm.contentsOfDirectory(atPath: dir.path)) ?? []
            return files.filter { $0.hasSuffix(".kir") }.sorted().map { GoldenCase(url: dir.appendingPathComponent($0)) }
        }
    }
}

/// The parts of a golden file.
struct GoldenFile {
    static let runPrefix = "// RUN:"
    static let expectLine = "// EXPECT:"

    /// Pass names from the RUN header, in order.
    var passes: [String]
    /// Everything before the EXPECT line: the header, comments and the input graph (comments parse as such).
    var input: String
    /// Everything after the EXPECT line.
    var expected: String

    struct FormatError: Error, CustomStringConvertible {
        var file: String
        var message: String
        var description: String { "\(file): \(message)" }
    }

    init(input: String, expected: String) throws {
        guard let header = input.split(separator: "\n", omittingEmptySubsequences: false).first,
              header.hasPrefix(Self.runPrefix) else {
            throw FormatError(file: "", message: "the first line must be '\(Self.runPrefix) pass,pass'")
        }
        passes = header.dropFirst(Self.runPrefix.count).split(separator: ",")
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        self.input = input
        self.expected = expected
    }

    init(contentsOf url: URL) throws {
        let text = try String(contentsOf: url, encoding: .utf8)
        let marker = "\n" + Self.expectLine + "\n"
        guard let range = text.range(of: marker) else {
            throw FormatError(file: url.path, message: "no line '\(Self.expectLine)'")
        }
        do {
            try self.init(input: String(text[..<range.lowerBound]) + "\n", expected: String(text[range.upperBound...]))
        } catch var error as FormatError {
            error.file = url.path
            throw error
        }
    }

    /// The file's text with `expected` as the part after the EXPECT line.
    func text(expected newExpected: String) -> String {
        input + Self.expectLine + "\n" + newExpected
    }
}

/// A readable account of where two texts first differ.
func firstDifference(expected: String, actual: String) -> String {
    let e = expected.split(separator: "\n", omittingEmptySubsequences: false)
    let a = actual.split(separator: "\n", omittingEmptySubsequences: false)
    for i in 0..<max(e.count, a.count) {
        let el = i < e.count ? String(e[i]) : "<end>", al = i < a.count ? String(a[i]) : "<end>"
        if el != al { return "line \(i + 1) of the expected graph:\n  expected: \(el)\n  actual:   \(al)" }
    }
    return "texts are equal"
}
