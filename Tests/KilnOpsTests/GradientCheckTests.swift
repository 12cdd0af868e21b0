// Gradient checks over the whole op registry: an op without a case fails the suite.

import Foundation
import KilnIR
import KilnOps
import Testing

@Suite("Gradient checks (f64 central differences)")
struct GradientCheckTests {
    @Test("every registered op has a gradient-check case")
    func registryCovered() {
        let covered = Set(gradCases.map(\.op))
        let missing = OpRegistry.all.map { $0.name }.filter { !covered.contains($0) }
        #expect(missing.isEmpty, "ops without a gradient check: \(missing)")
    }

    @Test("the registry lists every op file and is sorted")
    func registryMatchesSources() throws {
        let names = OpRegistry.all.map { $0.name }
        #expect(Set(names).count == names.count)
        let sources = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../Sources/KilnOps").standardizedFileURL
        let files = FileManager.default.enumerator(at: sources, includingPropertiesForKeys: nil)?
            .compactMap { $0 as? URL }.filter { $0.pathExtension == "swift" } ?? []
        var declared: [String] = []
        for file in files {
            let text = try String(contentsOf: file, encoding: .utf8)
            for line in text.split(separator: "\n") where line.contains("public static let name = \"") {
                if let name = line.split(separator: "\"").dropFirst().first { declared.append(String(name)) }
            }
        }
        #expect(!declared.isEmpty)
        #expect(Set(declared) == Set(names), "op files and OpRegistry.all differ")
        let typeNames = OpRegistry.all.map { String(describing: $0) }
        #expect(typeNames == typeNames.sorted(), "OpRegistry.all must stay sorted")
    }

    @Test("gradient check", arguments: gradCases)
    func gradient(_ c: GradCase) throws {
        let result = try GradientChecker.check(c)
        #expect(result.maxError < 1e-6, "\(c.name): \(result.worst) (error \(result.maxError))")
    }
}
