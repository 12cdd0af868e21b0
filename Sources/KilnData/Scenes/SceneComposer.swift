// Composition of one fashion scene: Fashion-MNIST items scaled, tinted and pasted onto a textured canvas.
// An item's alpha is its own pixel intensity above a threshold, so instance masks are exact; later items
// occlude earlier ones, masks and boxes describe the visible part, and items left with too little visible area
// are removed from the picture (not just from the labels), so every visible item is annotated.

import KilnKernels

/// One pasted item of a composed scene.
struct SceneItem {
    var label: Int
    /// Visible pixels.
    var rle: RLE
}

struct SceneComposer {
    let items: FashionMNIST
    let size: Int
    /// Item side as a fraction of the canvas side.
    var scaleRange: ClosedRange<Float> = 0.28...0.55
    var countRange: ClosedRange<Int> = 2...6
    /// Items with fewer visible pixels than this (at 96×96; scaled with the area) are removed.
    var minimumVisibleArea = 40
    /// Fraction of an item's own pixels that must stay visible.
    var minimumVisibleFraction: Float = 0.25
    /// Item pixels whose intensity (0...1) exceeds this belong to the item.
    var alphaThreshold: Float = 0.12

    private struct Placement {
        var label: Int
        var x: Int, y: Int, side: Int
        var tint: SIMD3<Float>
        /// Item intensity in [0, 1], side × side.
        var intensity: [Float]
        var pixelCount: Int
    }

    /// Composes scene number `index` of `seed`: the RGB image and its visible items in paste order.
    func compose(seed: UInt64, index: Int, scratch: TransformScratch) -> (Image, [SceneItem]) {
        let (image, owners, placements) = layout(seed: seed, index: index, scratch: scratch)
        let sceneItems = placements.indices.map { k in
            SceneItem(label: placements[k].label, rle: RLE(owners, value: UInt8(k + 1), height: size, width: size))
        }
        return (image, sceneItems)
    }

    /// Scene `index` of `seed` as the same RGB image plus its foreground (the union of the visible items).
    func composeLayers(seed: UInt64, index: Int, scratch: TransformScratch) -> LayeredImage {
        let (image, owners, _) = layout(seed: seed, index: index, scratch: scratch)
        return LayeredImage(image: image, foreground: owners.map { $0 > 0 })
    }

    /// The rendered scene, the owner of each pixel (0 = background, k = placement k − 1) and the kept placements.
    private func layout(seed: UInt64, index: Int, scratch: TransformScratch) -> (Image, [UInt8], [Placement]) {
        var rng = RandomStream(seed: seed, stream: UInt64(index))
        var canvas = [Float](repeating: 0, count: size * size * 3)
        SceneStyle.background(&canvas, size: size, rng: &rng)
        var placements = (0..<(countRange.lowerBound + rng.below(countRange.count))).map { _ in
            place(&rng, scratch: scratch)
        }

        // Remove items that end up (almost) hidden; removing one can only reveal the others, so repeat until stable.
        var owners = ownerMap(placements)
        let minimumArea = max(4, minimumVisibleArea * size * size / (96 * 96))
        while true {
            var visible = [Int](repeating: 0, count: placements.count)
            for owner in owners where owner > 0 { visible[Int(owner) - 1] += 1 }
            let keep = placements.indices.filter {
                visible[$0] >= minimumArea && Float(visible[$0]) >= minimumVisibleFraction * Float(placements[$0].pixelCount)
            }
            if keep.count == placements.count { break }
            placements = keep.map { placements[$0] }
            owners = ownerMap(placements)
        }

        // Render: item pixels take the item's tint modulated by its intensity; the rest show the background.
        let tints = placements.map(\.tint)
        let shade = shadeMap(placements)
        var pixels = [UInt8](repeating: 0, count: size * size * 3)
        for p in 0..<(size * size) {
            let owner = Int(owners[p])
            var color = SIMD3(canvas[3 * p], canvas[3 * p + 1], canvas[3 * p + 2])
            if owner > 0 { color = tints[owner - 1] * (0.3 + 0.7 * shade[p]) }
            color = (color.clamped(lowerBound: SIMD3(repeating: 0), upperBound: SIMD3(repeating: 1)) * 255
                     + SIMD3(repeating: 0.5))
            pixels[3 * p] = UInt8(color.x); pixels[3 * p + 1] = UInt8(color.y); pixels[3 * p + 2] = UInt8(color.z)
        }
        return (Image(width: size, height: size, channels: 3, pixels: pixels), owners, placements)
    }

    private func place(_ rng: inout RandomStream, scratch: TransformScratch) -> Placement {
        let index = rng.below(items.count)
        let side = max(4, Int((rng.uniformFloat(scaleRange.lowerBound, scaleRange.upperBound) * Float(size)).rounded()))
        let x = rng.below(size - side + 1), y = rng.below(size - side + 1)
        let flip = rng.bernoulli(0.5)
        let tint = SceneStyle.tint(&rng)
        let intensity = Self.resizedItem(items.image(at: index), side: side, flip: flip, scratch: scratch)
        let count = intensity.reduce(0) { $0 + ($1 > alphaThreshold ? 1 : 0) }
        return Placement(label: items.label(at: index), x: x, y: y, side: side, tint: tint, intensity: intensity,
                         pixelCount: count)
    }

    /// The item resampled to side × side, one intensity per pixel.
    static func resizedItem(_ item: Image, side: Int, flip: Bool, scratch: TransformScratch) -> [Float] {
        var rgb = [Float](repeating: 0, count: side * side * 3)
        rgb.withUnsafeMutableBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return }
            Resample.cropResize(item, crop: CropBox(x: 0, y: 0, width: Double(item.width), height: Double(item.height)),
                                outWidth: side, outHeight: side, flip: flip, output: base, scratch: scratch)
        }
        return (0..<(side * side)).map { rgb[3 * $0] }
    }

    /// Intensity of the item that owns each canvas pixel (0 where the background shows).
    private func shadeMap(_ placements: [Placement]) -> [Float] {
        var shade = [Float](repeating: 0, count: size * size)
        for item in placements {
            for dy in 0..<item.side {
                for dx in 0..<item.side where item.intensity[dy * item.side + dx] > alphaThreshold {
                    shade[(item.y + dy) * size + item.x + dx] = item.intensity[dy * item.side + dx]
                }
            }
        }
        return shade
    }

    /// Owner of each canvas pixel: 0 = background, k = placement k − 1 (later placements win).
    private func ownerMap(_ placements: [Placement]) -> [UInt8] {
        var owners = [UInt8](repeating: 0, count: size * size)
        for (k, item) in placements.enumerated() {
            for dy in 0..<item.side {
                for dx in 0..<item.side where item.intensity[dy * item.side + dx] > alphaThreshold {
                    owners[(item.y + dy) * size + item.x + dx] = UInt8(k + 1)
                }
            }
        }
        return owners
    }
}
