// Codec tests on real files installed by Debian packages (labelme-examples JPEGs and label PNGs) and round trips.
// Reference pixel values for the JPEGs were produced independently with Pillow (libjpeg-turbo, accurate DCT).

import Foundation
import Testing
import KilnData

@Suite struct CodecTests {
    struct JPEGReference: Sendable {
        var file: String, width: Int, height: Int, sum: Int
        var topLeft: [UInt8], at100x200: [UInt8], bottomRight: [UInt8]
    }

    static let jpegs: [JPEGReference] = [
        .init(file: "2011_000003.jpg", width: 500, height: 338, sum: 46_380_993,
              topLeft: [13, 15, 12], at100x200: [16, 15, 20], bottomRight: [125, 126, 118]),
        .init(file: "2011_000025.jpg", width: 500, height: 375, sum: 57_047_160,
              topLeft: [192, 219, 246], at100x200: [242, 187, 9], bottomRight: [33, 33, 33]),
        .init(file: "2011_000006.jpg", width: 500, height: 375, sum: 33_615_985,
              topLeft: [21, 1, 3], at100x200: [82, 35, 5], bottomRight: [99, 73, 48]),
    ]

    @Test(arguments: jpegs)
    func decodesLabelmeJPEGLikePillow(_ ref: JPEGReference) throws {
        let url = TestData.cocoRoot.appendingPathComponent("JPEGImages/\(ref.file)")
        let image = try ImageIO.load(url)
        #expect(image.width == ref.width && image.height == ref.height && image.channels == 3)
        #expect(image.pixels.reduce(0) { $0 + Int($1) } == ref.sum)
        let px = { (x: Int, y: Int) in (0..<3).map { image[x, y, $0] } }
        #expect(px(0, 0) == ref.topLeft)
        #expect(px(100, 200) == ref.at100x200)
        #expect(px(ref.width - 1, ref.height - 1) == ref.bottomRight)
    }

    @Test(arguments: ["2011_000003", "2011_000006", "2011_000025"])
    func decodesPaletteLabelPNGExactly(_ name: String) throws {
        for kind in ["SegmentationClass", "SegmentationObject"] {
            let png = try ImageIO.load(TestData.vocRoot.appendingPathComponent("\(kind)PNG/\(name).png"))
            let labels = try readNpyInt32(TestData.vocRoot.appendingPathComponent("\(kind)/\(name).npy"))
            #expect(labels.shape == [png.height, png.width])
            var mismatches = 0
            for i in 0..<(png.width * png.height) {
                let label = labels.values[i] == -1 ? 255 : Int(labels.values[i])
                if Array(png.pixels[(3 * i)..<(3 * i + 3)]) != vocColor(label) { mismatches += 1 }
            }
            #expect(mismatches == 0, "\(kind)/\(name): \(mismatches) pixels differ from the label map")
        }
    }

    @Test func pngRoundTripIsExact() throws {
        var rng = SystemRandomNumberGenerator()
        for (w, h, c) in [(1, 1, 1), (17, 5, 3), (64, 33, 1), (3, 70, 3)] {
            let pixels = (0..<(w * h * c)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            let image = Image(width: w, height: h, channels: c, pixels: pixels)
            for fast in [false, true] {
                let decoded = try PNG.decode(data: try PNG.encode(image, fast: fast))
                #expect(decoded == image)
            }
        }
    }

    @Test func jpegRoundTripIsClose() throws {
        // A smooth gradient survives quality-95 JPEG with small error.
        var image = Image(width: 48, height: 40, channels: 3)
        for y in 0..<40 { for x in 0..<48 {
            image[x, y, 0] = UInt8(x * 5); image[x, y, 1] = UInt8(y * 6); image[x, y, 2] = 128
        } }
        let decoded = try JPEG.decode(data: try JPEG.encode(image, quality: 95))
        #expect(decoded.width == 48 && decoded.height == 40 && decoded.channels == 3)
        let meanError = zip(decoded.pixels, image.pixels).map { abs(Int($0) - Int($1)) }.reduce(0, +)
        #expect(Double(meanError) / Double(image.pixels.count) < 2.0)
        let gray = try JPEG.decode(data: try JPEG.encode(image.toGray(), quality: 95))
        #expect(gray.channels == 1)
    }

    @Test func colorModesConvert() throws {
        let url = TestData.cocoRoot.appendingPathComponent("JPEGImages/2011_000003.jpg")
        let gray = try ImageIO.load(url, mode: .gray)
        #expect(gray.channels == 1 && gray.width == 500)
        let rgb = try ImageIO.load(url)
        #expect(abs(Int(gray[0, 0, 0]) - Int(rgb.toGray()[0, 0, 0])) <= 1)
    }

    @Test func truncatedAndCorruptFilesNameTheFile() throws {
        let url = TestData.cocoRoot.appendingPathComponent("JPEGImages/2011_000003.jpg")
        let bytes = [UInt8](try Data(contentsOf: url))
        let error = #expect(throws: DataError.self) {
            try JPEG.decode(data: Array(bytes[0..<(bytes.count / 2)]), file: "half.jpg")
        }
        #expect(error?.description.hasPrefix("half.jpg: jpeg data:") == true)

        let png = try PNG.encode(Image(width: 20, height: 20, channels: 3, fill: [9, 8, 7]))
        let pngError = #expect(throws: DataError.self) {
            try PNG.decode(data: Array(png[0..<(png.count - 20)]), file: "cut.png")
        }
        #expect(pngError?.file == "cut.png")

        let unknown = #expect(throws: DataError.self) { try ImageIO.decode([1, 2, 3, 4], file: "x.bin") }
        #expect(unknown?.description.contains("x.bin") == true)

        let missing = #expect(throws: DataError.self) {
            try ImageIO.load(URL(fileURLWithPath: "/nonexistent/kiln.png"))
        }
        #expect(missing?.description == "/nonexistent/kiln.png: no such file")
    }

    @Test func gzipRoundTripAndTruncation() throws {
        let original = (0..<100_000).map { UInt8(truncatingIfNeeded: $0 * 7 / 3) }
        let packed = Gzip.compress(original)
        #expect(Gzip.isGzip(packed))
        #expect(try Gzip.decompress(packed) == original)
        #expect(try Gzip.decompress(packed + Gzip.compress([1, 2, 3])) == original + [1, 2, 3])
        let error = #expect(throws: DataError.self) {
            try Gzip.decompress(Array(packed[0..<(packed.count / 2)]), file: "t.gz")
        }
        #expect(error?.message.contains("truncated") == true)
    }
}
