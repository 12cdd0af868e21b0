// Labeled image batches for linear and kNN evaluation (MoCo `main_lincls.py` protocol, detco-spec §4.3):
// training views are RandomResizedCrop(scale 0.08–1) + horizontal flip; evaluation views resize the shorter side
// to S·256/224 and take the central S×S crop (done as one resampling of the matching source box).
// Batches: images (N, S, S, 3) normalised, labels (N) as Int32 (-1 for unlabeled sources).

import KilnKernels

/// An image source whose images carry class labels.
public protocol LabeledImageSource: ImageSource {
    /// Class index of image `index`, or nil when unlabeled.
    func label(at index: Int) -> Int?
}

extension FashionItems: LabeledImageSource {
    public func label(at index: Int) -> Int? { items.label(at: index) }
}

extension ImageFolder: LabeledImageSource {
    public func label(at index: Int) -> Int? { entries[index].label }
}

/// One classification batch; reused by the loader.
public final class ClassificationBatch: @unchecked Sendable {
    public let images: TensorBuffer<Float>
    public let labels: TensorBuffer<Int32>
    public let indices: TensorBuffer<Int32>

    public init(batchSize: Int, size: Int) {
        images = TensorBuffer(shape: [batchSize, size, size, 3], initial: 0)
        labels = TensorBuffer(shape: [batchSize], initial: -1)
        indices = TensorBuffer(shape: [batchSize], initial: -1)
    }
}

/// Train or evaluation view for classification.
public struct ClassificationView: Equatable, Sendable {
    public var size: Int
    public var train: Bool
    public var crop = RandomResizedCrop(scale: 0.08...1.0)
    public var normalization = Normalization.imagenet

    public init(size: Int = 224, train: Bool) {
        self.size = size
        self.train = train
    }

    /// Source box of the evaluation view: the centre crop after resizing the shorter side to size·256/224.
    public func centerBox(width: Int, height: Int) -> CropBox {
        let side = Double(min(width, height)) * 224 / 256
        return CropBox(x: (Double(width) - side) / 2, y: (Double(height) - side) / 2, width: side, height: side)
    }

    // output: (size, size, 3)
    public func render(_ image: Image, into output: UnsafeMutablePointer<Float>, rng: inout RandomStream, scratch: TransformScratch) {
        let box = train ? crop.sample(width: image.width, height: image.height, rng: &rng) : centerBox(width: image.width, height: image.height)
        let flip = train && rng.bernoulli(0.5)
        Resample.cropResize(image, crop: box, outWidth: size, outHeight: size, flip: flip, output: output, scratch: scratch)
        normalization.apply(output, output, pixels: size * size)
    }
}

extension DataLoader where Batch == ClassificationBatch {
    /// A loader of labeled batches over `source` (evaluation loaders usually set `shuffle = false`).
    public static func classification(source: any LabeledImageSource, view: ClassificationView,
                                      configuration: DataLoaderConfiguration) throws -> DataLoader<ClassificationBatch> {
        guard view.size >= 1 else { throw DataError(.invalid, file: "<loader>", "view size must be positive, got \(view.size)") }
        var configuration = configuration
        configuration.sampleCount = source.count
        let batchSize = configuration.batchSize
        return try DataLoader(configuration, makeBatch: { ClassificationBatch(batchSize: batchSize, size: view.size) }) { batch, slot, index, rng, scratch in
            let image = try source.loadImage(at: index)
            view.render(image, into: batch.images.entry(slot), rng: &rng, scratch: scratch)
            batch.labels.storage[slot] = Int32(source.label(at: index) ?? -1)
            batch.indices.storage[slot] = Int32(truncatingIfNeeded: index)
        }
    }
}
