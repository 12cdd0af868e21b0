// What a multi-view loader (MoCo, DetCo) renders each view from: the source's image as it is, or, with a
// `BackgroundSwap`, the image with a background drawn for that view (see BackgroundSwap.swift).

import KilnKernels

/// Loads a sample once and hands out the picture each of its views starts from.
public struct ViewImages: Sendable {
    private let source: any ImageSource
    private let layered: (any LayeredImageSource)?
    private let backgrounds: BackgroundSwap?

    /// Throws when `backgrounds` is set but `source` does not know its foreground.
    public init(source: any ImageSource, backgrounds: BackgroundSwap?) throws {
        self.source = source
        self.backgrounds = backgrounds
        layered = source as? any LayeredImageSource
        if backgrounds != nil, layered == nil {
            throw DataError(.invalid, file: "<loader>", "background swapping needs a source with foreground masks "
                            + "(the built-in fashion scenes); \(type(of: source)) has none")
        }
    }

    /// One loaded sample.
    public enum Sample {
        case plain(Image)
        case layered(LayeredImage, BackgroundSwap)

        /// The picture one view starts from (draws the view's background from `rng` when swapping).
        public func view(_ rng: inout RandomStream) -> Image {
            switch self {
            case .plain(let image): return image
            case .layered(let layers, let swap): return swap.apply(layers, rng: &rng)
            }
        }
    }

    public func load(_ index: Int) throws -> Sample {
        if let layered, let backgrounds { return .layered(try layered.loadLayers(at: index), backgrounds) }
        return .plain(try source.loadImage(at: index))
    }
}
