// `zoo retrieve CKPT -o FILE.png`: the DetCo-appendix retrieval figure — a gallery embedded by GAP(Res5) + L2, a
// few seeded queries from it, and each query's 9 nearest neighbours (itself excluded) drawn as a grid.

import ArgumentParser
import Foundation
import KilnData
import KilnZoo

struct RetrieveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retrieve",
        abstract: "Draw the nearest neighbours of sample images under a backbone's features.",
        discussion: """
            The gallery is the Fashion-MNIST test split rendered as single scene-style RGB items at --size \
            (labelled), or a folder of JPEG/PNG images (--data; labelled when it has class sub-folders). Images \
            are resized (shorter side), centre-cropped and normalised as in training; features are GAP(Res5), \
            L2-normalised; similarity is cosine. With labels, a neighbour's frame is green when its label matches \
            the query's, and the share of matching neighbours is printed.
            """)

    @Argument(help: "The checkpoint (omit with --random-init).") var checkpoint: String?
    @OptionGroup var backbone: BackboneOptions
    @Option(name: [.short, .customLong("output")], help: "The PNG to write.") var output: String
    @Option(help: "A folder of images to use as the gallery (default: Fashion-MNIST test items).") var data: String?
    @Option(help: "Gallery size (a seeded subset of a larger folder).") var gallery = 2000
    @Option(help: "Number of query rows.") var queries = 8
    @Option(help: "Neighbours per query.") var neighbours = 9
    @Option(help: "Seed of the query (and folder subset) choice.") var seed: UInt64 = 0
    @Option(help: "Input size (default: the checkpoint's pre-training size, else 64).") var size: Int?
    @Option(help: "Picture side in the grid, pixels.") var cell = 96
    @Option(help: "Images per forward batch.") var batch = 64

    func run() throws {
        guard gallery > 1, queries > 0, neighbours > 0, cell >= 16 else {
            throw UsageError("--gallery must be > 1, --queries and --neighbours positive, --cell at least 16")
        }
        let (model, description, trainedSize) = try backbone.load(checkpoint)
        let side = size ?? trainedSize ?? 64
        let source: any ImageSource
        let indices: [Int]
        let labelOf: (Int) -> String?
        if let data {
            let folder = try ImageFolder(root: URL(fileURLWithPath: data))
            source = folder
            indices = folder.count <= gallery ? Array(0..<folder.count)
                : Retrieval.pickQueries(galleryCount: folder.count, count: gallery, seed: seed ^ 0xF0_1DE2).sorted()
            labelOf = { i in folder.entries[i].label.map { folder.classNames[$0] } }
        } else {
            let items = try FashionItems(split: .test, size: side)
            source = items
            indices = Array(0..<min(gallery, items.count))
            labelOf = { FashionMNIST.classNames[items.label(at: $0)] }
        }
        guard indices.count > neighbours else {
            throw UsageError("the gallery has \(indices.count) images; it needs more than --neighbours (\(neighbours))")
        }
        print("\(description); gallery \(indices.count) images at \(side)×\(side)")
        let extractor = try FeatureExtractor(backbone: model, batch: batch, size: side)
        let features = try extractor.features(of: source, indices: indices) { done in
            reportProgress("features \(done)/\(indices.count)", done: done == indices.count)
        }
        let picked = Retrieval.pickQueries(galleryCount: indices.count, count: queries, seed: seed)
        let rows = try Retrieval.search(gallery: features, queries: picked, k: neighbours)
        let canvas = try RetrievalGrid(cell: cell).render(rows, picture: { try source.loadImage(at: indices[$0]) },
                                                          label: { labelOf(indices[$0]) })
        let destination = URL(fileURLWithPath: output)
        try canvas.save(to: destination)
        let precision = Retrieval.labelPrecision(rows, labels: indices.map(labelOf))
        print("wrote \(destination.path) (\(rows.count) queries × \(neighbours) neighbours)"
              + (precision.map { String(format: "; %.1f %% of neighbours share the query's label", 100 * $0) } ?? ""))
    }
}
