// Mask R-CNN building blocks against values worked out by hand: FPN level assignment in the RoI pooler, RoI
// sampling into fixed slots (foreground first, invalid proposals never sampled), and the box losses.

import Foundation
import Kiln
import KilnData
import KilnZoo
import Testing

@Suite("Mask R-CNN components")
struct MaskRCNNComponentTests {
    @Test("the level pooler takes each box from the level ⌊4 + log2(√(wh)/canonical)⌋ clamped to [2, 5]")
    func levelAssignment() throws {
        let sides = [16, 8, 4, 2], strides = [4, 8, 16, 32], channels = 5
        let pooler = LevelRoIPooler(canonicalBoxSize: 56, resolution: 3)
        // √(wh) = 20 → P2, 40 → P3, 80 → P4, 120 → P5 (clamped), 28 = 56/2 exactly → P3, 10 → P2 (clamped).
        let boxes: [[Double]] = [[2, 2, 22, 22], [5, 5, 45, 45], [0, 0, 80, 80], [0, 0, 120, 120], [3, 1, 31, 29], [1, 1, 11, 11]]
        let expectedLevel = [0, 1, 2, 3, 1, 0]
        let k = boxes.count
        let inputs = sides.enumerated().map { ("p\($0.offset + 2)", TensorType(.f32, [1, $0.element, $0.element, channels])) }
        let function = try InferenceFunction(models: [], inputs: inputs) { t, x in
            let levels = (0..<4).map { x["p\($0 + 2)"]! }
            let b = t.constant(boxes.flatMap { $0 }, TensorType(.f32, [1, k, 4]))
            var out = ["pooled": pooler(levels, boxes: b)]
            let rois = t.constant(boxes.flatMap { [0] + $0 }, TensorType(.f32, [k, 5]))
            for (i, level) in levels.enumerated() {
                out["direct\(i)"] = level.roiAlign(rois: rois, RoIAlignAttributes(output: [3, 3], spatialScale: 1 / Double(strides[i])))
            }
            return out
        }
        var rng = RandomStream(seed: 8)
        var feeds: [String: HostTensor] = [:]
        for (name, type) in inputs { feeds[name] = HostTensor(type, (0..<type.count).map { _ in rng.normal() }) }
        let out = try function(feeds)
        let pooled = try #require(out["pooled"])
        let row = 9 * channels
        for r in 0..<k {
            let direct = try #require(out["direct\(expectedLevel[r])"])
            #expect(Array(pooled.data[(r * row)..<((r + 1) * row)]) == Array(direct.data[(r * row)..<((r + 1) * row)]), "box \(r)")
            #expect(direct.data[(r * row)..<((r + 1) * row)].contains { $0 != 0 }, "box \(r) samples real features")
        }
    }

    @Test("RoI sampling: GT appended, at most 25 % foreground in the leading slots, invalid proposals never sampled")
    func sampling() throws {
        var c = FineTuneConfiguration(kind: .maskrcnnFPN)
        c.classes = 3
        c.canvas = 64
        var settings = MaskRCNNSettings(c)
        settings.roisPerImage = 8   // F = 2 foreground slots
        // p0 overlaps gt0 (IoU 0.82), p1 overlaps nothing, p2 overlaps gt1 (IoU 0.90), p3 is invalid.
        let proposals: [Double] = [1, 1, 21, 21, 40, 0, 60, 10, 31, 31, 50, 50, 2, 2, 22, 22]
        let gt: [Double] = [0, 0, 20, 20, 30, 30, 50, 50, 0, 0, 0, 0]
        let function = try InferenceFunction(models: [], inputs: [
            ("proposals", TensorType(.f32, [1, 4, 4])), ("valid", TensorType(.bool, [1, 4])), ("boxes", TensorType(.f32, [1, 3, 4])),
            ("labels", TensorType(.i32, [1, 3])), ("counts", TensorType(.i32, [1])),
        ]) { _, x in
            let r = RoISampler.sample(Proposals(boxes: x["proposals"]!, valid: x["valid"]!), boxes: x["boxes"]!, labels: x["labels"]!,
                                      counts: x["counts"]!, settings: settings)
            return ["boxes": r.boxes, "valid": r.valid, "foreground": r.foreground, "classes": r.classes, "matched": r.matchedGT,
                    "targets": r.regressionTargets]
        }
        let out = try function([
            "proposals": HostTensor(TensorType(.f32, [1, 4, 4]), proposals), "valid": HostTensor(TensorType(.bool, [1, 4]), [1, 1, 1, 0]),
            "boxes": HostTensor(TensorType(.f32, [1, 3, 4]), gt), "labels": HostTensor(TensorType(.i32, [1, 3]), [1, 0, -1]),
            "counts": HostTensor(TensorType(.i32, [1]), [2]),
        ])
        let valid = try #require(out["valid"]).data, fg = try #require(out["foreground"]).data
        let classes = try #require(out["classes"]).data, boxes = try #require(out["boxes"]).data
        let matched = try #require(out["matched"]).data, targets = try #require(out["targets"]).data
        // Candidates: p0, p2, gt0, gt1 foreground; p1 background; p3 invalid; the padded GT row unusable.
        #expect(fg == [1, 1, 0, 0, 0, 0, 0, 0])
        #expect(valid == [1, 1, 1, 0, 0, 0, 0, 0])
        #expect(classes[2...] .allSatisfy { $0 == 3 }, "background class is C")
        #expect(Array(boxes[8..<12]) == [40, 0, 60, 10], "the only background candidate")
        for slot in 0..<2 {
            let box = Array(boxes[(4 * slot)..<(4 * slot + 4)])
            #expect(box != [2, 2, 22, 22], "the invalid proposal is never sampled")
            let onFirst = box[0] < 25
            #expect(matched[slot] == (onFirst ? 0 : 1) && classes[slot] == (onFirst ? 1 : 0), "slot \(slot): \(box)")
        }
        #expect(targets[8...].allSatisfy { $0 == 0 }, "no regression targets outside the foreground")
    }

    @Test("box losses: mean cross-entropy over sampled RoIs, own-class L1 over foreground divided by the sampled count")
    func boxLosses() throws {
        let predictor = BoxPredictor(inputs: 4, classes: 2)
        let logits: [Double] = [0.2, 1.0, -0.5, 0.3, 0.1, 2.0, 5, 5, 5]
        let deltas: [Double] = [9, 9, 9, 9, 0.5, -0.25, 1, 0, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7]
        let targets: [Double] = [0.25, 0.25, 0.5, 0.5, 0, 0, 0, 0, 0, 0, 0, 0]
        let function = try InferenceFunction(models: [predictor], inputs: [("logits", TensorType(.f32, [3, 3])), ("deltas", TensorType(.f32, [3, 8]))]) { t, x in
            let rois = SampledRoIs(boxes: t.constant([0], TensorType(.f32, [1, 3, 4])),
                                   valid: t.constant([1, 1, 0], TensorType(.f32, [1, 3])),
                                   foreground: t.constant([1, 0, 0], TensorType(.f32, [1, 3])),
                                   classes: t.constant([1, 2, 2], TensorType(.i32, [1, 3])),
                                   matchedGT: t.constant([0], TensorType(.i32, [1, 3])),
                                   regressionTargets: t.constant(targets, TensorType(.f32, [1, 3, 4])))
            let (cls, box) = predictor.losses(logits: x["logits"]!, deltas: x["deltas"]!, rois: rois)
            return ["cls": cls, "box": box]
        }
        let out = try function(["logits": HostTensor(TensorType(.f32, [3, 3]), logits), "deltas": HostTensor(TensorType(.f32, [3, 8]), deltas)])
        func crossEntropy(_ row: [Double], _ label: Int) -> Double { log(row.map(exp).reduce(0, +)) - row[label] }
        let cls = (crossEntropy([0.2, 1.0, -0.5], 1) + crossEntropy([0.3, 0.1, 2.0], 2)) / 2
        let box = (0.25 + 0.5 + 0.5 + 0.5) / 2
        #expect(abs((out["cls"]?.data.first ?? 0) - cls) < 1e-5)
        #expect(abs((out["box"]?.data.first ?? 0) - box) < 1e-5)
    }

    @Test("pasted masks follow grid_sample (bilinear, align_corners False, zero padding) thresholded at 0.5")
    func maskPasting() throws {
        let box = Box(x0: 2, y0: 3, x1: 10, y1: 9)
        let full = MaskPaste.paste([Float](repeating: 1, count: 16)[...], side: 4, box: box, width: 16, height: 12)
        #expect(full.area == 48 && full.boundingBox == [2, 3, 8, 6], "an all-ones mask fills exactly the box")
        // Left two of four columns set: the value at x is 1 up to u = 1 and 2 − u after, so ≥ 0.5 until u = 1.5.
        let half = MaskPaste.paste((0..<16).map { $0 % 4 < 2 ? Float(1) : 0 }[...], side: 4, box: box, width: 16, height: 12)
        #expect(half.boundingBox == [2, 3, 4, 6], "\(half.boundingBox)")
        let outside = MaskPaste.paste([Float](repeating: 1, count: 16)[...], side: 4, box: Box(x0: 14, y0: 10, x1: 20, y1: 15),
                                      width: 16, height: 12)
        #expect(outside.boundingBox == [14, 10, 2, 2], "clipped to the image")
    }
}
