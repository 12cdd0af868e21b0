// `zoo checkpoint inspect FILE`: lists the tensors of a safetensors checkpoint after validating it.

import ArgumentParser
import Foundation
import Kiln

struct CheckpointCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "checkpoint", abstract: "Inspect safetensors checkpoints.", subcommands: [Inspect.self])

    struct Inspect: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Validate a checkpoint and list its tensors.")
        @Argument(help: "A .safetensors file.") var file: String

        func run() throws {
            let (tensors, metadata) = try SafeTensors.read(URL(fileURLWithPath: file))
            for key in metadata.keys.sorted() { print("# \(key): \(metadata[key]!)") }
            var total = 0
            for name in tensors.keys.sorted() {
                let t = tensors[name]!
                total += t.count
                print("\(name)\t\(t.dtype.rawValue)\t\(t.shape)")
            }
            print("\(tensors.count) tensors, \(total) values")
        }
    }
}
