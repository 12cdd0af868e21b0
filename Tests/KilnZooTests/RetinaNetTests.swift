// RetinaNet: parameter names and initialisation; the compiled train step and inference have no reference
// fallbacks; with the head's last convolutions set to constants, the losses, the positive count and the EMA
// normaliser equal detectron2's computed on the host (anchors, matching, focal and L1 sums), the focal loss with a
// distinct logit per (anchor shape, class) channel shows every positive anchor trained towards its own ground
// truth's class, and detection decodes candidates to the right anchors and classes, applies class-wise NMS, clips
// and pads.

import Foundation
import Kiln
import KilnZoo
import Testing

@Suite("RetinaNet")
struct RetinaNetTests {
    static let classes = 3, canvas = 64, batch = 2, capacity = 3

    /// A small RetinaNet (32 channels, one conv per tower) whose classifier and box convolutions output constants:
    /// zero weights, box bias 0, classifier bias −log(99) except `boosted` channels.
    static func network(boosted: [Int: Float] = [:]) throws -> RetinaNet {
        var s = RetinaNetSettings(classes: classes, depth: .resnet18)
        s.channels = 32
        s.towerConvs = 1
        let net = try RetinaNet(s)
        try net.initialize(seed: 3)
        net.head.clsScore.weight.values = [Float](repeating: 0, count: net.head.clsScore.weight.count)
        var bias = [Float](repeating: Float(-Foundation.log(99.0)), count: 9 * classes)
        for (channel, value) in boosted { bias[channel] = value }
        net.head.clsScore.bias?.values = bias
        net.head.bboxPred.weight.values = [Float](repeating: 0, count: net.head.bboxPred.weight.count)
        net.head.bboxPred.bias?.values = [Float](repeating: 0, count: 9 * 4)
        return net
    }

    static var configuration: FineTuneConfiguration {
        var c = FineTuneConfiguration(kind: .retinanet)
        c.classes = classes
        c.canvas = canvas
        c.shortSides = [canvas]
        c.batch = batch
        c.maxInstances = capacity
        return c
    }

    /// Host anchors of a 64-pixel canvas: P3…P7 are 8, 4, 2, 1, 1 positions wide.
    static var hostAnchors: [HostDetection.Box] {
        zip([8, 4, 2, 1, 1], RetinaNetSettings.demoAnchorSizes).enumerated().flatMap { i, level in
            HostDetection.anchors(featureSize: level.0, stride: Double(1 << (3 + i)),
                                  sizes: [1, Foundation.pow(2, 1.0 / 3), Foundation.pow(2, 2.0 / 3)].map { $0 * level.1 },
                                  ratios: [0.5, 1, 2])
        }
    }

    /// One step at learning rate 0 on `gt` boxes with `labels` (per image), padded to the capacity with a box that
    /// would match well if the padding were read, over seeded random images.
    static func runStep(_ step: TrainStep, gt: [[HostDetection.Box]], labels perImage: [[Int]]) throws -> [String: Double] {
        var boxes: [Double] = [], labels: [Double] = []
        for image in 0..<batch {
            for k in 0..<capacity {
                boxes += k < gt[image].count ? gt[image][k] : [10, 10, 30, 30]
                labels.append(k < gt[image].count ? Double(perImage[image][k]) : -1)
            }
        }
        var rng = RandomStream(seed: 5)
        let images = (0..<(batch * canvas * canvas * 3)).map { _ in rng.normal() }
        return try step.run([
            FineTuneRun.imagesInput: HostTensor(TensorType(.f32, [batch, canvas, canvas, 3]), images),
            FineTuneRun.boxesInput: HostTensor(TensorType(.f32, [batch, capacity, 4]), boxes),
            FineTuneRun.labelsInput: HostTensor(TensorType(.i32, [batch, capacity]), labels),
            FineTuneRun.countsInput: HostTensor(TensorType(.i32, [batch]), gt.map { Double($0.count) }),
        ], learningRate: 0)
    }

    @Test("parameters carry torchvision / detectron2 names and detectron2's initialisation")
    func namesAndInitialisation() throws {
        let net = try RetinaNet(RetinaNetSettings(classes: 10, depth: .resnet18))
        try net.initialize(seed: 0)
        let names = Dictionary(try net.namedParameters().map { ($0.0, $0.1) }, uniquingKeysWith: { a, _ in a })
        for name in ["backbone.conv1.weight", "backbone.layer4.1.bn2.running_var", "fpn.fpn_lateral3.weight",
                     "fpn.fpn_lateral3.norm.weight", "fpn.fpn_output5.norm.running_mean", "fpn.top_block.p6.weight",
                     "fpn.top_block.p7.bias", "head.cls_subnet.0.weight", "head.cls_subnet.6.bias", "head.bbox_subnet.6.weight",
                     "head.cls_score.weight", "head.bbox_pred.bias", "loss_normalizer"] {
            #expect(names[name] != nil, "missing \(name)")
        }
        #expect(names["backbone.fc.weight"] == nil && names["head.cls_subnet.8.weight"] == nil)
        #expect(names["head.cls_score.weight"]?.shape == [90, 3, 3, 256])
        #expect(names["head.bbox_pred.weight"]?.shape == [36, 3, 3, 256])
        let bias = try #require(names["head.cls_score.bias"]?.values)
        #expect(bias.allSatisfy { Swift.abs(Double($0) + Foundation.log(99.0)) < 1e-6 })
        let tower = try #require(names["head.cls_subnet.2.weight"]?.values)
        let std = (tower.reduce(0) { $0 + Double($1 * $1) } / Double(tower.count)).squareRoot()
        #expect(Swift.abs(std - 0.01) < 0.0005, "tower weights should be N(0, 0.01), std \(std)")
        #expect(names["loss_normalizer"]?.values == [100])
    }

    @Test("losses, positive count and normaliser equal detectron2's on the host; no reference fallbacks")
    func lossesMatchHost() throws {
        let net = try Self.network()
        let step = try TrainStep(try FineTuneRun.trace(net, Self.configuration))
        #expect(step.executable.referenceFallbacks.isEmpty, "\(step.executable.referenceFallbacks)")
        // Image 0: two objects; image 1: one object and a padding row that would match well if it were read.
        let gt: [[HostDetection.Box]] = [[[4, 6, 30, 40], [20, 10, 61, 50]], [[8, 30, 40, 62]]]
        let out = try Self.runStep(step, gt: gt, labels: [[1, 2], [0]])

        let anchors = Self.hostAnchors
        let bias = Double(Float(-Foundation.log(99.0)))
        var positives = 0, valid = 0, l1 = 0.0
        for image in 0..<Self.batch {
            for (a, m) in zip(anchors, HostDetection.match(anchors: anchors, gt: gt[image], low: 0.4, high: 0.5)) {
                if m.label >= 0 { valid += 1 }
                guard m.label == 1 else { continue }
                positives += 1
                l1 += HostDetection.deltas(from: a, to: gt[image][m.index]).reduce(0) { $0 + Swift.abs($1) }
            }
        }
        let negative = HostDetection.focal(logit: bias, target: 0), positive = HostDetection.focal(logit: bias, target: 1)
        let classification = Double(valid * Self.classes - positives) * negative + Double(positives) * positive
        let normalizer = 0.9 * 100 + 0.1 * Double(max(positives, 1))
        func close(_ a: Double?, _ b: Double, _ tolerance: Double = 1e-4) -> Bool {
            guard let a else { return false }
            return Swift.abs(a - b) <= tolerance * Swift.max(1, Swift.abs(b))
        }
        #expect(positives > 3 && valid > positives)
        #expect(close(out["num_pos_anchors"], Double(positives) / 2), "\(out) vs \(positives) positives")
        #expect(close(out["loss_cls"], classification / normalizer), "\(out) vs \(classification / normalizer)")
        #expect(close(out["loss_box_reg"], l1 / normalizer), "\(out) vs \(l1 / normalizer)")
        #expect(close(out["loss"], (classification + l1) / normalizer))
        let state = try #require(step.executable.state("loss_normalizer"))
        #expect(close(state.data.first, normalizer, 1e-6), "normaliser \(state.data) vs \(normalizer)")
    }

    @Test("the focal loss trains each positive anchor towards its own ground truth's class", arguments: [[[1, 2], [0]], [[2, 0], [2]]])
    func classTargetsMatchHost(labelsPerImage: [[Int]]) throws {
        // A different constant logit for every (anchor shape a, class c) channel, so that a wrong class target, a
        // wrong ground-truth row or an (a, c) channel order other than detectron2's a·C + c changes the sum.
        func logit(_ a: Int, _ c: Int) -> Double { Double(Float(-2 + 0.4 * Double(a) - 2 * Double(c))) }
        var channels: [Int: Float] = [:]
        for a in 0..<9 { for c in 0..<Self.classes { channels[a * Self.classes + c] = Float(logit(a, c)) } }
        let net = try Self.network(boosted: channels)
        let step = try TrainStep(try FineTuneRun.trace(net, Self.configuration))
        let gt: [[HostDetection.Box]] = [[[4, 6, 30, 40], [20, 10, 61, 50]], [[8, 30, 40, 62]]]
        let out = try Self.runStep(step, gt: gt, labels: labelsPerImage)

        var total = 0.0, positives = 0
        for image in 0..<Self.batch {
            let matches = HostDetection.match(anchors: Self.hostAnchors, gt: gt[image], low: 0.4, high: 0.5)
            for (row, m) in matches.enumerated() where m.label >= 0 {
                if m.label == 1 { positives += 1 }
                for c in 0..<Self.classes {
                    let target = m.label == 1 && labelsPerImage[image][m.index] == c ? 1.0 : 0.0
                    total += HostDetection.focal(logit: logit(row % 9, c), target: target)
                }
            }
        }
        let expected = total / (0.9 * 100 + 0.1 * Double(positives))
        let got = try #require(out["loss_cls"])
        #expect(Swift.abs(got - expected) <= 1e-4 * expected, "loss_cls \(got) vs detectron2's \(expected) (labels \(labelsPerImage))")
    }

    @Test("detection decodes anchors and classes, suppresses per class, clips and pads; no reference fallbacks")
    func detectionMatchesHost() throws {
        // Anchor 4 of every position (size × 2^(1/3), ratio 1) scores σ(5) for class 2; everything else 0.01.
        let boostedAnchor = 4, boostedClass = 2
        let net = try Self.network(boosted: [boostedAnchor * Self.classes + boostedClass: 5])
        let inference = try DetectorInference(net, configuration: Self.configuration, batch: Self.batch)
        let exe = inference.function.executable
        #expect(exe.referenceFallbacks.isEmpty, "\(exe.referenceFallbacks)")
        var rng = RandomStream(seed: 9)
        let images = (0..<(Self.batch * Self.canvas * Self.canvas * 3)).map { _ in rng.normal() }
        let out = try exe.run([DetectorInference.imagesInput: HostTensor(TensorType(.f32, [Self.batch, Self.canvas, Self.canvas, 3]), images)])
        let boxes = try #require(out["boxes"]), scores = try #require(out["scores"]), classes = try #require(out["classes"])
        let d = 100
        #expect(boxes.shape == [Self.batch, d, 4] && scores.shape == [Self.batch, d] && classes.shape == [Self.batch, d])

        let candidates = Self.hostAnchors.enumerated().filter { $0.offset % 9 == boostedAnchor }.map(\.element)
        let kept = HostDetection.nms(candidates, threshold: 0.5).map { candidates[$0].map { min(max($0, 0), Double(Self.canvas)) } }
        let score = 1 / (1 + Foundation.exp(-5.0))
        for image in 0..<Self.batch {
            for j in 0..<d {
                let row = image * d + j
                if j < kept.count {
                    #expect(classes.data[row] == Double(boostedClass) && Swift.abs(scores.data[row] - score) < 1e-5)
                    let box = Array(boxes.data[(4 * row)..<(4 * row + 4)])
                    #expect(zip(box, kept[j]).allSatisfy { Swift.abs($0 - $1) < 1e-3 }, "detection \(j): \(box) vs \(kept[j])")
                } else {
                    #expect(classes.data[row] == -1 && scores.data[row] == 0, "row \(j) should be padding")
                }
            }
        }
    }
}
