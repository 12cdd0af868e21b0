// `Canvas`: an RGB8 drawing surface for the pictures the CLI shows users (detections, masks, attention maps,
// plots). Primitives clip to the canvas, so any coordinates are safe. Lines are Bresenham (or Xiaolin Wu's
// anti-aliased lines), text uses the built-in 5×7 font, masks and heat maps are alpha-blended.

import Foundation

/// An RGB drawing surface.
public struct Canvas: Equatable, Sendable {
    public private(set) var image: Image

    /// A canvas filled with `background`.
    public init(width: Int, height: Int, background: Color = .white) {
        image = Image(width: width, height: height, channels: 3, fill: [background.r, background.g, background.b])
    }

    /// A canvas showing `image` (gray is converted to RGB).
    public init(image: Image) { self.image = image.toRGB() }

    public var width: Int { image.width }
    public var height: Int { image.height }

    /// Colour at (x, y); the point must be inside the canvas.
    public subscript(x: Int, y: Int) -> Color {
        let i = (y * width + x) * 3
        return Color(image.pixels[i], image.pixels[i + 1], image.pixels[i + 2])
    }

    /// Sets (x, y), blended with `alpha` ∈ [0, 1]; points outside are ignored.
    public mutating func plot(_ x: Int, _ y: Int, _ color: Color, alpha: Float = 1) {
        guard x >= 0, y >= 0, x < width, y < height, alpha > 0 else { return }
        let i = (y * width + x) * 3
        if alpha >= 1 {
            image.pixels[i] = color.r; image.pixels[i + 1] = color.g; image.pixels[i + 2] = color.b
        } else {
            let blended = Color(image.pixels[i], image.pixels[i + 1], image.pixels[i + 2]).mixed(with: color, alpha)
            image.pixels[i] = blended.r; image.pixels[i + 1] = blended.g; image.pixels[i + 2] = blended.b
        }
    }

    public mutating func fill(_ color: Color) { fillRect(x: 0, y: 0, width: width, height: height, color) }

    /// Fills the pixels x..<x+width, y..<y+height.
    public mutating func fillRect(x: Int, y: Int, width w: Int, height h: Int, _ color: Color, alpha: Float = 1) {
        for yy in max(y, 0)..<max(min(y + h, height), max(y, 0)) {
            for xx in max(x, 0)..<max(min(x + w, width), max(x, 0)) { plot(xx, yy, color, alpha: alpha) }
        }
    }

    /// Outlines a box (pixel-edge coordinates, as detection boxes) with lines `thickness` pixels wide, inside it.
    public mutating func strokeRect(_ box: Box, _ color: Color, thickness: Int = 1) {
        // Clamp before converting: boxes may come from untrusted files with absurd coordinates.
        let limit = Double(4 * (width + height) + 8)
        func pixel(_ v: Double) -> Int { v.isFinite ? Int(min(max(v, -limit), limit).rounded()) : 0 }
        let x0 = pixel(box.x0), y0 = pixel(box.y0)
        let x1 = pixel(box.x1) - 1, y1 = pixel(box.y1) - 1
        guard x1 >= x0, y1 >= y0 else { return }
        for t in 0..<max(thickness, 1) {
            line(x0, y0 + t, x1, y0 + t, color)
            line(x0, y1 - t, x1, y1 - t, color)
            line(x0 + t, y0, x0 + t, y1, color)
            line(x1 - t, y0, x1 - t, y1, color)
        }
    }

    /// A 1-pixel line between pixel centres (Bresenham), clipped to the canvas first so far-away endpoints
    /// cost nothing.
    public mutating func line(_ x0: Int, _ y0: Int, _ x1: Int, _ y1: Int, _ color: Color) {
        guard let (start, end) = clip(SIMD2(Double(x0), Double(y0)), SIMD2(Double(x1), Double(y1))) else { return }
        var x = start.x, y = start.y
        let dx = abs(end.x - x), dy = -abs(end.y - y)
        let sx = x < end.x ? 1 : -1, sy = y < end.y ? 1 : -1
        var error = dx + dy
        while true {
            plot(x, y, color)
            if x == end.x && y == end.y { break }
            let e2 = 2 * error
            if e2 >= dy { error += dy; x += sx }
            if e2 <= dx { error += dx; y += sy }
        }
    }

    /// Liang–Barsky clipping of a segment to the canvas (one pixel of margin), rounded to pixels.
    private func clip(_ a: SIMD2<Double>, _ b: SIMD2<Double>) -> (SIMD2<Int>, SIMD2<Int>)? {
        let d = b - a
        var t0 = 0.0, t1 = 1.0
        let edges: [(Double, Double)] = [(-d.x, a.x + 1), (d.x, Double(width) - a.x), (-d.y, a.y + 1), (d.y, Double(height) - a.y)]
        for (p, q) in edges {
            if p == 0 {
                if q < 0 { return nil }
            } else {
                let t = q / p
                if p < 0 { t0 = max(t0, t) } else { t1 = min(t1, t) }
            }
        }
        guard t0 <= t1 else { return nil }
        let start = a + t0 * d, end = a + t1 * d
        return (SIMD2(Int(start.x.rounded()), Int(start.y.rounded())), SIMD2(Int(end.x.rounded()), Int(end.y.rounded())))
    }

    /// An anti-aliased 1-pixel line (Xiaolin Wu) between real-valued points (pixel centres at integers).
    public mutating func smoothLine(_ p0: SIMD2<Double>, _ p1: SIMD2<Double>, _ color: Color) {
        var a = p0, b = p1
        guard a.x.isFinite, a.y.isFinite, b.x.isFinite, b.y.isFinite else { return }
        let steep = abs(b.y - a.y) > abs(b.x - a.x)
        if steep { a = SIMD2(a.y, a.x); b = SIMD2(b.y, b.x) }
        if a.x > b.x { swap(&a, &b) }
        let dx = b.x - a.x
        let gradient = dx == 0 ? 0 : (b.y - a.y) / dx
        let limit = Double(4 * (width + height) + 8)
        let start = Int(max(a.x, -limit).rounded()), end = Int(min(b.x, limit).rounded())
        guard start <= end else { return }
        for x in start...end {
            let y = a.y + gradient * (Double(x) - a.x)
            let yFloor = y.rounded(.down)
            let fraction = Float(y - yFloor)
            let yi = Int(max(min(yFloor, limit), -limit))
            if steep {
                plot(yi, x, color, alpha: 1 - fraction); plot(yi + 1, x, color, alpha: fraction)
            } else {
                plot(x, yi, color, alpha: 1 - fraction); plot(x, yi + 1, color, alpha: fraction)
            }
        }
    }

    /// Blends `color` over the pixels where the mask is set (mask must be canvas-sized).
    public mutating func blend(mask: BinaryMask, _ color: Color, alpha: Float = 0.5) {
        precondition(mask.width == width && mask.height == height, "Canvas.blend: mask size differs from the canvas")
        for y in 0..<height { for x in 0..<width where mask[x, y] { plot(x, y, color, alpha: alpha) } }
    }

    /// Blends a heat map (`values` row-major, canvas-sized, already in [0, 1]) through a colormap.
    public mutating func blend(heatmap values: [Float], colormap: Colormap = .jet, alpha: Float = 0.5) {
        precondition(values.count == width * height, "Canvas.blend: heat map size differs from the canvas")
        for y in 0..<height { for x in 0..<width { plot(x, y, colormap.color(values[y * width + x]), alpha: alpha) } }
    }

    /// Draws `text` with its top-left corner at (x, y); each font pixel becomes `scale × scale` pixels.
    public mutating func text(_ text: String, x: Int, y: Int, _ color: Color, scale: Int = 1) {
        let s = max(scale, 1)
        var cursorX = x, cursorY = y
        for character in text {
            if character == "\n" { cursorX = x; cursorY += BitmapFont.lineHeight * s; continue }
            for (row, bits) in BitmapFont.rows(character).enumerated() {
                for column in 0..<BitmapFont.glyphWidth where bits & (0x10 >> UInt8(column)) != 0 {
                    fillRect(x: cursorX + column * s, y: cursorY + row * s, width: s, height: s, color)
                }
            }
            cursorX += BitmapFont.advance * s
        }
    }

    /// Pastes `other` with its top-left corner at (x, y), clipped.
    public mutating func paste(_ other: Image, x: Int, y: Int) {
        let source = other.toRGB()
        for yy in 0..<source.height {
            for xx in 0..<source.width {
                plot(x + xx, y + yy, Color(source[xx, yy, 0], source[xx, yy, 1], source[xx, yy, 2]))
            }
        }
    }

    public func pngData() throws -> [UInt8] { try PNG.encode(image) }

    public func save(to url: URL) throws { try ImageIO.save(image, to: url) }
}
