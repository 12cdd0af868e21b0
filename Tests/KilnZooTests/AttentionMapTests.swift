// Attention maps: min–max normalisation on known values, and the whole path on a random ResNet-18 — the map has
// the input's size, lies in [0, 1] and spans it, equals a host-side bilinear upsampling (PyTorch
// align_corners=False) of the normalised Res5 channel mean, and the overlay PNG is written at the expected size.

import Foundation
import Kiln
import KilnData
import KilnZoo
import Testing

@Suite("Attention maps")
struct AttentionMapTests {
    @Test("min–max normalisation uses the low-resolution range; a constant map is all zeros")
    func normalization() {
        #expect(AttentionMap.normalized(lowRes: [2, 4, 6], upsampled: [2, 3, 6, 5]) == [0, 0.25, 1, 0.75])
        #expect(AttentionMap.normalized(lowRes: [3, 3], upsampled: [3, 3, 3]) == [0, 0, 0])
    }

    /// Bilinear resize of a (h, w) map to (size, size) with half-pixel centres, clamped at the borders.
    static func bilinear(_ x: [Float], h: Int, w: Int, size: Int) -> [Float] {
        func taps(_ input: Int, _ o: Int) -> (Int, Int, Float) {
            let src = max((Double(o) + 0.5) * Double(input) / Double(size) - 0.5, 0)
            let i0 = min(Int(src), input - 1), i1 = min(i0 + 1, input - 1)
            return (i0, i1, Float(src - Double(i0)))
        }
        var out = [Float](repeating: 0, count: size * size)
        for i in 0..<size {
            let (r0, r1, a) = taps(h, i)
            for j in 0..<size {
                let (c0, c1, b) = taps(w, j)
                let top = x[r0 * w + c0] * (1 - b) + x[r0 * w + c1] * b
                let bottom = x[r1 * w + c0] * (1 - b) + x[r1 * w + c1] * b
                out[i * size + j] = top * (1 - a) + bottom * a
            }
        }
        return out
    }

    static func testPicture(width: Int, height: Int) -> Image {
        var image = Image(width: width, height: height, channels: 3)
        for y in 0..<height {
            for x in 0..<width {
                image[x, y, 0] = UInt8((x * 255) / max(width - 1, 1))
                image[x, y, 1] = (x / 8 + y / 8) % 2 == 0 ? 220 : 30
                image[x, y, 2] = UInt8((y * 255) / max(height - 1, 1))
            }
        }
        return image
    }

    @Test("the map of a random ResNet-18 has the input size, spans [0, 1] and matches a host bilinear upsampling",
          arguments: [64, 96])
    func pipeline(size: Int) throws {
        let model = ResNet(.resnet18, classes: nil)
        try model.initialize(seed: 5)
        let mapper = try AttentionMapper(backbone: model, size: size)
        let (map, picture) = try mapper.map(image: Self.testPicture(width: 130, height: 90))
        #expect(picture.width == size && picture.height == size)
        #expect(map.width == size && map.height == size && map.values.count == size * size)
        #expect(map.lowResWidth == size / 32 && map.lowResHeight == size / 32)
        #expect(map.values.allSatisfy { $0 >= 0 && $0 <= 1 })
        // Both ends are reached near the extreme Res5 cells (exactly at the image corners' clamped taps).
        #expect((map.values.max() ?? 0) > 0.9 && (map.values.min() ?? 1) < 0.1)

        let lo = map.lowRes.min()!, hi = map.lowRes.max()!
        #expect(hi > lo)
        let expected = Self.bilinear(map.lowRes.map { ($0 - lo) / (hi - lo) }, h: map.lowResHeight, w: map.lowResWidth, size: size)
        let worst = zip(expected, map.values).map { Swift.abs($0 - $1) }.max() ?? 1
        #expect(worst < 1e-4)

        let canvas = try AttentionMapper.overlay(picture, map, gap: 8)
        #expect(canvas.width == 2 * size + 8 && canvas.height == size)
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("kiln-attention-\(ProcessInfo.processInfo.processIdentifier)-\(size).png")
        defer { try? FileManager.default.removeItem(at: file) }
        try canvas.save(to: file)
        let decoded = try ImageIO.load(file)
        #expect(decoded.width == 2 * size + 8 && decoded.height == size)
        // The left half is the picture itself; the right half differs where the map is blended in.
        #expect(canvas[3, 5] == Color(picture[3, 5, 0], picture[3, 5, 1], picture[3, 5, 2]))
        #expect(canvas[size + 8 + 3, 5] != canvas[3, 5])
    }

    @Test("a wrongly sized input is an error")
    func wrongSize() throws {
        let model = ResNet(.resnet18, classes: nil)
        try model.initialize(seed: 0)
        let mapper = try AttentionMapper(backbone: model, size: 64)
        #expect(throws: AnalysisError.self) { try mapper.map(FloatImage(width: 32, height: 32)) }
        #expect(throws: AnalysisError.self) { try AttentionMapper(backbone: model, size: 16) }
    }
}
