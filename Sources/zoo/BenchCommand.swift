// `zoo bench`: throughput measurements.

import ArgumentParser

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench", abstract: "Measure throughput.",
        subcommands: [DataBenchCommand.self])
}
