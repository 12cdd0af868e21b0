// Pictures of detections (`zoo detect`): the image enlarged by an integer factor so labels stay readable, each
// detection's mask blended in its class colour, its box outlined, and "name 0.87" written on a filled tag
// above the box (inside it when the box touches the top edge).

import Foundation
import KilnData

public enum DetectionDrawing {
    /// The image with `detections` (image coordinates) drawn on it, enlarged so the longer side is at least
    /// `minimumSide` pixels; labels come from `classNames` (or "class k").
    public static func draw(_ image: Image, _ detections: [ImageDetection], classNames: [String],
                            minimumSide: Int = 384) -> Canvas {
        var base = Canvas(image: image)
        for d in detections { if let mask = d.mask, mask.width == image.width, mask.height == image.height {
            base.blend(mask: mask, Color.palette(d.label), alpha: 0.45)
        } }
        let factor = max(1, minimumSide / max(max(image.width, image.height), 1))
        var canvas = factor == 1 ? base : Canvas(image: enlarged(base.image, by: factor))
        let scale = Double(factor)
        for d in detections.reversed() {   // best last, so it is on top
            let color = Color.palette(d.label)
            let box = Box(x0: d.box.x0 * scale, y0: d.box.y0 * scale, x1: d.box.x1 * scale, y1: d.box.y1 * scale)
            canvas.strokeRect(box, color, thickness: 2)
            let name = d.label < classNames.count ? classNames[d.label] : "class \(d.label)"
            let label = "\(name) \(String(format: "%.2f", d.score))"
            let size = BitmapFont.size(of: label)
            let x = Int(box.x0.rounded()), tagHeight = size.height + 2
            let y = box.y0 >= Double(tagHeight) ? Int(box.y0.rounded()) - tagHeight : Int(box.y0.rounded())
            canvas.fillRect(x: x, y: y, width: size.width + 2, height: tagHeight, color)
            canvas.text(label, x: x + 1, y: y + 1, .white)
        }
        return canvas
    }

    /// Nearest-neighbour enlargement by an integer factor.
    static func enlarged(_ image: Image, by factor: Int) -> Image {
        let source = image.toRGB()
        let w = source.width * factor, h = source.height * factor
        var pixels = [UInt8](repeating: 0, count: w * h * 3)
        for y in 0..<h {
            for x in 0..<w {
                let s = ((y / factor) * source.width + x / factor) * 3, t = (y * w + x) * 3
                pixels[t] = source.pixels[s]; pixels[t + 1] = source.pixels[s + 1]; pixels[t + 2] = source.pixels[s + 2]
            }
        }
        return Image(width: w, height: h, channels: 3, pixels: pixels)
    }
}
