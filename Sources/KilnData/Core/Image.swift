// `Image`: the 8-bit interchange image of KilnData (decoders produce it, encoders and the drawing code consume it).
// Layout is HWC, row-major, channels interleaved: gray (1 channel) or RGB (3 channels).

/// An 8-bit image in HWC layout; `pixels[(y * width + x) * channels + c]`.
public struct Image: Equatable, Sendable {
    public var width: Int
    public var height: Int
    /// 1 (gray) or 3 (RGB).
    public var channels: Int
    public var pixels: [UInt8]

    /// Wraps existing pixels; `pixels.count` must equal `width * height * channels`.
    public init(width: Int, height: Int, channels: Int, pixels: [UInt8]) {
        precondition(width >= 0 && height >= 0 && (channels == 1 || channels == 3),
                     "Image: bad geometry \(width)x\(height)x\(channels)")
        precondition(pixels.count == width * height * channels,
                     "Image: \(pixels.count) bytes for \(width)x\(height)x\(channels)")
        self.width = width
        self.height = height
        self.channels = channels
        self.pixels = pixels
    }

    /// An image filled with one value per channel (`fill.count == channels`).
    public init(width: Int, height: Int, channels: Int = 3, fill: [UInt8] = [0, 0, 0]) {
        let value = fill.count == channels ? fill : [UInt8](repeating: fill.first ?? 0, count: channels)
        var pixels = [UInt8](repeating: 0, count: width * height * channels)
        if value.contains(where: { $0 != 0 }) {
            for i in 0..<(width * height) {
                for c in 0..<channels { pixels[i * channels + c] = value[c] }
            }
        }
        self.init(width: width, height: height, channels: channels, pixels: pixels)
    }

    /// The value of channel `c` at (x, y).
    @inline(__always)
    public subscript(x: Int, y: Int, c: Int) -> UInt8 {
        get { pixels[(y * width + x) * channels + c] }
        set { pixels[(y * width + x) * channels + c] = newValue }
    }

    /// RGB version (gray is replicated into three channels).
    public func toRGB() -> Image {
        if channels == 3 { return self }
        var out = [UInt8](repeating: 0, count: width * height * 3)
        for i in 0..<(width * height) {
            let v = pixels[i]
            out[3 * i] = v; out[3 * i + 1] = v; out[3 * i + 2] = v
        }
        return Image(width: width, height: height, channels: 3, pixels: out)
    }

    /// Gray version using ITU-R 601 luma (0.299 R + 0.587 G + 0.114 B), as PIL's `convert("L")`.
    public func toGray() -> Image {
        if channels == 1 { return self }
        var out = [UInt8](repeating: 0, count: width * height)
        for i in 0..<(width * height) {
            let r = Int(pixels[3 * i]), g = Int(pixels[3 * i + 1]), b = Int(pixels[3 * i + 2])
            out[i] = UInt8((r * 19595 + g * 38470 + b * 7471 + 32768) >> 16)
        }
        return Image(width: width, height: height, channels: 1, pixels: out)
    }

    /// The sub-image with top-left corner (x, y); the rectangle must lie inside the image.
    public func cropped(x: Int, y: Int, width w: Int, height h: Int) -> Image {
        precondition(x >= 0 && y >= 0 && w >= 0 && h >= 0 && x + w <= width && y + h <= height,
                     "Image.cropped: rectangle outside the image")
        var out = [UInt8](repeating: 0, count: w * h * channels)
        let rowBytes = w * channels
        for row in 0..<h {
            let src = ((y + row) * width + x) * channels
            out[(row * rowBytes)..<((row + 1) * rowBytes)] = pixels[src..<(src + rowBytes)]
        }
        return Image(width: w, height: h, channels: channels, pixels: out)
    }

    /// The mirror image (left and right swapped).
    public func flippedHorizontally() -> Image {
        var out = pixels
        for y in 0..<height {
            for x in 0..<width {
                let src = (y * width + (width - 1 - x)) * channels
                let dst = (y * width + x) * channels
                for c in 0..<channels { out[dst + c] = pixels[src + c] }
            }
        }
        return Image(width: width, height: height, channels: channels, pixels: out)
    }
}
