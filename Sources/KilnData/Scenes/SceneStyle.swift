// Random appearance of the "fashion scenes" demo data: textured backgrounds (gradients, stripes, checkers,
// smooth noise, in muted colours, with a fine grain) and saturated item tints. Everything is drawn from the caller's
// RandomStream, so a scene's look is a pure function of its seed.
//
// Why a fixed pool of backgrounds: with a texture of its own per scene (version 1 of the data), two crops of one
// scene share a stripe period, angle and grain tile that no photometric augmentation removes, so contrastive
// pre-training learned to tell scenes apart by their background — a shortcut that made its features worse than a
// random network's for classifying the items (kNN on Fashion-MNIST labels 35 % vs 49 %). Drawing backgrounds from
// `backgroundPresetCount` shared textures leaves the items as the only cue that identifies a scene.

import Foundation
import KilnKernels

enum SceneStyle {
    /// A muted colour (moderate value, low saturation) for backgrounds.
    static func mutedColor(_ rng: inout RandomStream) -> SIMD3<Float> {
        hsv(hue: rng.uniformFloat(), saturation: rng.uniformFloat(0.05, 0.35), value: rng.uniformFloat(0.25, 0.8))
    }

    /// A saturated, bright tint for items.
    static func tint(_ rng: inout RandomStream) -> SIMD3<Float> {
        hsv(hue: rng.uniformFloat(), saturation: rng.uniformFloat(0.45, 1.0), value: rng.uniformFloat(0.75, 1.0))
    }

    static func hsv(hue: Float, saturation: Float, value: Float) -> SIMD3<Float> {
        let sector = hue * 6
        let index = min(Int(sector), 5)
        let f = sector - Float(index)
        let p = value * (1 - saturation), q = value * (1 - saturation * f), t = value * (1 - saturation * (1 - f))
        switch index {
        case 0: return SIMD3(value, t, p)
        case 1: return SIMD3(q, value, p)
        case 2: return SIMD3(p, value, t)
        case 3: return SIMD3(p, q, value)
        case 4: return SIMD3(t, p, value)
        default: return SIMD3(value, p, q)
        }
    }

    /// Background textures shared by all scenes and items (see the header).
    static let backgroundPresetCount = 16

    /// Fills `pixels` (size × size RGB in [0, 1]) with one of the `backgroundPresetCount` shared textures, chosen
    /// by `rng`.
    // pixels: (size, size, 3)
    static func background(_ pixels: inout [Float], size: Int, rng: inout RandomStream) {
        var preset = RandomStream(seed: 0x5CE4_E5BA_C6D0, stream: UInt64(rng.below(backgroundPresetCount)))
        texture(&pixels, size: size, rng: &preset)
    }

    /// One of four texture kinds plus fine grain, every parameter drawn from `rng`.
    // pixels: (size, size, 3)
    static func texture(_ pixels: inout [Float], size: Int, rng: inout RandomStream) {
        let a = mutedColor(&rng), b = mutedColor(&rng)
        let kind = rng.below(4)
        let angle = rng.uniformFloat(0, Float.pi)
        let direction = SIMD2<Float>(cos(angle), sin(angle))
        let period = rng.uniformFloat(0.06, 0.18) * Float(size)
        // A coarse 5×5 lattice of random values for the smooth-noise kind.
        let lattice = (0..<25).map { _ in rng.uniformFloat() }
        // Fine grain from a repeated 8×8 tile: it textures flat areas while leaving PNG's deflate long repeats
        // to find (per-pixel noise made encoding the scenes twice as slow).
        let grain = rng.uniformFloat(0.01, 0.05)
        let tile = (0..<64).map { _ in (rng.uniformFloat() - 0.5) * 2 * grain }
        let extent = Float(max(size - 1, 1))
        for y in 0..<size {
            for x in 0..<size {
                let position = SIMD2<Float>(Float(x), Float(y))
                let mix: Float
                switch kind {
                case 0: mix = min(max((position * direction).sum() / (extent * 1.42) + 0.3, 0), 1)
                case 1: mix = Int(((position * direction).sum() / period).rounded(.down)) & 1 == 0 ? 0 : 1
                case 2: mix = (Int(position.x / period) + Int(position.y / period)) & 1 == 0 ? 0 : 1
                default: mix = smoothNoise(lattice, x: position.x / extent * 4, y: position.y / extent * 4)
                }
                let noise = tile[(y & 7) * 8 + (x & 7)]
                let color = a + (b - a) * mix + SIMD3(repeating: noise)
                let i = (y * size + x) * 3
                pixels[i] = min(max(color.x, 0), 1)
                pixels[i + 1] = min(max(color.y, 0), 1)
                pixels[i + 2] = min(max(color.z, 0), 1)
            }
        }
    }

    /// Bilinear interpolation in a 5×5 lattice, coordinates in 0...4.
    private static func smoothNoise(_ lattice: [Float], x: Float, y: Float) -> Float {
        let x0 = min(Int(x), 3), y0 = min(Int(y), 3)
        let fx = x - Float(x0), fy = y - Float(y0)
        let top = lattice[y0 * 5 + x0] * (1 - fx) + lattice[y0 * 5 + x0 + 1] * fx
        let bottom = lattice[(y0 + 1) * 5 + x0] * (1 - fx) + lattice[(y0 + 1) * 5 + x0 + 1] * fx
        return top * (1 - fy) + bottom * fy
    }
}
