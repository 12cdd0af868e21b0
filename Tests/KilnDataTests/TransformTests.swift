// Transform tests: RandomResizedCrop statistics, resampling against a naive 2-D reference, photometric ops,
// golden draws for fixed seeds, the DetCo jigsaw geometry, and box/mask consistency of detection transforms.

import Foundation
import Testing
import KilnData
import KilnKernels

/// Naive reference: each output pixel evaluates the 2-D triangle filter directly (no tables, no separation).
private func naiveCropResize(_ image: Image, crop: CropBox, outWidth: Int, outHeight: Int, flip: Bool) -> [Float] {
    func axisWeights(start: Double, length: Double, size: Int, out: Int, index: Int) -> [(Int, Double)] {
        let scale = length / Double(out), filter = max(scale, 1)
        let center = start + (Double(index) + 0.5) * scale
        let lo = max(Int(start.rounded(.down)), Int((center - filter + 0.5).rounded(.down)))
        let hi = min(min(size, Int((start + length).rounded(.up))), Int((center + filter + 0.5).rounded(.down)))
        var pairs = (lo..<max(hi, lo)).map { ($0, max(0, 1 - abs((Double($0) + 0.5 - center) / filter))) }
        let total = pairs.reduce(0) { $0 + $1.1 }
        pairs = pairs.map { ($0.0, $0.1 / total) }
        return pairs
    }
    var out = [Float](repeating: 0, count: outWidth * outHeight * 3)
    for oy in 0..<outHeight {
        let wy = axisWeights(start: crop.y, length: crop.height, size: image.height, out: outHeight, index: oy)
        for ox in 0..<outWidth {
            let wx = axisWeights(start: crop.x, length: crop.width, size: image.width, out: outWidth,
                                 index: flip ? outWidth - 1 - ox : ox)
            for c in 0..<3 {
                var acc = 0.0
                for (y, a) in wy { for (x, b) in wx { acc += a * b * Double(image[x, y, image.channels == 3 ? c : 0]) } }
                out[(oy * outWidth + ox) * 3 + c] = Float(acc / 255)
            }
        }
    }
    return out
}

private func noiseImage(width: Int, height: Int, channels: Int = 3, seed: UInt64 = 1) -> Image {
    var rng = RandomStream(seed: seed)
    return Image(width: width, height: height, channels: channels,
                 pixels: (0..<(width * height * channels)).map { _ in UInt8(truncatingIfNeeded: rng.next()) })
}

/// A view transform with every random photometric op switched off and no normalisation.
private func plainMoCo(size: Int) -> MoCoAugment {
    var augment = MoCoAugment(size: size)
    augment.photometric.jitterProbability = 0
    augment.photometric.grayscaleProbability = 0
    augment.photometric.blurProbability = 0
    augment.normalization = .identity
    return augment
}

@Suite struct ResampleTests {
    @Test(arguments: [(31, 17, 31, 17), (50, 37, 23, 11), (13, 9, 40, 29), (97, 61, 64, 64)])
    func matchesNaiveReference(_ sw: Int, _ sh: Int, _ ow: Int, _ oh: Int) throws {
        for channels in [1, 3] {
            let image = noiseImage(width: sw, height: sh, channels: channels, seed: UInt64(sw * 100 + channels))
            for (crop, flip) in [(CropBox(x: 0, y: 0, width: Double(sw), height: Double(sh)), false),
                                 (CropBox(x: 3, y: 2, width: Double(sw - 7), height: Double(sh - 4)), true)] {
                let expected = naiveCropResize(image, crop: crop, outWidth: ow, outHeight: oh, flip: flip)
                var augment = plainMoCo(size: ow)
                augment.size = ow
                var rendered = [Float](repeating: -1, count: ow * oh * 3)
                let draw = MoCoAugment.Draw(crop: crop, photometric: .init(jitter: nil, grayscale: false, blurSigma: nil, flip: flip))
                if ow == oh {
                    rendered.withUnsafeMutableBufferPointer { augment.render(draw, from: image, into: $0.baseAddress!, scratch: TransformScratch()) }
                    let worst = zip(rendered, expected).map { abs($0 - $1) }.max() ?? 1
                    #expect(worst < 1e-5, "\(sw)x\(sh)->\(ow)x\(oh) c\(channels) flip \(flip): \(worst)")
                } else {
                    // Non-square outputs go through the detection transform (same resampler, full-image crop).
                    guard !flip else { continue }
                    let transform = DetectionTransform(shortSide: min(ow, oh), maxSize: 10_000, flip: false, padMultiple: 1)
                    var t = transform
                    t.normalization = .identity
                    let input = t.render(.init(shortSide: min(ow, oh), flip: false), DetectionSample(image: image, boxes: [], labels: []))
                    let full = naiveCropResize(image, crop: crop, outWidth: input.contentWidth, outHeight: input.contentHeight, flip: false)
                    let worst = zip(input.image.data, full).map { abs($0 - $1) }.max() ?? 1
                    #expect(worst < 1e-5)
                }
            }
        }
    }

    @Test func identityResizeIsExact() {
        let image = noiseImage(width: 19, height: 19)
        var rng = RandomStream(seed: 3)
        var augment = plainMoCo(size: 19)
        augment.crop = RandomResizedCrop(scale: 1...1, ratio: 1...1)
        augment.photometric.flipProbability = 0
        let view = augment.apply(image, rng: &rng)
        #expect(zip(view.data, image.pixels).allSatisfy { abs($0 - Float($1) / 255) < 1e-6 })
    }
}

@Suite struct CropAndPhotometricTests {
    @Test func randomResizedCropStaysInRange() {
        var rng = RandomStream(seed: 11)
        let crop = RandomResizedCrop(scale: 0.2...1.0)
        for _ in 0..<2000 {
            let box = crop.sample(width: 500, height: 375, rng: &rng)
            #expect(box.x >= 0 && box.y >= 0 && box.x + box.width <= 500 && box.y + box.height <= 375)
            let fraction = box.width * box.height / (500 * 375)
            #expect(fraction > 0.19 && fraction < 1.01)
            #expect(box.width / box.height > 0.74 && box.width / box.height < 1.34)
        }
        // An extreme aspect ratio falls back to the central crop clamped to 4:3.
        let fallback = crop.sample(width: 1000, height: 10, rng: &rng)
        #expect(fallback == CropBox(x: Double((1000 - 13) / 2), y: 0, width: 13, height: 10))
    }

    @Test func photometricOpsFollowTorchvisionFormulas() {
        var pixels: [Float] = [0.2, 0.4, 0.6, 1.0, 0.0, 0.0]
        pixels.withUnsafeMutableBufferPointer { p in Photometric.brightness(1.5, p.baseAddress!, count: 2) }
        #expect(zip(pixels, [0.3, 0.6, 0.9, 1.0, 0.0, 0.0]).allSatisfy { abs($0 - $1) < 1e-6 })

        var c: [Float] = [0.2, 0.2, 0.2, 0.6, 0.6, 0.6]
        c.withUnsafeMutableBufferPointer { p in Photometric.contrast(0.5, p.baseAddress!, count: 2) }
        #expect(zip(c, [0.3, 0.3, 0.3, 0.5, 0.5, 0.5]).allSatisfy { abs($0 - $1) < 1e-4 })

        var s: [Float] = [1, 0, 0]
        s.withUnsafeMutableBufferPointer { p in Photometric.saturation(0, p.baseAddress!, count: 1) }
        #expect(s.allSatisfy { abs($0 - 0.2989) < 1e-6 })

        var red: [Float] = [1, 0, 0, 0.5, 0.5, 0.5]
        red.withUnsafeMutableBufferPointer { p in Photometric.hue(1.0 / 3, p.baseAddress!, count: 2) }
        #expect(zip(red, [0, 1, 0, 0.5, 0.5, 0.5]).allSatisfy { abs($0 - $1) < 1e-5 })

        var rng = RandomStream(seed: 5)
        let original = (0..<300).map { _ in rng.uniformFloat() }
        var shifted = original
        shifted.withUnsafeMutableBufferPointer { p in
            Photometric.hue(0.137, p.baseAddress!, count: 100)
            Photometric.hue(-0.137, p.baseAddress!, count: 100)
        }
        #expect(zip(shifted, original).allSatisfy { abs($0 - $1) < 1e-4 })
    }

    @Test func blurPreservesConstantsAndIsSymmetric() {
        var flat = [Float](repeating: 0.25, count: 9 * 7 * 3)
        var temp = flat
        flat.withUnsafeMutableBufferPointer { p in
            temp.withUnsafeMutableBufferPointer { t in Photometric.gaussianBlur(sigma: 1.5, p.baseAddress!, width: 9, height: 7, temp: t.baseAddress!) }
        }
        #expect(flat.allSatisfy { abs($0 - 0.25) < 1e-6 })

        var impulse = [Float](repeating: 0, count: 21 * 21 * 3)
        impulse[(10 * 21 + 10) * 3] = 1
        var scratch = impulse
        impulse.withUnsafeMutableBufferPointer { p in
            scratch.withUnsafeMutableBufferPointer { t in Photometric.gaussianBlur(sigma: 2, p.baseAddress!, width: 21, height: 21, temp: t.baseAddress!) }
        }
        let at = { (x: Int, y: Int) in impulse[(y * 21 + x) * 3] }
        #expect(abs(at(8, 10) - at(12, 10)) < 1e-7 && abs(at(10, 7) - at(7, 10)) < 1e-7)
        #expect(abs((0..<(21 * 21)).reduce(Float(0)) { $0 + impulse[$1 * 3] } - 1) < 1e-4)
        #expect(at(10, 10) > at(11, 10) && at(11, 10) > at(13, 10))
    }
}

@Suite struct GoldenTransformTests {
    @Test func mocoDrawForFixedSeed() throws {
        var rng = RandomStream(seed: 2024, stream: 7)
        let augment = MoCoAugment(size: 224)
        let draw = augment.sample(width: 500, height: 375, rng: &rng)
        // Golden values: these pin the draw order and the RNG; a change here changes every training run.
        #expect(draw.crop == CropBox(x: 10, y: 27, width: 259, height: 343))
        let jitter = try #require(draw.photometric.jitter)
        #expect(jitter.order == [2, 0, 3, 1])
        #expect(abs(jitter.brightness - 1.3651795) < 1e-6 && abs(jitter.contrast - 0.6123266) < 1e-6)
        #expect(abs(jitter.saturation - 0.6190123) < 1e-6 && abs(jitter.hue - -0.03435622) < 1e-6)
        #expect(draw.photometric.grayscale == false)
        #expect(abs((draw.photometric.blurSigma ?? 0) - 0.57747936) < 1e-6)
        #expect(draw.photometric.flip == true)
    }

    @Test func detcoLocalDrawForFixedSeed() {
        var rng = RandomStream(seed: 2024, stream: 8)
        let draw = DetCoLocalView(size: 224).sample(width: 500, height: 375, rng: &rng)
        #expect(draw.crop == CropBox(x: 0, y: 17, width: 352, height: 346))
        #expect(draw.order == [1, 7, 8, 0, 2, 5, 3, 6, 4])
        #expect(draw.offsets.map { [$0.x, $0.y] } == [[18, 7], [3, 19], [1, 16], [7, 17], [2, 21], [19, 15], [16, 12], [8, 5], [13, 2]])
        #expect(draw.photometric.jitter?.order == [1, 0, 3, 2] && abs((draw.photometric.jitter?.contrast ?? 0) - 1.3493192) < 1e-6)
        #expect(!draw.photometric.grayscale && draw.photometric.blurSigma == nil && draw.photometric.flip)
    }

    @Test func detectionDrawForFixedSeed() {
        var rng = RandomStream(seed: 2024, stream: 9)
        let transform = DetectionTransform(shortSides: [640, 672, 704, 736, 768, 800], maxSize: 1333, flip: true)
        let draws = (0..<6).map { _ in transform.sample(&rng) }
        #expect(draws.map { [$0.shortSide, $0.flip ? 1 : 0] } == [[736, 1], [672, 0], [640, 0], [640, 0], [736, 0], [736, 1]])
    }

    @Test func mocoViewChecksum() throws {
        let image = try ImageIO.load(TestData.cocoRoot.appendingPathComponent("JPEGImages/2011_000025.jpg"))
        var rng = RandomStream(seed: 99)
        let view = MoCoAugment(size: 64).apply(image, rng: &rng)
        let mean = view.data.reduce(0, +) / Float(view.data.count)
        #expect(abs(mean - 0.3015751) < 1e-3, "mean \(mean)")
        #expect(abs(view[10, 20, 1] - -1.4261205) < 2e-3 && abs(view[63, 0, 2] - -0.25689876) < 2e-3)
    }
}

@Suite struct DetCoLocalViewTests {
    @Test func sizesScaleWithTheInput() {
        let full = DetCoLocalView(size: 224)
        #expect(full.cropSize == 255 && full.cellSize == 85 && full.patchSize == 64)
        let small = DetCoLocalView(size: 96)
        #expect(small.cropSize == 108 && small.cellSize == 36 && small.patchSize == 27)
    }

    @Test func patchesAreShuffledCropsInsideTheirCells() throws {
        // A 30×30 source whose red/green channels encode x/y; the crop covers it exactly (scale 1, ratio 1).
        var image = Image(width: 30, height: 30, channels: 3)
        for y in 0..<30 { for x in 0..<30 { image[x, y, 0] = UInt8(x * 8); image[x, y, 1] = UInt8(y * 8) } }
        var view = DetCoLocalView(cellSize: 10, patchSize: 6)
        view.crop = RandomResizedCrop(scale: 1...1, ratio: 1...1)
        view.photometric.jitterProbability = 0; view.photometric.grayscaleProbability = 0
        view.photometric.blurProbability = 0; view.photometric.flipProbability = 0
        view.normalization = .identity
        var rng = RandomStream(seed: 8)
        let draw = view.sample(width: 30, height: 30, rng: &rng)
        #expect(draw.order.sorted() == Array(0..<9) && draw.order != Array(0..<9))
        var patches = [Float](repeating: 0, count: 9 * 6 * 6 * 3)
        patches.withUnsafeMutableBufferPointer { view.render(draw, from: image, into: $0.baseAddress!, scratch: TransformScratch()) }
        for k in 0..<9 {
            let cell = draw.order[k]
            let offset = draw.offsets[cell]
            #expect(offset.x >= 0 && offset.x <= 4 && offset.y >= 0 && offset.y <= 4)
            let topLeftX = Int((patches[k * 108] * 255 / 8).rounded()), topLeftY = Int((patches[k * 108 + 1] * 255 / 8).rounded())
            #expect(topLeftX == (cell % 3) * 10 + offset.x && topLeftY == (cell / 3) * 10 + offset.y)
        }
    }

    @Test func ninePatchesOfTheRightSize() throws {
        let image = try ImageIO.load(TestData.cocoRoot.appendingPathComponent("JPEGImages/2011_000003.jpg"))
        var rng = RandomStream(seed: 1)
        let patches = DetCoLocalView(size: 224).apply(image, rng: &rng)
        #expect(patches.count == 9 && patches.allSatisfy { $0.width == 64 && $0.height == 64 && $0.channels == 3 })
        #expect(patches.allSatisfy { p in p.data.allSatisfy { $0.isFinite && abs($0) < 3 } })
    }
}

@Suite struct DetectionTransformTests {
    @Test func resizeRuleMatchesDetectron2() {
        let t = DetectionTransform(shortSide: 800, maxSize: 1333, flip: false)
        #expect(t.resizedSize(width: 500, height: 375, shortSide: 800) == (1067, 800))
        #expect(t.resizedSize(width: 1000, height: 300, shortSide: 800) == (1333, 400))
        #expect(t.resizedSize(width: 96, height: 96, shortSide: 128) == (128, 128))
    }

    @Test(arguments: [false, true])
    func boxesAndMasksFollowTheImage(_ flip: Bool) throws {
        let dataset = try COCODataset.load(TestData.cocoJSON)
        let sample = try dataset.detectionSample(at: 2)
        #expect(sample.boxes.count == 6 && sample.masks.count == 6)
        var transform = DetectionTransform(shortSide: 240, maxSize: 1000, flip: false, padMultiple: 32)
        transform.normalization = .identity
        let input = transform.render(.init(shortSide: 240, flip: flip), sample)
        #expect(input.contentWidth == 320 && input.contentHeight == 240)
        #expect(input.image.width == 320 && input.image.height == 256)
        for (i, mask) in input.masks.enumerated() {
            #expect(mask.width == 320 && mask.height == 256)
            // The transformed mask's tight box matches the transformed annotation box within rounding.
            let b = mask.boundingBox, box = input.boxes[i]
            #expect(abs(b[0] - box.x0) <= 2 && abs(b[1] - box.y0) <= 2)
            #expect(abs(b[0] + b[2] - box.x1) <= 2 && abs(b[1] + b[3] - box.y1) <= 2)
            // The pixels under the mask keep their colour: same mean as under the original mask.
            var before = SIMD3<Float>(), after = SIMD3<Float>()
            let original = sample.masks[i]
            for y in 0..<original.height { for x in 0..<original.width where original[x, y] {
                before += SIMD3(Float(sample.image[x, y, 0]), Float(sample.image[x, y, 1]), Float(sample.image[x, y, 2])) / 255
            } }
            for y in 0..<mask.height { for x in 0..<mask.width where mask[x, y] {
                after += SIMD3(input.image[x, y, 0], input.image[x, y, 1], input.image[x, y, 2])
            } }
            let diff = before / Float(original.area) - after / Float(mask.area)
            #expect(abs(diff.x) < 0.03 && abs(diff.y) < 0.03 && abs(diff.z) < 0.03, "instance \(i): \(diff)")
        }
        // Padding is zero and the masks are empty there.
        #expect(input.image[5, 250, 0] == 0 && input.masks.allSatisfy { !$0[5, 250] })
    }

    @Test func flipMirrorsBoxes() {
        let image = Image(width: 40, height: 20, channels: 3)
        let sample = DetectionSample(image: image, boxes: [Box(x0: 2, y0: 3, x1: 12, y1: 9)], labels: [4])
        let t = DetectionTransform(shortSide: 40, maxSize: 100, flip: true, padMultiple: 32)
        let input = t.render(.init(shortSide: 40, flip: true), sample)
        #expect(input.boxes == [Box(x0: 80 - 24, y0: 6, x1: 80 - 4, y1: 18)])
        #expect(input.labels == [4] && input.image.width == 96 && input.image.height == 64)
    }
}
