// `zoo eval`: evaluations of trained models. Subcommands live in their own files (EvalKNNCommand.swift,
// EvalLinearCommand.swift, ...); this file only lists them.

import ArgumentParser

struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval", abstract: "Evaluate trained models.",
        subcommands: [EvalKNNCommand.self, EvalLinearCommand.self])
}
