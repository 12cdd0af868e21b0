// MoCo v2 "aug+" global view (detco-spec §1.4): RandomResizedCrop(scale 0.2–1) → ColorJitter(0.4, 0.4, 0.4,
// 0.1) with p 0.8 → RandomGrayscale p 0.2 → GaussianBlur σ ~ U[0.1, 2] with p 0.5 → HorizontalFlip p 0.5 →
// Normalize (ImageNet). All random draws happen first, in that order (`sample`), then the pixels are produced in
// one pass per op (`render`), directly into the caller's buffer (a batch slot), using per-thread scratch.
// Blur σ is given for 224-pixel views and scales with `size` (σ · size / 224), so a 96-pixel view is blurred
// as much, relative to its content, as a 224-pixel one.

import KilnKernels

/// The photometric part shared by global views and DetCo's local patch set.
public struct PhotometricAugment: Equatable, Sendable {
    public var jitter = ColorJitter.mocoV2
    public var jitterProbability = 0.8
    public var grayscaleProbability = 0.2
    public var blurProbability = 0.5
    /// Blur σ range in pixels of the view being blurred.
    public var blurSigma: ClosedRange<Float> = 0.1...2.0
    public var flipProbability = 0.5

    public init() {}

    /// One draw of the photometric parameters.
    public struct Draw: Equatable, Sendable {
        public var jitter: ColorJitter.Draw?
        public var grayscale: Bool
        public var blurSigma: Float?
        public var flip: Bool

        public init(jitter: ColorJitter.Draw?, grayscale: Bool, blurSigma: Float?, flip: Bool) {
            self.jitter = jitter
            self.grayscale = grayscale
            self.blurSigma = blurSigma
            self.flip = flip
        }
    }

    public func sample(_ rng: inout RandomStream) -> Draw {
        let jitterDraw = rng.bernoulli(jitterProbability) ? jitter.sample(&rng) : nil
        let gray = rng.bernoulli(grayscaleProbability)
        let sigma = rng.bernoulli(blurProbability) ? rng.uniformFloat(blurSigma.lowerBound, blurSigma.upperBound) : nil
        let flip = rng.bernoulli(flipProbability)
        return Draw(jitter: jitterDraw, grayscale: gray, blurSigma: sigma, flip: flip)
    }

    /// Applies jitter, grayscale and blur in place (the flip is folded into resampling by the caller).
    // pixels: (height, width, 3) in [0, 1]
    func render(_ draw: Draw, _ pixels: UnsafeMutablePointer<Float>, width: Int, height: Int, scratch: TransformScratch) {
        let count = width * height
        if let jitterDraw = draw.jitter { Photometric.apply(jitterDraw, pixels, count: count) }
        if draw.grayscale { Photometric.grayscale(pixels, count: count) }
        if let sigma = draw.blurSigma {
            Photometric.gaussianBlur(sigma: sigma, pixels, width: width, height: height,
                                     temp: scratch.floats(.blur, count * 3))
        }
    }
}

/// MoCo v2 "aug+" view of `size × size` pixels.
public struct MoCoAugment: Equatable, Sendable {
    public var size: Int
    public var crop = RandomResizedCrop(scale: 0.2...1.0)
    public var photometric = PhotometricAugment()
    public var normalization = Normalization.imagenet

    /// The reference recipe at `size` (224 in the paper); blur σ scaled by size / 224.
    public init(size: Int = 224) {
        self.size = size
        let factor = Float(size) / 224
        photometric.blurSigma = (0.1 * factor)...(2.0 * factor)
    }

    /// All random choices for one view of a `width × height` source.
    public struct Draw: Equatable, Sendable {
        public var crop: CropBox
        public var photometric: PhotometricAugment.Draw

        public init(crop: CropBox, photometric: PhotometricAugment.Draw) {
            self.crop = crop
            self.photometric = photometric
        }
    }

    public func sample(width: Int, height: Int, rng: inout RandomStream) -> Draw {
        let box = crop.sample(width: width, height: height, rng: &rng)
        return Draw(crop: box, photometric: photometric.sample(&rng))
    }

    /// Renders a drawn view into `output` (size × size × 3 normalised floats).
    // output: (size, size, 3)
    public func render(_ draw: Draw, from image: Image, into output: UnsafeMutablePointer<Float>, scratch: TransformScratch) {
        Resample.cropResize(image, crop: draw.crop, outWidth: size, outHeight: size, flip: draw.photometric.flip,
                            output: output, scratch: scratch)
        photometric.render(draw.photometric, output, width: size, height: size, scratch: scratch)
        normalization.apply(output, output, pixels: size * size)
    }

    /// Samples and renders one view into `output`.
    public func apply(_ image: Image, into output: UnsafeMutablePointer<Float>, rng: inout RandomStream,
                      scratch: TransformScratch) {
        render(sample(width: image.width, height: image.height, rng: &rng), from: image, into: output, scratch: scratch)
    }

    /// Convenience: one view as a new `FloatImage`.
    public func apply(_ image: Image, rng: inout RandomStream) -> FloatImage {
        var view = FloatImage(width: size, height: size)
        let scratch = TransformScratch()
        view.data.withUnsafeMutableBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return }
            apply(image, into: base, rng: &rng, scratch: scratch)
        }
        return view
    }
}
