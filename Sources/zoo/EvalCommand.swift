// `zoo eval`: evaluation tools. Each benchmark is one subcommand in its own file (EvalCocoCommand.swift,
// EvalDetectorCommand.swift, EvalKNNCommand.swift, ...); this file only lists them.

import ArgumentParser

/// `zoo eval`: evaluate predictions and models against benchmarks.
struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Evaluate predictions and models.",
        subcommands: [EvalCocoCommand.self, EvalDetectorCommand.self, EvalKNNCommand.self, EvalLinearCommand.self])
}
