// `zoo eval`: evaluation tools. Each benchmark is one subcommand; the list below is meant to grow
// (`eval coco`, `eval detector`; k-NN / linear probes join it later).

import ArgumentParser

/// `zoo eval`: evaluate predictions or models against benchmarks.
struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Evaluate predictions and models.",
        subcommands: [
            EvalCocoCommand.self,
            EvalDetectorCommand.self,
        ])
}
