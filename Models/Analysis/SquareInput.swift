// Square network inputs from images of any size, as the analysis tools feed them: the shorter side resized to
// `size` (antialiased bilinear, the resampler of the training crops), the central size × size square kept, then
// ImageNet-normalised as in training. Square images of exactly `size` pass through unresampled in effect (the
// filter maps pixel centres onto themselves).

import KilnData

public enum SquareInput {
    /// The network input (size, size, 3) for `image`.
    public static func prepare(_ image: Image, size: Int, normalization: Normalization = .imagenet,
                               scratch: TransformScratch = TransformScratch()) -> FloatImage {
        precondition(size > 0, "SquareInput.prepare: size must be positive")
        var transform = DetectionTransform(shortSide: size, maxSize: 1 << 30, flip: false, padMultiple: 1)
        transform.normalization = normalization
        let resized = transform.render(DetectionTransform.Draw(shortSide: size, flip: false),
                                       DetectionSample(image: image, boxes: [], labels: []), scratch: scratch)
        let w = resized.contentWidth, h = resized.contentHeight
        let x0 = max(0, (w - size) / 2), y0 = max(0, (h - size) / 2)
        var out = FloatImage(width: size, height: size)
        for y in 0..<min(size, h) {
            let source = ((y0 + y) * resized.image.width + x0) * 3
            let count = min(size, w) * 3
            out.data.replaceSubrange((y * size * 3)..<(y * size * 3 + count), with: resized.image.data[source..<(source + count)])
        }
        return out
    }

    /// The 8-bit picture of a normalised input (for overlays and grids).
    public static func display(_ input: FloatImage, normalization: Normalization = .imagenet) -> Image {
        var pixels = [UInt8](repeating: 0, count: input.width * input.height * 3)
        for i in 0..<(input.width * input.height) {
            for c in 0..<3 {
                let v = normalization.invert(input.data[3 * i + c], channel: c)
                pixels[3 * i + c] = UInt8((min(max(v, 0), 1) * 255).rounded())
            }
        }
        return Image(width: input.width, height: input.height, channels: 3, pixels: pixels)
    }
}
