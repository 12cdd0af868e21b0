// `zoo eval`: evaluation tools. Each benchmark is one subcommand; the list below is meant to grow
// (`eval coco` now; k-NN / linear probes and detector evaluation join it later).

import ArgumentParser

/// `zoo eval`: evaluate predictions or models against benchmarks.
struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Evaluate predictions and models.",
        subcommands: [
            EvalCocoCommand.self,
        ])
}
