// `zoo export backbone CKPT -o FILE.safetensors`: the query ResNet trunk of a training checkpoint (or of any
// torchvision-named safetensors) with torchvision names, for fine-tuning and other frameworks. The work is in
// KilnZoo's BackboneExport.

import ArgumentParser
import Foundation
import Kiln
import KilnZoo

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export", abstract: "Export parts of trained models.", subcommands: [ExportBackbone.self])
}

struct ExportBackbone: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backbone",
        abstract: "Write the query backbone of a checkpoint as torchvision-named safetensors (no heads, queues or optimizer state).",
        discussion: """
            CKPT is a training checkpoint of `zoo train detco|mocov2` (tensors encoder_q.<name>), an exported \
            backbone, or any safetensors file with torchvision ResNet names. The depth (18/34/50/101) is inferred \
            from the tensors. The output loads into torchvision's resnetNN() with strict=False (only fc.weight and \
            fc.bias are missing) and into Kiln's ResNet(depth, classes: nil) strictly.
            """)

    @Argument(help: "The checkpoint to read.") var checkpoint: String
    @Option(name: [.short, .customLong("output")], help: "The .safetensors file to write.") var output: String

    func run() throws {
        let destination = URL(fileURLWithPath: output)
        let backbone = try BackboneExport.export(from: URL(fileURLWithPath: checkpoint), to: destination)
        let parameters = try backbone.model.namedParameters()
        let values = parameters.reduce(0) { $0 + $1.1.count }
        print("wrote \(destination.path): \(backbone.summary), \(parameters.count) tensors, \(values) values"
              + (backbone.prefix.isEmpty ? "" : " (prefix '\(backbone.prefix)' stripped)"))
    }
}
