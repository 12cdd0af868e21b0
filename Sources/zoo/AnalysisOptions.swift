// Options shared by the analysis commands (attention, retrieve, eval knn|linear): which backbone to load — a
// checkpoint or a randomly initialised ResNet — and at what input size.

import ArgumentParser
import Foundation
import Kiln
import KilnZoo

/// Backbone choice; the checkpoint path is a positional argument of each command.
struct BackboneOptions: ParsableArguments {
    @Flag(help: "Use a randomly initialised ResNet instead of a checkpoint (the baseline).") var randomInit = false
    @Option(help: "ResNet depth for --random-init: 18, 34, 50 or 101.") var depth = 18
    @Option(help: "Initialisation seed for --random-init.") var initSeed: UInt64 = 0

    /// The backbone and a description of it.
    func load(_ checkpoint: String?) throws -> (model: ResNet, description: String, pretrainingSize: Int?) {
        if randomInit {
            guard checkpoint == nil else { throw UsageError("give either a checkpoint or --random-init, not both") }
            guard let d = ResNet.Depth(rawValue: depth) else { throw UsageError("--depth must be 18, 34, 50 or 101") }
            let model = ResNet(d, classes: nil)
            try model.initialize(seed: initSeed)
            return (model, "ResNet-\(depth), random initialisation (seed \(initSeed))", nil)
        }
        guard let checkpoint else { throw UsageError("give a checkpoint, or --random-init for the baseline") }
        let backbone = try BackboneExport.load(URL(fileURLWithPath: checkpoint))
        return (backbone.model, backbone.summary, backbone.pretrainingSize)
    }
}

/// A progress line on standard error (redrawn in place on a terminal).
func reportProgress(_ text: String, done: Bool) {
    if isatty(STDERR_FILENO) == 1 {
        FileHandle.standardError.write(Data(("\r\u{1B}[2K" + text + (done ? "\n" : "")).utf8))
    } else if done {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }
}
