// The fashion scenes composed on demand, as an image source with foreground masks (for background swapping in
// pre-training). Scene i has exactly the pixels of `images/<i>.png` written by `FashionScenes.generate` with the
// same (seed, size): both come from `SceneComposer.compose`, and PNG is lossless.

import Foundation
import KilnKernels

/// Scenes `first ..< first + count` of the fashion scenes of `seed`, composed when loaded.
public struct FashionSceneSource: LayeredImageSource {
    private let composer: SceneComposer
    public let seed: UInt64
    public let first: Int
    public let count: Int

    public init(count: Int = 10_000, first: Int = 0, seed: UInt64 = 0, size: Int = 96,
                fashionMNIST: URL = FashionMNIST.defaultDirectory) throws {
        guard count > 0, first >= 0 else {
            throw DataError(.invalid, file: fashionMNIST.path, "scene range \(first)..<\(first + count) is empty or negative")
        }
        guard (32...4096).contains(size) else {
            throw DataError(.invalid, file: fashionMNIST.path, "scene size must be in 32...4096, got \(size)")
        }
        composer = SceneComposer(items: try FashionMNIST.load(split: .train, directory: fashionMNIST), size: size)
        self.seed = seed
        self.first = first
        self.count = count
    }

    public func loadImage(at index: Int) throws -> Image {
        composer.compose(seed: seed, index: first + index, scratch: TransformScratch()).0
    }

    public func loadLayers(at index: Int) throws -> LayeredImage {
        composer.composeLayers(seed: seed, index: first + index, scratch: TransformScratch())
    }
}
