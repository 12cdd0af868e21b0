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

    @Test func restartingAnEpochMidwayGivesTheSameBatches() throws {
        let source = try smallSource(count: 24)
        var configuration = DataLoaderConfiguration(sampleCount: 24, batchSize: 4, seed: 12)
        configuration.threads = 2
        configuration.prefetch = 3
        let loader = try DataLoader.detco(source: source, views: DetCoViews(size: 32), configuration: configuration)
        func epoch(_ e: Int) throws -> [[Float]] {
            loader.start(epoch: e)
            var all: [[Float]] = []
            while let batch = try loader.next() { all.append(batch.x1.array + batch.x3.array) }
            return all
        }
        let reference = try epoch(1)
        for _ in 0..<3 {
            loader.start(epoch: 1)
            _ = try loader.next()  // abandon the epoch with batches still being prefetched
            loader.start(epoch: 0)
            _ = try loader.next()
        }
        #expect(try epoch(1) == reference)
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

@Suite struct TaskLoaderTests {
    @Test func classificationBatchesCarryLabelsInOrder() throws {
        let items = try FashionItems(split: .test, size: 32, seed: 1)
        var configuration = DataLoaderConfiguration(sampleCount: items.count, batchSize: 8, seed: 2)
        configuration.shuffle = false
        let loader = try DataLoader.classification(source: items, view: ClassificationView(size: 24, train: false),
                                                   configuration: configuration)
        loader.start(epoch: 0)
        let batch = try #require(try loader.next())
        #expect(batch.images.shape == [8, 24, 24, 3])
        #expect(batch.labels.array == (0..<8).map { Int32(items.items.label(at: $0)) })
        #expect(batch.indices.array == Array(0..<8))
        #expect(ClassificationView(size: 224, train: false).centerBox(width: 500, height: 375)
                == CropBox(x: (500 - 328.125) / 2, y: (375 - 328.125) / 2, width: 328.125, height: 328.125))
    }

    @Test func trainViewsAreDeterministicAcrossThreads() throws {
        let items = try FashionItems(split: .test, size: 32, seed: 1)
        func firstBatches(threads: Int) throws -> [[Float]] {
            var configuration = DataLoaderConfiguration(sampleCount: 40, batchSize: 8, seed: 9)
            configuration.threads = threads
            let loader = try DataLoader.classification(source: items, view: ClassificationView(size: 16, train: true),
                                                       configuration: configuration)
            var result: [[Float]] = []
            for epoch in 0..<2 {
                loader.start(epoch: epoch)
                if let batch = try loader.next() { result.append(batch.images.array + batch.labels.array.map(Float.init)) }
            }
            return result
        }
        let one = try firstBatches(threads: 1), two = try firstBatches(threads: 2)
        #expect(two == one && one[0] != one[1])
    }

    @Test func detectionBatchesHaveStaticShapesAndConsistentTargets() throws {
        let root = try TestData.temporaryDirectory("det-loader")
        defer { try? FileManager.default.removeItem(at: root) }
        try FashionScenes.generate(count: 12, seed: 5, size: 64, out: root)
        let dataset = try COCODataset.load(root.appendingPathComponent("annotations.json"))
        let transform = DetectionTransform(shortSides: [64, 80], maxSize: 96, flip: true, padMultiple: 32)
        func batches(threads: Int) throws -> [DetectionBatchSnapshot] {
            var configuration = DataLoaderConfiguration(sampleCount: 12, batchSize: 4, seed: 1)
            configuration.threads = threads
            let loader = try DataLoader.detection(dataset: dataset, transform: transform, maxInstances: 8, withMasks: true,
                                                  configuration: configuration)
            loader.start(epoch: 0)
            var result: [DetectionBatchSnapshot] = []
            while let batch = try loader.next() { result.append(DetectionBatchSnapshot(batch)) }
            return result
        }
        let snapshots = try batches(threads: 2), single = try batches(threads: 1)
        #expect(snapshots.count == 3 && single == snapshots)
        for batch in snapshots {
            for slot in 0..<4 {
                let index = Int(batch.indices[slot])
                let expected = dataset.annotations(forImageID: dataset.images[index].id).count
                #expect(Int(batch.counts[slot]) == expected)
                let (height, width) = (Int(batch.sizes[2 * slot]), Int(batch.sizes[2 * slot + 1]))
                #expect([64, 80].contains(height) && height == width)
                for k in 0..<expected {
                    let box = Array(batch.boxes[(slot * 8 + k) * 4..<(slot * 8 + k + 1) * 4])
                    #expect(box[0] >= 0 && box[2] <= Float(width) && box[0] < box[2] && box[1] < box[3])
                    // The mask plane's tight box agrees with the stored box.
                    var minX = 96, maxX = -1
                    for y in 0..<96 { for x in 0..<96 where batch.masks[((slot * 8 + k) * 96 + y) * 96 + x] != 0 {
                        minX = min(minX, x); maxX = max(maxX, x)
                    } }
                    #expect(abs(Float(minX) - box[0]) <= 2 && abs(Float(maxX + 1) - box[2]) <= 2)
                }
                #expect(batch.labels[slot * 8 + expected..<slot * 8 + 8].allSatisfy { $0 == -1 })
            }
        }
    }
}

/// Copies of a detection batch's buffers (batches are reused by the loader).
struct DetectionBatchSnapshot: Equatable {
    var images: [Float], sizes: [Int32], boxes: [Float], labels: [Int32], counts: [Int32], masks: [UInt8], indices: [Int32]

    init(_ batch: DetectionBatch) {
        images = batch.images.array; sizes = batch.sizes.array; boxes = batch.boxes.array; labels = batch.labels.array
        counts = batch.counts.array; masks = batch.masks?.array ?? []; indices = batch.indices.array
    }
}
