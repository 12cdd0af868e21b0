// Detection batches with static shapes (the framework compiles fixed-shape graphs, see docs/architecture.md):
// every image is transformed by `DetectionTransform` and placed top-left in a fixed `height × width` canvas;
// instances are stored up to a fixed capacity with a count. Layout:
//   images (N, H, W, 3) normalised, zero-padded; sizes (N, 2) = content (height, width);
//   boxes (N, M, 4) = (x0, y0, x1, y1) pixels; labels (N, M) Int32, -1 past the count; counts (N);
//   masks (N, M, H, W) UInt8 when enabled (memory grows with M·H·W; meant for small canvases).
// Images larger than the canvas after the transform, or with more than M instances, are clipped / truncated
// and counted in `clippedSamples` / `truncatedInstances` of the batch.

import KilnKernels

/// One detection batch; reused by the loader.
public final class DetectionBatch: @unchecked Sendable {
    public let images: TensorBuffer<Float>
    public let sizes: TensorBuffer<Int32>
    public let boxes: TensorBuffer<Float>
    public let labels: TensorBuffer<Int32>
    public let counts: TensorBuffer<Int32>
    public let masks: TensorBuffer<UInt8>?
    public let indices: TensorBuffer<Int32>
    /// Per-slot flags: 1 when the transformed image did not fit the canvas / instances were dropped.
    public let clipped: TensorBuffer<Int32>
    public let truncated: TensorBuffer<Int32>

    public init(batchSize: Int, height: Int, width: Int, maxInstances: Int, withMasks: Bool) {
        images = TensorBuffer(shape: [batchSize, height, width, 3], initial: 0)
        sizes = TensorBuffer(shape: [batchSize, 2], initial: 0)
        boxes = TensorBuffer(shape: [batchSize, maxInstances, 4], initial: 0)
        labels = TensorBuffer(shape: [batchSize, maxInstances], initial: -1)
        counts = TensorBuffer(shape: [batchSize], initial: 0)
        masks = withMasks ? TensorBuffer(shape: [batchSize, maxInstances, height, width], initial: 0) : nil
        indices = TensorBuffer(shape: [batchSize], initial: -1)
        clipped = TensorBuffer(shape: [batchSize], initial: 0)
        truncated = TensorBuffer(shape: [batchSize], initial: 0)
    }

    /// Samples whose image had to be clipped to the canvas.
    public var clippedSamples: Int { clipped.storage.reduce(0) { $0 + Int($1) } }
    /// Instances dropped because a sample had more than `maxInstances`.
    public var truncatedInstances: Int { truncated.storage.reduce(0) { $0 + Int($1) } }

    /// Writes one transformed sample into `slot`.
    func store(_ input: DetectionInput, slot: Int, index: Int) {
        let height = images.shape[1], width = images.shape[2], capacity = labels.shape[1]
        let image = images.entry(slot)
        image.update(repeating: 0, count: images.stride)
        let rows = min(input.image.height, height), columns = min(input.image.width, width)
        input.image.data.withUnsafeBufferPointer { source in
            guard let base = source.baseAddress else { return }
            for y in 0..<rows { (image + y * width * 3).update(from: base + y * input.image.width * 3, count: columns * 3) }
        }
        sizes.entry(slot)[0] = Int32(min(input.contentHeight, height))
        sizes.entry(slot)[1] = Int32(min(input.contentWidth, width))
        clipped.storage[slot] = input.image.height > height || input.image.width > width ? 1 : 0
        let kept = min(input.boxes.count, capacity)
        truncated.storage[slot] = Int32(input.boxes.count - kept)
        counts.storage[slot] = Int32(kept)
        let boxRow = boxes.entry(slot), labelRow = labels.entry(slot)
        boxRow.update(repeating: 0, count: boxes.stride)
        labelRow.update(repeating: -1, count: labels.stride)
        for k in 0..<kept {
            let box = input.boxes[k]
            boxRow[4 * k] = Float(min(box.x0, Double(width))); boxRow[4 * k + 1] = Float(min(box.y0, Double(height)))
            boxRow[4 * k + 2] = Float(min(box.x1, Double(width))); boxRow[4 * k + 3] = Float(min(box.y1, Double(height)))
            labelRow[k] = Int32(input.labels[k])
        }
        if let masks {
            let maskRow = masks.entry(slot)
            maskRow.update(repeating: 0, count: masks.stride)
            for k in 0..<min(kept, input.masks.count) {
                let mask = input.masks[k], plane = maskRow + k * height * width
                for y in 0..<min(mask.height, height) {
                    for x in 0..<min(mask.width, width) { plane[y * width + x] = mask.bits[y * mask.width + x] }
                }
            }
        }
        indices.storage[slot] = Int32(truncatingIfNeeded: index)
    }
}

extension DataLoader where Batch == DetectionBatch {
    /// A loader of fixed-shape detection batches over a COCO dataset. The canvas defaults to the transform's
    /// largest possible output (`maxSize` rounded up to `padMultiple`, square).
    public static func detection(dataset: COCODataset, transform: DetectionTransform, maxInstances: Int = 100,
                                 withMasks: Bool = false, canvas: (height: Int, width: Int)? = nil,
                                 configuration: DataLoaderConfiguration) throws -> DataLoader<DetectionBatch> {
        guard maxInstances >= 1 else { throw DataError(.invalid, file: "<loader>", "maxInstances must be positive") }
        let side = (transform.maxSize + transform.padMultiple - 1) / transform.padMultiple * transform.padMultiple
        let (height, width) = canvas ?? (side, side)
        var configuration = configuration
        configuration.sampleCount = dataset.images.count
        let batchSize = configuration.batchSize
        return try DataLoader(configuration, makeBatch: {
            DetectionBatch(batchSize: batchSize, height: height, width: width, maxInstances: maxInstances, withMasks: withMasks)
        }) { batch, slot, index, rng, scratch in
            let sample = try dataset.detectionSample(at: index, withMasks: withMasks)
            batch.store(transform.apply(sample, rng: &rng, scratch: scratch), slot: slot, index: index)
        }
    }
}
