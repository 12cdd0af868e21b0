// MoCo v2 batches: two "aug+" views of each image, collated NHWC; the same sample seeding as DetCo's loader.

import KilnData
import KilnKernels

public final class MoCoBatch: @unchecked Sendable {
    public let x1: TensorBuffer<Float>
    public let x2: TensorBuffer<Float>

    public init(batchSize: Int, size: Int) {
        x1 = TensorBuffer(shape: [batchSize, size, size, 3], initial: 0)
        x2 = TensorBuffer(shape: [batchSize, size, size, 3], initial: 0)
    }
}

extension DataLoader where Batch == MoCoBatch {
    /// A loader of MoCo v2 batches over `source`, each view drawn by `augment`; with `backgrounds` (a source with
    /// foreground masks only) each view first gets a background of its own.
    public static func moco(source: any ImageSource, augment: MoCoAugment, backgrounds: BackgroundSwap? = nil,
                            configuration: DataLoaderConfiguration) throws -> DataLoader<MoCoBatch> {
        var configuration = configuration
        configuration.sampleCount = source.count
        let batchSize = configuration.batchSize
        let size = augment.size
        let views = try ViewImages(source: source, backgrounds: backgrounds)
        return try DataLoader(configuration, makeBatch: { MoCoBatch(batchSize: batchSize, size: size) }) { batch, slot, index, rng, scratch in
            let image = try views.load(index)
            augment.apply(image.view(&rng), into: batch.x1.entry(slot), rng: &rng, scratch: scratch)
            augment.apply(image.view(&rng), into: batch.x2.entry(slot), rng: &rng, scratch: scratch)
        }
    }
}
