// `zoo`: the command-line front end of Kiln's model zoo.

import ArgumentParser
import Foundation

@main
struct Zoo: ParsableCommand {
    static let version = "0.1.0"

    static let configuration = CommandConfiguration(
        commandName: "zoo",
        abstract: "Kiln's model zoo: train, inspect, benchmark and evaluate models.",
        version: version,
        subcommands: [TrainCommand.self, GraphCommand.self, BenchCommand.self, ProfileCommand.self, DataCommand.self,
                      CheckpointCommand.self, ExportCommand.self, AttentionCommand.self, RetrieveCommand.self,
                      EvalCommand.self, FinetuneCommand.self, DetectCommand.self, ReproduceCommand.self]
    )
}

/// Errors from user input, printed as one line.
struct UsageError: Error, CustomStringConvertible {
    var description: String
    init(_ message: String) { description = message }
}
