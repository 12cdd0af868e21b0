// `zoo bench data-detco`: throughput of the full DetCo input pipeline (JPEG decode, 2 global + 18 local crops
// per image, collation into NHWC batches) through the real `DataLoader`. Sources are synthetic textured JPEGs
// generated from a seed (ImageNet-like 500×375 by default) so the benchmark needs no dataset; a folder of
// images can be used instead.

import Foundation
import KilnKernels

/// Settings of the data benchmark.
public struct DataBenchConfiguration: Sendable {
    /// Global view size S (local patch sizes scale with it).
    public var size = 224
    public var threads = 2
    public var batchSize = 32
    /// Timed batches (after one warm-up batch).
    public var batches = 8
    public var sourceWidth = 500
    public var sourceHeight = 375
    public var sourceImages = 64
    public var seed: UInt64 = 0
    /// Use the images of this folder instead of synthetic JPEGs.
    public var folder: URL?

    public init() {}

    /// Sets `folder` from a path (for the command line); nil or empty keeps synthetic images.
    public mutating func setFolder(path: String?) {
        folder = path.flatMap { $0.isEmpty ? nil : URL(fileURLWithPath: $0, isDirectory: true) }
    }
}

/// Result of one benchmark run; prints as a line or serialises as JSON.
public struct DataBenchResult: Sendable, CustomStringConvertible {
    public var pipeline = "detco"
    public var size: Int
    public var patchSize: Int
    public var threads: Int
    public var batchSize: Int
    public var images: Int
    public var seconds: Double
    public var source: String

    public var imagesPerSecond: Double { Double(images) / max(seconds, 1e-9) }
    /// Crops rendered per image: 2 global views + 2 × 9 local patches.
    public var cropsPerImage: Int { 20 }

    public var description: String {
        let rate = (imagesPerSecond * 10).rounded() / 10
        return "data-detco: \(rate) images/s (\(cropsPerImage) crops/image: 2×\(size)² + 18×\(patchSize)²; "
            + "\(threads) threads, batch \(batchSize), \(images) images in \((seconds * 1000).rounded() / 1000) s; source \(source))"
    }

    public var json: JSONValue {
        .object([("benchmark", .string("data-\(pipeline)")), ("images_per_second", .number((imagesPerSecond * 100).rounded() / 100)),
                 ("crops_per_image", .int(cropsPerImage)), ("global_size", .int(size)), ("patch_size", .int(patchSize)),
                 ("threads", .int(threads)), ("batch_size", .int(batchSize)), ("images", .int(images)),
                 ("seconds", .number(seconds)), ("source", .string(source))])
    }
}

/// Benchmarks of the data pipeline.
public enum DataBench {
    /// Images per second of the DetCo view pipeline.
    public static func detco(_ configuration: DataBenchConfiguration) throws -> DataBenchResult {
        guard configuration.size >= 8, configuration.threads >= 0, configuration.batchSize >= 1, configuration.batches >= 1,
              configuration.sourceImages >= 1, configuration.sourceWidth >= 1, configuration.sourceHeight >= 1 else {
            throw DataError(.invalid, file: "<bench>", "need size ≥ 8, threads ≥ 0, and positive batch, batches and source "
                            + "sizes (got size \(configuration.size), threads \(configuration.threads), batch "
                            + "\(configuration.batchSize), batches \(configuration.batches))")
        }
        let source: any ImageSource
        let sourceName: String
        if let folder = configuration.folder {
            source = try ImageFolder(root: folder)
            sourceName = folder.path
        } else {
            source = try syntheticJPEGs(count: configuration.sourceImages, width: configuration.sourceWidth,
                                        height: configuration.sourceHeight, seed: configuration.seed)
            sourceName = "\(configuration.sourceImages) synthetic \(configuration.sourceWidth)x\(configuration.sourceHeight) JPEGs"
        }
        let views = DetCoViews(size: configuration.size)
        var loaderConfiguration = DataLoaderConfiguration(sampleCount: source.count, batchSize: configuration.batchSize,
                                                          seed: configuration.seed)
        loaderConfiguration.threads = configuration.threads
        loaderConfiguration.dropLast = false
        let loader = try DataLoader.detco(source: source, views: views, configuration: loaderConfiguration)
        var epoch = 0
        loader.start(epoch: epoch)
        func nextBatch() throws {
            if try loader.next() == nil {
                epoch += 1
                loader.start(epoch: epoch)
                _ = try loader.next()
            }
        }
        try nextBatch()  // warm-up: threads started, scratch buffers grown
        let start = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<configuration.batches { try nextBatch() }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        return DataBenchResult(size: configuration.size, patchSize: views.local.patchSize, threads: configuration.threads,
                               batchSize: configuration.batchSize, images: configuration.batches * configuration.batchSize,
                               seconds: seconds, source: sourceName)
    }

    /// Deterministic textured JPEGs: smooth colour gradients, stripes and noise (quality 90).
    public static func syntheticJPEGs(count: Int, width: Int, height: Int, seed: UInt64) throws -> EncodedImages {
        var files: [[UInt8]] = []
        for i in 0..<count {
            var rng = RandomStream(seed: seed, stream: 0xBE_7C4 &+ UInt64(i))
            let base = SIMD3<Float>(rng.uniformFloat(40, 215), rng.uniformFloat(40, 215), rng.uniformFloat(40, 215))
            let slope = SIMD3<Float>(rng.uniformFloat(-0.3, 0.3), rng.uniformFloat(-0.3, 0.3), rng.uniformFloat(-0.3, 0.3))
            let period = rng.uniformFloat(6, 40)
            var image = Image(width: width, height: height, channels: 3)
            for y in 0..<height {
                for x in 0..<width {
                    let stripe: Float = Int(Float(x + y) / period) % 2 == 0 ? 18 : -18
                    let noise = Float(rng.next() >> 59) * 2 - 16
                    let value = base + slope * Float(x - y) + SIMD3(repeating: stripe + noise)
                    for c in 0..<3 { image[x, y, c] = UInt8(min(max(value[c], 0), 255)) }
                }
            }
            files.append(try JPEG.encode(image, quality: 90))
        }
        return EncodedImages(files: files)
    }
}
