// DataLoader tests: identical batches for any thread count, epoch/seed dependence, skip-bad-samples, and a
// benchmark smoke run.

import Foundation
import Testing
import KilnData
import KilnKernels

private func smallSource(count: Int, corrupt: Set<Int> = []) throws -> EncodedImages {
    let good = try DataBench.syntheticJPEGs(count: count, width: 64, height: 48, seed: 5)
    var files = good.files
    for i in corrupt { files[i] = Array(files[i].prefix(files[i].count / 3)) }
    return EncodedImages(files: files, names: files.indices.map { "img\($0).jpg" })
}

/// Every batch of `epochs` epochs, flattened (X1 | X2 | X3 | X4 | indices).
private func collect(source: EncodedImages, threads: Int, seed: UInt64 = 7, epochs: [Int] = [0, 1],
                     skipBad: Bool = false) throws -> (batches: [[Float]], skipped: Int) {
    var configuration = DataLoaderConfiguration(sampleCount: source.count, batchSize: 4, seed: seed)
    configuration.threads = threads
    configuration.skipBadSamples = skipBad
    let loader = try DataLoader.detco(source: source, views: DetCoViews(size: 32), configuration: configuration)
    var batches: [[Float]] = []
    for epoch in epochs {
        loader.start(epoch: epoch)
        while let batch = try loader.next() {
            batches.append(batch.x1.array + batch.x2.array + batch.x3.array + batch.x4.array + batch.indices.array.map(Float.init))
        }
    }
    return (batches, loader.skippedSamples)
}

@Suite struct LoaderTests {
    @Test func sameBatchesForAnyThreadCount() throws {
        let source = try smallSource(count: 10)
        let reference = try collect(source: source, threads: 1).batches
        #expect(reference.count == 4)  // 2 full batches of 4 per epoch (last 2 samples dropped), 2 epochs
        for threads in [0, 2, 3] {
            #expect(try collect(source: source, threads: threads).batches == reference, "threads \(threads)")
        }
        #expect(reference[0] != reference[2], "epochs must differ")
        #expect(try collect(source: source, threads: 2, seed: 8).batches != reference)
    }

    @Test func batchLayoutAndOrder() throws {
        let source = try smallSource(count: 6)
        var configuration = DataLoaderConfiguration(sampleCount: 6, batchSize: 4, seed: 3)
        configuration.dropLast = false
        let loader = try DataLoader.detco(source: source, views: DetCoViews(size: 32), configuration: configuration)
        #expect(loader.batchesPerEpoch == 2)
        let order = loader.sampleOrder(epoch: 0)
        #expect(order.count == 8 && Set(order.prefix(6)) == Set(0..<6) && Array(order.suffix(2)) == Array(order.prefix(2)))
        loader.start(epoch: 0)
        var seen: [Int32] = []
        while let batch = try loader.next() {
            #expect(batch.x1.shape == [4, 32, 32, 3] && batch.x3.shape == [36, 9, 9, 3])
            #expect(batch.x1.array.allSatisfy(\.isFinite) && batch.x4.array.allSatisfy(\.isFinite))
            seen += batch.indices.array
        }
        #expect(seen.map(Int.init) == order)
        #expect(try loader.next() == nil)
    }

    @Test func badSamplesFailOrAreSkipped() throws {
        let source = try smallSource(count: 12, corrupt: [2, 7])
        let error = #expect(throws: DataError.self) { try collect(source: source, threads: 2, epochs: [0]) }
        #expect(error?.file.hasPrefix("img") == true && error?.field == "jpeg data")

        let one = try collect(source: source, threads: 1, epochs: [0], skipBad: true)
        let two = try collect(source: source, threads: 2, epochs: [0], skipBad: true)
        #expect(one.batches.count == 3 && one.batches == two.batches)
        #expect(one.skipped >= 2 && one.skipped == two.skipped)
        for batch in one.batches {
            let indices = batch.suffix(4).map { Int($0) }
            #expect(!indices.contains(2) && !indices.contains(7))
        }
    }

    @Test func benchmarkRuns() throws {
        var configuration = DataBenchConfiguration()
        configuration.size = 64
        configuration.batchSize = 4
        configuration.batches = 2
        configuration.sourceImages = 6
        configuration.sourceWidth = 120
        configuration.sourceHeight = 90
        let result = try DataBench.detco(configuration)
        #expect(result.images == 8 && result.imagesPerSecond > 0 && result.patchSize == 18)
        #expect(result.description.hasPrefix("data-detco: "))
        #expect(result.json.serialized().hasPrefix(#"{"benchmark":"data-detco","images_per_second":"#))
    }
}
