// "No allocation inside a training step": runs `zoo bench` with a preloaded malloc counter (scripts/malloc-count.c)
// and requires zero heap allocations per Executable.run() for the ResNet-18 and MoCo v2 train steps and for ResNet-50
// inference (whose convolutions all run with fused epilogues).

import Foundation
import Testing

@Suite("Allocations")
struct AllocationTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../..").standardizedFileURL

    static func run(_ executable: String, _ arguments: [String], environment: [String: String] = [:]) throws -> (Int32, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = Pipe()
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    @Test("a compiled step (training or inference) performs no heap allocation", arguments: ["resnet18-train", "mocov2-train", "resnet50-infer"])
    func noAllocations(_ workload: String) throws {
        let zoo = Self.root.appendingPathComponent(".build/release/zoo").path
        guard FileManager.default.isExecutableFile(atPath: zoo), FileManager.default.isExecutableFile(atPath: "/usr/bin/gcc") else {
            print("skipped: needs .build/release/zoo (swift build -c release) and gcc")
            return
        }
        let library = NSTemporaryDirectory() + "libkilncount-\(getpid()).so"
        let (rc, _) = try Self.run("/usr/bin/gcc", ["-O2", "-shared", "-fPIC", "-o", library,
                                                    Self.root.appendingPathComponent("scripts/malloc-count.c").path])
        try #require(rc == 0)
        let (status, output) = try Self.run(zoo, ["bench", workload, "--batch", "4", "--size", "32", "--steps", "2", "--json"],
                                            environment: ["LD_PRELOAD": library])
        try #require(status == 0, "\(output)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any])
        let allocations = try #require((json["allocations_per_step"] as? NSNumber)?.doubleValue, "no counter in \(output)")
        #expect(allocations < 1, "\(allocations) allocations per step")
    }
}
