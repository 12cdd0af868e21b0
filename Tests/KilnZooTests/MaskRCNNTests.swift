// Mask R-CNN (C4 and FPN) on a tiny canvas: the train step compiles with fast kernels only and its first losses
// have the values the initialisation implies (ln(C+1) for classification, ln 2 for masks); a few steps on one
// batch lower the loss; inference has the documented fixed-capacity shapes and padding.

import Foundation
import Kiln
import KilnZoo
import Testing

enum TinyMaskRCNN {
    static let batch = 2, canvas = 64, instances = 3, classes = 3

    static func configuration(_ kind: DetectorKind) -> FineTuneConfiguration {
        var c = FineTuneConfiguration(kind: kind)
        c.classes = classes
        c.canvas = canvas
        c.shortSides = [canvas]
        c.batch = batch
        c.maxInstances = instances
        return c
    }

    static func settings(_ kind: DetectorKind) -> MaskRCNNSettings {
        var s = MaskRCNNSettings(configuration(kind))
        (s.preNMSTrain, s.preNMSTest, s.postNMSTrain, s.postNMSTest) = (200, 100, 40, 20)
        s.roisPerImage = 16
        s.fpnChannels = 32
        s.boxHeadDimension = 32
        s.maskHeadChannels = 16
        s.detectionsPerImage = 10
        return s
    }

    static func detector(_ kind: DetectorKind) throws -> any Detector {
        let s = settings(kind)
        let d: any Detector = kind == .maskrcnnC4 ? try MaskRCNNC4(s) : try MaskRCNNFPN(s)
        try d.initialize(seed: 3)
        return d
    }

    /// Two images: two instances in the first, one in the second; masks are the boxes' inscribed ellipses.
    static func feeds() -> [String: HostTensor] {
        let boxes: [[Double]] = [[4, 6, 30, 40], [30, 20, 60, 50], [0, 0, 0, 0], [10, 10, 50, 40], [0, 0, 0, 0], [0, 0, 0, 0]]
        let labels: [Double] = [0, 2, -1, 1, -1, -1]
        var masks = [Double](repeating: 0, count: batch * instances * canvas * canvas)
        for (row, box) in boxes.enumerated() where labels[row] >= 0 {
            let (cx, cy, rx, ry) = ((box[0] + box[2]) / 2, (box[1] + box[3]) / 2, (box[2] - box[0]) / 2, (box[3] - box[1]) / 2)
            for y in 0..<canvas {
                for x in 0..<canvas {
                    let dx = (Double(x) + 0.5 - cx) / rx, dy = (Double(y) + 0.5 - cy) / ry
                    if dx * dx + dy * dy <= 1 { masks[(row * canvas + y) * canvas + x] = 1 }
                }
            }
        }
        var rng = RandomStream(seed: 11)
        return [
            FineTuneRun.imagesInput: HostTensor(TensorType(.f32, [batch, canvas, canvas, 3]),
                                                (0..<(batch * canvas * canvas * 3)).map { _ in rng.normal() }),
            FineTuneRun.boxesInput: HostTensor(TensorType(.f32, [batch, instances, 4]), boxes.flatMap { $0 }),
            FineTuneRun.labelsInput: HostTensor(TensorType(.i32, [batch, instances]), labels),
            FineTuneRun.countsInput: HostTensor(TensorType(.i32, [batch]), [2, 1]),
            FineTuneRun.masksInput: HostTensor(TensorType(.bool, [batch, instances, canvas, canvas]), masks),
        ]
    }
}

@Suite("Mask R-CNN")
struct MaskRCNNTests {
    @Test("the train step uses fast kernels only; first losses match the initialisation; steps lower the loss",
          arguments: [DetectorKind.maskrcnnFPN, .maskrcnnC4])
    func trainStep(kind: DetectorKind) throws {
        let detector = try TinyMaskRCNN.detector(kind)
        let step = try TrainStep(try FineTuneRun.trace(detector, TinyMaskRCNN.configuration(kind)))
        #expect(step.executable.referenceFallbacks.isEmpty, "\(step.executable.referenceFallbacks)")
        let feeds = TinyMaskRCNN.feeds()
        let first = try step.run(feeds, learningRate: 0.02)
        let terms = ["loss_rpn_cls", "loss_rpn_loc", "loss_cls", "loss_box_reg", "loss_mask"]
        for name in terms + ["loss"] { #expect(first[name]?.isFinite == true, "\(name): \(String(describing: first[name]))") }
        let sum = terms.compactMap { first[$0] }.reduce(0, +)
        #expect(abs((first["loss"] ?? 0) - sum) < 1e-4 * max(1, sum))
        // cls_score ~ N(0, 0.01) gives near-uniform class scores; the mask predictor ~ N(0, 0.001) gives p ≈ 1/2.
        #expect(abs((first["loss_cls"] ?? 0) - log(Double(TinyMaskRCNN.classes + 1))) < 0.1, "\(first)")
        #expect(abs((first["loss_mask"] ?? 0) - log(2.0)) < 0.01, "\(first)")
        // BCE over sampled anchors with logits near 0 (≈ ln 2 each), divided by 256·N ≥ the number sampled.
        #expect((first["loss_rpn_cls"] ?? 0) > 0 && (first["loss_rpn_cls"] ?? 1) < log(2.0) + 0.01, "\(first)")
        var last = first
        for _ in 0..<8 { last = try step.run(feeds, learningRate: 0.02) }
        #expect((last["loss"] ?? .infinity) < (first["loss"] ?? 0), "first \(first), last \(last)")
    }

    @Test("detect returns fixed-capacity detections: sorted scores, padding score 0 and class −1, masks in [0, 1]",
          arguments: [DetectorKind.maskrcnnFPN, .maskrcnnC4])
    func detect(kind: DetectorKind) throws {
        let detector = try TinyMaskRCNN.detector(kind)
        let n = TinyMaskRCNN.batch, s = TinyMaskRCNN.canvas, d = TinyMaskRCNN.settings(kind).detectionsPerImage
        let m = kind == .maskrcnnC4 ? 14 : 28
        let function = try InferenceFunction(models: [detector], inputs: [("images", TensorType(.f32, [n, s, s, 3]))]) { _, x in
            let out = detector.detect(x["images"]!)
            var named = ["boxes": out.boxes, "scores": out.scores, "classes": out.classes]
            if let masks = out.masks { named["masks"] = masks }
            return named
        }
        #expect(function.executable.referenceFallbacks.isEmpty, "\(function.executable.referenceFallbacks)")
        let out = try function(["images": try #require(TinyMaskRCNN.feeds()[FineTuneRun.imagesInput])])
        let boxes = try #require(out["boxes"]), scores = try #require(out["scores"]), classes = try #require(out["classes"])
        let masks = try #require(out["masks"])
        #expect(boxes.shape == [n, d, 4] && scores.shape == [n, d] && classes.shape == [n, d] && masks.shape == [n, d, m, m])
        #expect(boxes.data.allSatisfy { $0 >= 0 && $0 <= Double(s) })
        #expect(masks.data.allSatisfy { $0 >= 0 && $0 <= 1 })
        var found = 0
        for i in 0..<n {
            let row = Array(scores.data[(i * d)..<((i + 1) * d)]), kinds = Array(classes.data[(i * d)..<((i + 1) * d)])
            #expect(zip(row, row.dropFirst()).allSatisfy { $0 >= $1 }, "scores sorted: \(row)")
            for (score, c) in zip(row, kinds) {
                if c < 0 { #expect(score == 0) } else { #expect(score > 0.05 && c < Double(TinyMaskRCNN.classes)); found += 1 }
            }
        }
        // Untrained class scores are ≈ 1/(C+1) = 0.25 > 0.05, so detections exist.
        #expect(found > 0)
    }

    @Test("Deconv2x2 equals ConvTranspose2d(kernel 2, stride 2) computed directly")
    func deconvolution() throws {
        let layer = Deconv2x2(3, 2)
        try layer.initialize(seed: 5)
        let (n, h, w) = (2, 3, 2)
        var rng = RandomStream(seed: 2)
        let x = (0..<(n * h * w * 3)).map { _ in rng.normal() }
        let bias = [0.5, -0.25]
        layer.bias.values = bias.map(Float.init)
        let function = try InferenceFunction(models: [layer], inputs: [("x", TensorType(.f32, [n, h, w, 3]))]) { _, t in
            ["y": layer(t["x"]!)]
        }
        let y = try #require(try function(["x": HostTensor(TensorType(.f32, [n, h, w, 3]), x)])["y"])
        #expect(y.shape == [n, 2 * h, 2 * w, 2])
        let weight = try #require(layer.weight.values).map(Double.init)   // (Cin 3, Cout 2, 2, 2)
        var worst = 0.0
        for b in 0..<n { for i in 0..<h { for j in 0..<w { for a in 0..<2 { for c in 0..<2 { for o in 0..<2 {
            var expected = bias[o]
            for k in 0..<3 { expected += x[((b * h + i) * w + j) * 3 + k] * weight[((k * 2 + o) * 2 + a) * 2 + c] }
            let got = y[[b, 2 * i + a, 2 * j + c, o]]
            worst = max(worst, abs(got - expected))
        } } } } } }
        #expect(worst < 1e-5)
    }
}
