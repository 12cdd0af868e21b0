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
    /// A loader of MoCo v2 batches over `source`, each view drawn by `augment`.
    public static func moco(source: any ImageSource, augment: MoCoAugment, configuration: DataLoaderConfiguration) throws -> DataLoader<MoCoBatch> {
        var configuration = configuration
        configuration.sampleCount = source.count
        let batchSize = configuration.batchSize
        let size = augment.size
        return try DataLoader(configuration, makeBatch: { MoCoBatch(batchSize: batchSize, size: size) }) { batch, slot, index, rng, scratch in
            let image = try source.loadImage(at: index)
            augment.apply(image, into: batch.x1.entry(slot), rng: &rng, scratch: scratch)
            augment.apply(image, into: batch.x2.entry(slot), rng: &rng, scratch: scratch)
        }
    }
}
