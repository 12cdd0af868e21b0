// DetCo training batches (detco-spec §2.1): per image two global "aug+" views X1 (query) and X2 (key) and two
// independently drawn 3×3 jigsaw patch sets X3 (query) and X4 (key), collated NHWC:
// X1, X2: (N, S, S, 3); X3, X4: (N·9, P, P, 3) with the nine patches of image n at rows 9n..<9n+9.
// One image decode feeds all four views; each view draws from the sample's own RandomStream in the fixed
// order X1, X2, X3, X4.

import KilnKernels

/// One DetCo batch; reused by the loader (see `DataLoader` for the lifetime rule).
public final class DetCoBatch: @unchecked Sendable {
    public let x1: TensorBuffer<Float>
    public let x2: TensorBuffer<Float>
    public let x3: TensorBuffer<Float>
    public let x4: TensorBuffer<Float>
    /// Dataset index of each image in the batch.
    public let indices: TensorBuffer<Int32>

    public init(batchSize: Int, views: DetCoViews) {
        let s = views.global.size, p = views.local.patchSize
        x1 = TensorBuffer(shape: [batchSize, s, s, 3], initial: 0)
        x2 = TensorBuffer(shape: [batchSize, s, s, 3], initial: 0)
        x3 = TensorBuffer(shape: [batchSize * 9, p, p, 3], initial: 0)
        x4 = TensorBuffer(shape: [batchSize * 9, p, p, 3], initial: 0)
        indices = TensorBuffer(shape: [batchSize], initial: -1)
    }
}

/// The four DetCo views of one image.
public struct DetCoViews: Equatable, Sendable {
    public var global: MoCoAugment
    public var local: DetCoLocalView

    /// The paper's recipe at global size `size` (224 in the paper; local sizes scale with it).
    public init(size: Int = 224) {
        global = MoCoAugment(size: size)
        local = DetCoLocalView(size: size)
    }

    /// Renders X1...X4 of `image` into slot `slot` of `batch`.
    public func render(_ image: Image, into batch: DetCoBatch, slot: Int, rng: inout RandomStream, scratch: TransformScratch) {
        render(.plain(image), into: batch, slot: slot, rng: &rng, scratch: scratch)
    }

    /// Renders X1...X4 of a loaded sample, each view from its own picture (its own background when swapping).
    public func render(_ sample: ViewImages.Sample, into batch: DetCoBatch, slot: Int, rng: inout RandomStream,
                       scratch: TransformScratch) {
        global.apply(sample.view(&rng), into: batch.x1.entry(slot), rng: &rng, scratch: scratch)
        global.apply(sample.view(&rng), into: batch.x2.entry(slot), rng: &rng, scratch: scratch)
        local.apply(sample.view(&rng), into: batch.x3.entry(9 * slot), rng: &rng, scratch: scratch)
        local.apply(sample.view(&rng), into: batch.x4.entry(9 * slot), rng: &rng, scratch: scratch)
    }
}

extension DataLoader where Batch == DetCoBatch {
    /// A loader of DetCo batches over `source`; with `backgrounds` (a source with foreground masks only) each
    /// view first gets a background of its own.
    public static func detco(source: any ImageSource, views: DetCoViews, backgrounds: BackgroundSwap? = nil,
                             configuration: DataLoaderConfiguration) throws -> DataLoader<DetCoBatch> {
        guard views.global.size >= 8, views.local.patchSize >= 1 else {
            throw DataError(.invalid, file: "<loader>", "DetCo view size \(views.global.size) is too small (need at least 8)")
        }
        var configuration = configuration
        configuration.sampleCount = source.count
        let batchSize = configuration.batchSize
        let images = try ViewImages(source: source, backgrounds: backgrounds)
        return try DataLoader(configuration, makeBatch: { DetCoBatch(batchSize: batchSize, views: views) }) { batch, slot, index, rng, scratch in
            views.render(try images.load(index), into: batch, slot: slot, rng: &rng, scratch: scratch)
            batch.indices.storage[slot] = Int32(truncatingIfNeeded: index)
        }
    }
}
