// Command-line front ends of KilnData (the work happens in KilnData; these only parse flags and print):
//   zoo data scenes [--count N] [--seed S] [--size P] --out DIR   → DIR/annotations.json + DIR/images/
//   zoo bench data-detco [--json] [--size S] [--threads T] [--batch N] [--batches K] [--folder DIR]
// Wiring (lead): add `DataCommand.self` to zoo's subcommands and `DataBenchCommand.self` to `zoo bench`'s.

import ArgumentParser
import KilnData

/// `zoo data`: dataset tools.
struct DataCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "data",
        abstract: "Dataset tools: generate Kiln's built-in demo data.",
        subcommands: [Scenes.self])

    /// `zoo data scenes`: the fashion-scenes demo detection dataset.
    struct Scenes: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Generate fashion scenes (Fashion-MNIST items on textured canvases) as COCO JSON + PNGs.")

        @Option(help: "Number of scenes.")
        var count = 10_000

        @Option(help: "Random seed; the same seed gives byte-identical output.")
        var seed: UInt64 = 0

        @Option(help: "Canvas side in pixels (32...4096).")
        var size = 96

        @Option(help: "Output folder (receives annotations.json and images/).")
        var out: String

        func run() throws {
            print(try FashionScenes.generate(count: count, seed: seed, size: size, outPath: out))
        }
    }
}

/// `zoo bench data-detco`: images/s of the full DetCo input pipeline (2 global + 18 local crops per image).
struct DataBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "data-detco",
        abstract: "Measure DetCo data-pipeline throughput (decode + 2 global + 18 local crops per image).")

    @Flag(help: "Print the result as JSON.")
    var json = false

    @Option(help: "Global view size S (local patch sizes scale with it).")
    var size = 224

    @Option(help: "Loader worker threads.")
    var threads = 2

    @Option(help: "Images per batch.")
    var batch = 32

    @Option(help: "Timed batches.")
    var batches = 8

    @Option(help: "Folder of JPEG/PNG images to use instead of synthetic 500x375 JPEGs.")
    var folder: String?

    func run() throws {
        let result = try Self.measure(size: size, threads: threads, batch: batch, batches: batches, folder: folder)
        print(json ? result.json.serialized() : result.description)
    }

    /// The measurement itself, callable from other bench commands.
    static func measure(size: Int = 224, threads: Int = 2, batch: Int = 32, batches: Int = 8,
                        folder: String? = nil) throws -> DataBenchResult {
        var configuration = DataBenchConfiguration()
        configuration.size = size
        configuration.threads = threads
        configuration.batchSize = batch
        configuration.batches = batches
        configuration.setFolder(path: folder)
        return try DataBench.detco(configuration)
    }
}
