// Photometric augmentations on interleaved RGB Float buffers in [0, 1], following torchvision's tensor
// semantics (`adjust_brightness/contrast/saturation/hue`, `rgb_to_grayscale`, `gaussian_blur`):
// - brightness: x·b; contrast: c·x + (1 − c)·mean(gray(image)); saturation: s·x + (1 − s)·gray(x); all clamped;
// - hue: rotate H in HSV by h ∈ [−0.5, 0.5] turns;
// - gray: 0.2989 R + 0.587 G + 0.114 B replicated to three channels;
// - blur: separable Gaussian with radius ⌈3σ⌉ and reflected borders.

import Foundation
import KilnKernels

/// ColorJitter strengths (torchvision `ColorJitter(brightness, contrast, saturation, hue)`).
public struct ColorJitter: Equatable, Sendable {
    public var brightness: Float
    public var contrast: Float
    public var saturation: Float
    public var hue: Float

    public init(brightness: Float, contrast: Float, saturation: Float, hue: Float) {
        self.brightness = brightness
        self.contrast = contrast
        self.saturation = saturation
        self.hue = hue
    }

    /// MoCo v2 "aug+": 0.4 / 0.4 / 0.4 / 0.1.
    public static let mocoV2 = ColorJitter(brightness: 0.4, contrast: 0.4, saturation: 0.4, hue: 0.1)

    /// One draw of jitter factors, applied in `order` (a permutation of 0 brightness, 1 contrast,
    /// 2 saturation, 3 hue), as torchvision draws them: order first, then the four factors.
    public struct Draw: Equatable, Sendable {
        public var order: [Int]
        public var brightness: Float
        public var contrast: Float
        public var saturation: Float
        public var hue: Float

        public init(order: [Int], brightness: Float, contrast: Float, saturation: Float, hue: Float) {
            self.order = order
            self.brightness = brightness
            self.contrast = contrast
            self.saturation = saturation
            self.hue = hue
        }
    }

    public func sample(_ rng: inout RandomStream) -> Draw {
        var order = [0, 1, 2, 3]
        rng.shuffle(&order)
        func factor(_ strength: Float) -> Float { rng.uniformFloat(max(0, 1 - strength), 1 + strength) }
        let b = factor(brightness), c = factor(contrast), s = factor(saturation)
        let h = rng.uniformFloat(-hue, hue)
        return Draw(order: order, brightness: b, contrast: c, saturation: s, hue: h)
    }
}

/// Kernels over `pixels` interleaved RGB floats.
// pixels: (count, 3) in [0, 1]
public enum Photometric {
    @inline(__always) static func luma(_ r: Float, _ g: Float, _ b: Float) -> Float { 0.2989 * r + 0.587 * g + 0.114 * b }
    @inline(__always) static func clamp01(_ x: Float) -> Float { min(max(x, 0), 1) }

    public static func apply(_ draw: ColorJitter.Draw, _ pixels: UnsafeMutablePointer<Float>, count: Int) {
        for op in draw.order {
            switch op {
            case 0: brightness(draw.brightness, pixels, count: count)
            case 1: contrast(draw.contrast, pixels, count: count)
            case 2: saturation(draw.saturation, pixels, count: count)
            default: hue(draw.hue, pixels, count: count)
            }
        }
    }

    public static func brightness(_ factor: Float, _ pixels: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<(3 * count) { pixels[i] = clamp01(pixels[i] * factor) }
    }

    public static func contrast(_ factor: Float, _ pixels: UnsafeMutablePointer<Float>, count: Int) {
        var sum: Double = 0
        for p in 0..<count { sum += Double(luma(pixels[3 * p], pixels[3 * p + 1], pixels[3 * p + 2])) }
        let offset = (1 - factor) * Float(sum / Double(max(count, 1)))
        for i in 0..<(3 * count) { pixels[i] = clamp01(pixels[i] * factor + offset) }
    }

    public static func saturation(_ factor: Float, _ pixels: UnsafeMutablePointer<Float>, count: Int) {
        for p in 0..<count {
            let i = 3 * p
            let gray = (1 - factor) * luma(pixels[i], pixels[i + 1], pixels[i + 2])
            pixels[i] = clamp01(pixels[i] * factor + gray)
            pixels[i + 1] = clamp01(pixels[i + 1] * factor + gray)
            pixels[i + 2] = clamp01(pixels[i + 2] * factor + gray)
        }
    }

    /// Shifts hue by `shift` turns (−0.5...0.5) through HSV.
    public static func hue(_ shift: Float, _ pixels: UnsafeMutablePointer<Float>, count: Int) {
        guard shift != 0 else { return }
        for p in 0..<count {
            let i = 3 * p
            let r = pixels[i], g = pixels[i + 1], b = pixels[i + 2]
            let maxc = max(r, g, b), minc = min(r, g, b)
            let delta = maxc - minc
            guard delta > 0 else { continue }  // gray pixels have no hue
            let saturation = delta / maxc
            var h: Float
            if maxc == r { h = (g - b) / delta } else if maxc == g { h = 2 + (b - r) / delta } else { h = 4 + (r - g) / delta }
            h = h / 6 + shift
            h -= h.rounded(.down)  // wrap into [0, 1)
            let sector = h * 6
            let index = min(Int(sector), 5)
            let f = sector - Float(index)
            let v = maxc
            let pv = v * (1 - saturation), q = v * (1 - saturation * f), t = v * (1 - saturation * (1 - f))
            switch index {
            case 0: pixels[i] = v; pixels[i + 1] = t; pixels[i + 2] = pv
            case 1: pixels[i] = q; pixels[i + 1] = v; pixels[i + 2] = pv
            case 2: pixels[i] = pv; pixels[i + 1] = v; pixels[i + 2] = t
            case 3: pixels[i] = pv; pixels[i + 1] = q; pixels[i + 2] = v
            case 4: pixels[i] = t; pixels[i + 1] = pv; pixels[i + 2] = v
            default: pixels[i] = v; pixels[i + 1] = pv; pixels[i + 2] = q
            }
        }
    }

    public static func grayscale(_ pixels: UnsafeMutablePointer<Float>, count: Int) {
        for p in 0..<count {
            let i = 3 * p
            let gray = luma(pixels[i], pixels[i + 1], pixels[i + 2])
            pixels[i] = gray; pixels[i + 1] = gray; pixels[i + 2] = gray
        }
    }

    /// Radius of the Gaussian kernel used for `sigma` (3σ, at least 1).
    static func gaussianRadius(sigma: Float) -> Int { max(1, Int((3 * sigma).rounded(.up))) }

    /// Writes normalised Gaussian weights for offsets −radius...radius into `weights`.
    static func gaussianKernel(sigma: Float, radius: Int, into weights: UnsafeMutableBufferPointer<Float>) {
        var total: Float = 0
        for x in -radius...radius {
            let w = exp(-Float(x * x) / (2 * sigma * sigma))
            weights[x + radius] = w
            total += w
        }
        for i in 0...(2 * radius) { weights[i] /= total }
    }

    /// In-place separable Gaussian blur of a `width × height` RGB image; `temp` holds the same number of floats.
    // pixels, temp: (height, width, 3)
    public static func gaussianBlur(sigma: Float, _ pixels: UnsafeMutablePointer<Float>, width: Int, height: Int,
                                    temp: UnsafeMutablePointer<Float>) {
        guard width > 1 || height > 1 else { return }
        let radius = gaussianRadius(sigma: sigma)
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 2 * radius + 1) { k in
            gaussianKernel(sigma: sigma, radius: radius, into: k)
            // Horizontal: pixels → temp.
            for y in 0..<height {
                let row = pixels + y * width * 3, out = temp + y * width * 3
                for x in 0..<width {
                    var r: Float = 0, g: Float = 0, b: Float = 0
                    for t in -radius...radius {
                        let sx = reflect(x + t, width) * 3
                        let w = k[t + radius]
                        r += w * row[sx]; g += w * row[sx + 1]; b += w * row[sx + 2]
                    }
                    out[3 * x] = r; out[3 * x + 1] = g; out[3 * x + 2] = b
                }
            }
            // Vertical: temp → pixels, whole rows at a time.
            let rowFloats = width * 3
            for y in 0..<height {
                let out = pixels + y * rowFloats
                for i in 0..<rowFloats { out[i] = 0 }
                for t in -radius...radius {
                    let source = temp + reflect(y + t, height) * rowFloats
                    let w = k[t + radius]
                    for i in 0..<rowFloats { out[i] += w * source[i] }
                }
            }
        }
    }

    /// Reflect-101 border (…, 2, 1, | 0, 1, 2, …), iterated for kernels wider than the image.
    @inline(__always)
    static func reflect(_ i: Int, _ n: Int) -> Int {
        guard n > 1 else { return 0 }
        var j = i
        while j < 0 || j >= n { j = j < 0 ? -j : 2 * (n - 1) - j }
        return j
    }
}
