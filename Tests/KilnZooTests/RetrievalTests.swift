// Retrieval: exact k-NN search against a brute-force sort on odd sizes (blocked GEMM, exclusions), an image's
// nearest neighbour under a random ResNet-18 is its duplicate (in another batch and slot), label precision, and the
// grid's geometry and PNG.

import Foundation
import Kiln
import KilnData
import KilnZoo
import Testing

@Suite("Retrieval")
struct RetrievalTests {
    static func randomMatrix(_ rows: Int, _ columns: Int, seed: UInt64) -> FeatureMatrix {
        var rng = RandomStream(seed: seed)
        return FeatureMatrix(rows: rows, columns: columns, values: (0..<(rows * columns)).map { _ in Float(rng.normal()) })
    }

    @Test("search equals a brute-force sort (odd sizes, query blocks, exclusions)", arguments: [1, 4, 256])
    func bruteForce(block: Int) throws {
        let gallery = Self.randomMatrix(37, 13, seed: 1), queries = Self.randomMatrix(9, 13, seed: 2)
        let excluding: [Int?] = (0..<9).map { $0 % 2 == 0 ? $0 * 3 : nil }
        let found = try NearestNeighbours.search(queries: queries, gallery: gallery, k: 5, excluding: excluding, queryBlock: block)
        for q in 0..<9 {
            let scored = (0..<37).filter { $0 != excluding[q] }.map { j -> (Int, Double) in
                (j, zip(queries.row(q), gallery.row(j)).reduce(0.0) { $0 + Double($1.0) * Double($1.1) })
            }.sorted { $0.1 > $1.1 }
            #expect(found[q].map(\.index) == scored.prefix(5).map(\.0))
            for (n, s) in zip(found[q], scored) { #expect(Swift.abs(Double(n.similarity) - s.1) < 1e-4) }
        }
        #expect(try NearestNeighbours.search(queries: queries, gallery: gallery, k: 100).allSatisfy { $0.count == 37 })
        #expect(throws: AnalysisError.self) { try NearestNeighbours.search(queries: Self.randomMatrix(2, 5, seed: 0), gallery: gallery, k: 1) }
    }

    /// Distinct 40×40 pictures: stripes, checkerboards, gradients, blobs.
    static func picture(_ kind: Int) -> Image {
        var image = Image(width: 40, height: 40, channels: 3)
        for y in 0..<40 {
            for x in 0..<40 {
                let v: Int
                switch kind {
                case 0: v = x % 8 < 4 ? 255 : 0
                case 1: v = y % 6 < 3 ? 255 : 0
                case 2: v = (x / 5 + y / 5) % 2 == 0 ? 255 : 0
                case 3: v = x * 6
                case 4: v = (x - 20) * (x - 20) + (y - 20) * (y - 20) < 100 ? 255 : 0
                default: v = (x * 37 + y * 91 + kind * 13) % 251
                }
                image[x, y, 0] = UInt8(clamping: v)
                image[x, y, 1] = UInt8(clamping: 255 - v)
                image[x, y, 2] = UInt8(clamping: (v + 40 * kind) % 256)
            }
        }
        return image
    }

    @Test("under a random ResNet-18 an image's nearest neighbour is its duplicate")
    func duplicate() throws {
        let model = ResNet(.resnet18, classes: nil)
        try model.initialize(seed: 11)
        let images = (0..<7).map(Self.picture) + [Self.picture(2)]      // index 7 duplicates index 2
        let extractor = try FeatureExtractor(backbone: model, batch: 3, size: 32)   // 2 and 7 sit in different batches and slots
        let features = try extractor.features(of: images.map { SquareInput.prepare($0, size: 32) })
        #expect(features.rows == 8 && features.columns == 512)
        let rows = try Retrieval.search(gallery: features, queries: [2, 7, 4], k: 3)
        #expect(rows[0].neighbours.first?.index == 7)
        #expect(rows[1].neighbours.first?.index == 2)
        #expect(Swift.abs((rows[0].neighbours.first?.similarity ?? 0) - 1) < 1e-4)
        #expect(rows[2].neighbours.allSatisfy { $0.index != 4 })
        let labels: [String?] = ["a", "b", "c", "d", "e", "f", "g", "c"]
        let precision = Retrieval.labelPrecision([rows[0]], labels: labels)
        #expect(precision == 1.0 / 3)
    }

    @Test("queries are distinct, seeded gallery indices")
    func queries() {
        let a = Retrieval.pickQueries(galleryCount: 50, count: 8, seed: 4)
        #expect(a == Retrieval.pickQueries(galleryCount: 50, count: 8, seed: 4))
        #expect(Set(a).count == 8 && a.allSatisfy { (0..<50).contains($0) })
        #expect(a != Retrieval.pickQueries(galleryCount: 50, count: 8, seed: 5))
        #expect(Retrieval.pickQueries(galleryCount: 3, count: 8, seed: 0).sorted() == [0, 1, 2])
    }

    @Test("the grid has one row per query and one column per neighbour, and is written as PNG")
    func grid() throws {
        let rows = [RetrievalRow(query: 0, neighbours: [Neighbour(index: 1, similarity: 0.9), Neighbour(index: 2, similarity: 0.5)]),
                    RetrievalRow(query: 3, neighbours: [Neighbour(index: 0, similarity: 0.7), Neighbour(index: 1, similarity: 0.1)])]
        let names = ["Bag", "Bag", "Coat", "Coat"]
        var grid = RetrievalGrid(cell: 48)
        grid.margin = 8
        grid.queryGap = 16
        let canvas = try grid.render(rows, picture: { Self.picture($0) }, label: { names[$0] })
        #expect(canvas.width == 2 * 8 + 16 + 3 * 48 + 2 * 8)
        #expect(canvas.height > 2 * 48)
        // Row 0, neighbour 1 (label match): green frame; neighbour 2 (mismatch): red frame.
        let top = 8 + 12
        #expect(canvas[8 + 48 + 8 + 16 + 10, top - 2] == .green)
        #expect(canvas[8 + 2 * (48 + 8) + 16 + 10, top - 2] == .red)
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("kiln-grid-\(ProcessInfo.processInfo.processIdentifier).png")
        defer { try? FileManager.default.removeItem(at: file) }
        try canvas.save(to: file)
        #expect(try ImageIO.load(file).width == canvas.width)
    }
}
