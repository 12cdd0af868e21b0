// The fast detection kernels (KilnKernels/Detection) against their naive references on odd sizes: SIMD bodies
// with scalar tails, ties, NaN and signed zeros, border samples, several images, and the RoIAlign adjoint identity.

import KilnKernels
import Testing

/// Calls `body` with a zeroed scratch buffer of `bytes` bytes.
func withScratch<R>(_ bytes: Int, _ body: (UnsafeMutableRawPointer) throws -> R) rethrows -> R {
    let p = UnsafeMutableRawPointer.allocate(byteCount: max(bytes, 16), alignment: 64)
    p.initializeMemory(as: UInt8.self, repeating: 0, count: max(bytes, 16))
    defer { p.deallocate() }
    return try body(p)
}

@Suite("Detection kernels against naive references")
struct DetectionKernelTests {
    @Test("descending order: ties by index, NaN first, −0 equals +0", arguments: [(1, 1), (7, 3), (16, 16), (33, 5), (1000, 1000), (5003, 37)])
    func descendingOrder(count: Int, k: Int) {
        var rng = RandomStream(seed: UInt64(count))
        let specials: [Float] = [.nan, -0.0, 0, .infinity, -.infinity, -3.5, 1e-40]
        let x = (0..<count).map { _ in rng.bernoulli(0.1) ? specials[rng.below(specials.count)] : Float(rng.below(40)) / 4 - 5 }
        var order = [Int32](repeating: -7, count: k)
        withScratch(DescendingOrder.scratchBytes(count: count)) { scratch in
            DescendingOrder.largest(x, count: count, k: k, into: &order, scratch: scratch)
        }
        #expect(order.map(Int.init) == DescendingOrder.naiveLargest(x, k: k))
    }

    @Test("pairwise IoU", arguments: [(13, 1), (5, 16), (9, 37)])
    func pairwiseIoU(n: Int, m: Int) {
        var rng = RandomStream(seed: UInt64(n * m))
        var a = randomBoxes(n, extent: 20, rng: &rng), b = randomBoxes(m, extent: 20, rng: &rng)
        a[0..<4] = [0, 0, 0, 0]
        b[4 * (m - 1)..<(4 * m)] = [3, 3, 1, 1]  // inverted
        var out = [Float](repeating: .nan, count: n * m), scratch = [Float](repeating: 0, count: BoxOverlap.scratchFloats(m: m))
        BoxOverlap.pairwise(a: a, n: n, b: b, m: m, out: &out, scratch: &scratch, pool: .shared)
        #expect(out == BoxOverlap.naivePairwise(a, b))
    }

    @Test("NMS kernel", arguments: [(5, 0.5, 5), (64, 0.3, 20), (301, 0.6, 64), (301, 0.0, 301)])
    func nmsKernel(count: Int, threshold: Double, maxOutputs: Int) {
        var rng = RandomStream(seed: UInt64(count) &* 31)
        let boxes = randomBoxes(count, extent: 30, rng: &rng)
        let scores = (0..<count).map { _ in rng.bernoulli(0.05) ? Float.nan : Float(rng.below(30)) / 30 }
        let classes = (0..<count).map { _ in Int32(rng.below(3)) }
        for withClasses in [false, true] {
            var keep = [Int32](repeating: 99, count: maxOutputs)
            withScratch(NonMaxSuppression.scratchBytes(count: count, maxOutputs: maxOutputs)) { scratch in
                classes.withUnsafeBufferPointer { c in
                    NonMaxSuppression.run(boxes: boxes, scores: scores, classes: withClasses ? c.baseAddress : nil, count: count,
                                          iouThreshold: threshold, scoreThreshold: 0.1, maxOutputs: maxOutputs,
                                          keep: &keep, scratch: scratch)
                }
            }
            let expected = NonMaxSuppression.naive(boxes: boxes, scores: scores, classes: withClasses ? classes.map(Int.init) : nil,
                                                   iouThreshold: threshold, scoreThreshold: Float(0.1), maxOutputs: maxOutputs)
            #expect(keep.map(Int.init) == expected, "classes: \(withClasses)")
        }
    }

    static let roiGeometries: [RoIAlignGeometry] = [
        RoIAlignGeometry(batch: 2, height: 9, width: 11, channels: 19, rois: 9, outH: 3, outW: 4, spatialScale: 0.5,
                         samplingRatio: 0, aligned: true),
        RoIAlignGeometry(batch: 3, height: 7, width: 6, channels: 1, rois: 6, outH: 2, outW: 2, spatialScale: 0.25,
                         samplingRatio: 2, aligned: false),
        RoIAlignGeometry(batch: 1, height: 13, width: 5, channels: 33, rois: 5, outH: 7, outW: 7, spatialScale: 1.0 / 16,
                         samplingRatio: 0, aligned: true),
        RoIAlignGeometry(batch: 2, height: 4, width: 4, channels: 16, rois: 4, outH: 5, outW: 3, spatialScale: 1,
                         samplingRatio: 3, aligned: true),
    ]

    /// RoIs in input pixels for geometry g: mostly inside, some straddling or past the border, one bad batch index.
    static func rois(_ g: RoIAlignGeometry, seed: UInt64) -> [Float] {
        var rng = RandomStream(seed: seed)
        let w = Double(g.width) / g.spatialScale, h = Double(g.height) / g.spatialScale
        return (0..<g.rois).flatMap { r -> [Float] in
            let image = r == g.rois - 1 ? Double(g.batch) : Double(rng.below(g.batch))
            let x0 = rng.uniform(-0.2 * w, w), y0 = rng.uniform(-0.2 * h, h)
            return [Float(image), Float(x0), Float(y0), Float(x0 + rng.uniform(0.1, 0.9) * w), Float(y0 + rng.uniform(0.1, 0.9) * h)]
        }
    }

    @Test("RoIAlign forward and backward", arguments: 0..<4)
    func roiAlign(_ index: Int) {
        let g = Self.roiGeometries[index]
        let rois = Self.rois(g, seed: UInt64(index + 1))
        let x = randomFloats(g.inputCount, seed: 61), dy = randomFloats(g.outputCount, seed: 62)
        var y = [Float](repeating: .nan, count: g.outputCount), dx = [Float](repeating: .nan, count: g.inputCount)
        RoIAlign.forward(x: x, rois: rois, y: &y, geometry: g, pool: .shared)
        RoIAlign.backward(dy: dy, rois: rois, dx: &dx, geometry: g, pool: .shared)
        #expect(y == RoIAlign.naiveForward(x: x, rois: rois, geometry: g))
        #expect(relativeError(dx, RoIAlign.naiveBackward(dy: dy, rois: rois, geometry: g)) < 1e-5)
        // The backward kernel is the transpose of the forward one: ⟨y, dy⟩ = ⟨x, dx⟩.
        let lhs = dot(y, dy), rhs = dot(x, dx)
        #expect(abs(lhs - rhs) <= 1e-4 * max(abs(lhs), 1))
        #expect(y.contains { $0 != 0 }, "the RoIs sample something")
    }

    @Test("anchor matching kernel", arguments: [(50, 1), (37, 16), (64, 21), (9, 40)])
    func matching(n: Int, g: Int) {
        var rng = RandomStream(seed: UInt64(n + g))
        let q = (0..<(n * g)).map { _ in Float(rng.below(9)) / 8 }
        var columnMax = [Float](repeating: 0, count: g)
        for valid in [g, g / 2, 0] {
            for lowQuality in [false, true] {
                var out = [Int32](repeating: 42, count: 2 * n)
                AnchorMatching.match(quality: q, n: n, g: g, valid: valid, thresholds: [0.3, 0.7], labels: [0, -1, 1],
                                     allowLowQuality: lowQuality, out: &out, columnMax: &columnMax, pool: .shared)
                let expected = AnchorMatching.naive(quality: q, n: n, g: g, valid: valid, thresholds: [0.3, 0.7],
                                                    labels: [0, -1, 1], allowLowQuality: lowQuality)
                #expect(out.map(Int.init) == expected, "valid \(valid), low quality \(lowQuality)")
            }
        }
    }

    @Test("label sampling kernel", arguments: [(513, 256, 0.5), (77, 16, 0.25), (1000, 8, 1.0), (31, 64, 0.5)])
    func sampling(count: Int, num: Int, fraction: Double) {
        var rng = RandomStream(seed: UInt64(count))
        let labels = (0..<count).map { _ in Int32(rng.below(10) == 0 ? 1 : rng.below(5) == 0 ? -1 : 0) }
        var out = [Int32](repeating: 5, count: count)
        withScratch(LabelSampling.scratchBytes(num: num)) { scratch in
            LabelSampling.sample(labels: labels, out: &out, count: count, base: 1234, num: num, positiveFraction: fraction,
                                 seed: 77, stream: 3, scratch: scratch)
        }
        let expected = LabelSampling.naive(labels: labels.map(Int.init), base: 1234, num: num, positiveFraction: fraction,
                                           seed: 77, stream: 3)
        #expect(out.map(Int.init) == expected)
    }
}
