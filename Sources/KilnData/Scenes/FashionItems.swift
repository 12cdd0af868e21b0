// Single-item images for kNN and linear evaluation of models pre-trained on fashion scenes.
// Choice: each Fashion-MNIST item is rendered like a scene item (same tints and background textures, drawn
// from (seed, index)) but alone, centred and filling 75 % of a `size × size` canvas. Evaluation images thus
// come from the pre-training distribution, at the model's input size, with the Fashion-MNIST label.

import Foundation
import KilnKernels

/// Fashion-MNIST items rendered as RGB scene-style images; an `ImageSource` with labels.
public struct FashionItems: ImageSource {
    public let items: FashionMNIST
    public let size: Int
    public let seed: UInt64

    public init(split: FashionMNIST.Split, size: Int = 96, seed: UInt64 = 0,
                directory: URL = FashionMNIST.defaultDirectory) throws {
        guard size >= 8 else { throw DataError(.invalid, file: directory.path, "item image size must be at least 8, got \(size)") }
        items = try FashionMNIST.load(split: split, directory: directory)
        self.size = size
        self.seed = seed
    }

    public var count: Int { items.count }

    /// Label 0...9 of item `index`.
    public func label(at index: Int) -> Int { items.label(at: index) }

    public func loadImage(at index: Int) throws -> Image { render(index, scratch: TransformScratch()) }

    /// Renders item `index` (deterministic in (seed, split, index)).
    public func render(_ index: Int, scratch: TransformScratch) -> Image {
        var rng = RandomStream(seed: seed ^ (items.split == .train ? 0 : 0x7E57), stream: 0xF1_7E45 &+ UInt64(index))
        var canvas = [Float](repeating: 0, count: size * size * 3)
        SceneStyle.background(&canvas, size: size, rng: &rng)
        let tint = SceneStyle.tint(&rng)
        let side = max(4, Int((Float(size) * 0.75).rounded()))
        let offset = (size - side) / 2
        let intensity = SceneComposer.resizedItem(items.image(at: index), side: side, flip: false, scratch: scratch)
        let threshold: Float = 0.12
        for dy in 0..<side {
            for dx in 0..<side where intensity[dy * side + dx] > threshold {
                let color = tint * (0.3 + 0.7 * intensity[dy * side + dx])
                let i = ((offset + dy) * size + offset + dx) * 3
                canvas[i] = color.x; canvas[i + 1] = color.y; canvas[i + 2] = color.z
            }
        }
        return Image(width: size, height: size, channels: 3,
                     pixels: canvas.map { UInt8((min(max($0, 0), 1) * 255).rounded()) })
    }
}
