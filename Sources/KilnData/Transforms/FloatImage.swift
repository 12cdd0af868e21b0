// Float images for the training side of KilnData: `FloatImage` (HWC, RGB) and the per-channel normalisation
// that turns [0, 1] pixel values into network inputs.

/// A Float image in HWC layout (`data[(y * width + x) * channels + c]`).
public struct FloatImage: Equatable, Sendable {
    public var width: Int
    public var height: Int
    public var channels: Int
    public var data: [Float]

    public init(width: Int, height: Int, channels: Int = 3, data: [Float]? = nil) {
        precondition(data == nil || data?.count == width * height * channels, "FloatImage: wrong data size")
        self.width = width
        self.height = height
        self.channels = channels
        self.data = data ?? [Float](repeating: 0, count: width * height * channels)
    }

    /// Value of channel `c` at (x, y).
    @inline(__always)
    public subscript(x: Int, y: Int, c: Int) -> Float { data[(y * width + x) * channels + c] }
}

/// Per-channel normalisation `(x - mean) / std` for RGB values in [0, 1].
public struct Normalization: Equatable, Sendable {
    public var mean: SIMD3<Float>
    public var std: SIMD3<Float>

    public init(mean: SIMD3<Float>, std: SIMD3<Float>) {
        self.mean = mean
        self.std = std
    }

    /// ImageNet statistics used by MoCo, DetCo and the Detectron2 fine-tuning configs (RGB order).
    public static let imagenet = Normalization(mean: SIMD3(0.485, 0.456, 0.406), std: SIMD3(0.229, 0.224, 0.225))

    /// Leaves values in [0, 1].
    public static let identity = Normalization(mean: SIMD3(0, 0, 0), std: SIMD3(1, 1, 1))

    /// Normalises `pixels` RGB pixels from `source` into `destination` (they may alias).
    // source, destination: (pixels, 3)
    public func apply(_ source: UnsafePointer<Float>, _ destination: UnsafeMutablePointer<Float>, pixels: Int) {
        let scale = 1 / std
        let offset = -mean * scale
        for p in 0..<pixels {
            let i = 3 * p
            destination[i] = source[i] * scale.x + offset.x
            destination[i + 1] = source[i + 1] * scale.y + offset.y
            destination[i + 2] = source[i + 2] * scale.z + offset.z
        }
    }

    /// Maps normalised values back to [0, 1] (for visualising network inputs).
    public func invert(_ value: Float, channel: Int) -> Float { value * std[channel] + mean[channel] }
}
