// Background swap: every view of an image gets a background of its own behind the image's unchanged foreground
// (Ryali et al. 2021, "Characterizing and Improving the Robustness of Self-Supervised Learning through Background
// Augmentations", the BG_Random variant). Why: when two views of an image share their background and nothing else
// reliably, a contrastive objective learns to recognise backgrounds; drawing each view's background afresh leaves
// the foreground as the only thing the views have in common. It needs the foreground mask, so it applies to
// sources that know it (`LayeredImageSource`: the built-in scenes, where the generator knows every item's pixels).

import KilnKernels

/// An RGB image and which of its pixels are foreground.
public struct LayeredImage: Sendable {
    public var image: Image
    /// `width × height`, row-major; true where the foreground shows.
    public var foreground: [Bool]

    public init(image: Image, foreground: [Bool]) {
        precondition(image.channels == 3 && foreground.count == image.width * image.height,
                     "LayeredImage: \(foreground.count) mask entries for a \(image.width)x\(image.height)x\(image.channels) image")
        self.image = image
        self.foreground = foreground
    }
}

/// A source whose images come with their foreground masks.
public protocol LayeredImageSource: ImageSource {
    /// Image `index` (the same pixels as `loadImage(at:)`) with its foreground mask.
    func loadLayers(at index: Int) throws -> LayeredImage
}

/// Replaces an image's background by a freshly drawn texture (the scenes' texture family) with probability
/// `probability`.
public struct BackgroundSwap: Equatable, Sendable {
    public var probability: Double

    public init(probability: Double = 1) { self.probability = probability }

    /// One view's image: `layers.image` with a new background, or unchanged (one Bernoulli draw either way).
    public func apply(_ layers: LayeredImage, rng: inout RandomStream) -> Image {
        guard rng.bernoulli(probability) else { return layers.image }
        let width = layers.image.width, height = layers.image.height
        let side = max(width, height)
        var texture = [Float](repeating: 0, count: side * side * 3)
        SceneStyle.texture(&texture, size: side, rng: &rng)
        var out = layers.image
        out.pixels.withUnsafeMutableBufferPointer { pixels in
            for y in 0..<height {
                for x in 0..<width where !layers.foreground[y * width + x] {
                    let source = (y * side + x) * 3, target = (y * width + x) * 3
                    for c in 0..<3 { pixels[target + c] = UInt8((texture[source + c] * 255).rounded()) }
                }
            }
        }
        return out
    }
}
