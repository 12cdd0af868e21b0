// The detection ops together, as an RPN uses them: anchors → IoU with padded GT → matching → sampling →
// regression targets → losses and gradients, plus proposals (decode → top-k → NMS). The graph runs unoptimised on
// the interpreter and through the standard pass pipeline (simplify, fusion, scheduling, memory planning) on the
// executor; both must agree.

import KilnIR
import KilnKernels
import KilnOps
import KilnPasses
import KilnRuntime
import Testing

@Suite("Detection ops in an RPN-style graph")
struct DetectionPipelineTests {
    static let images = 2, capacity = 4

    /// Builds the graph; returns it with the number of anchors.
    static func rpnGraph() throws -> (Graph, Int) {
        var b = GraphBuilder(name: "rpn")
        let levels = [AnchorLevel(featureSize: [5, 6], stride: 8, sizes: [16]), AnchorLevel(featureSize: [3, 3], stride: 16, sizes: [32])]
        let anchors = try b.multiLevelAnchors(levels, aspectRatios: [0.5, 1, 2])
        let n = b.type(of: anchors).shape[0]
        let logits = b.input("logits", f32([images, n])), deltas = b.input("deltas", f32([images, n, 4]))
        let gt = b.input("gt", f32([images, capacity, 4])), counts = b.input("counts", TensorType(.i32, [images]))
        let step = b.input("step", TensorType(.i32, []))

        let (matched, labels) = try b.match(try b.boxIoU(anchors, gt), gtCount: counts, thresholds: [0.3, 0.7],
                                            labels: [0, -1, 1], allowLowQualityMatches: true, flatIndices: true)
        let sampled = try b.sampleLabels(labels, num: 24, positiveFraction: 0.5, seed: 17, counter: step)
        let valid = try b.cast(try b.greaterEqual(sampled, b.scalar(0, .i32)), .f32)
        let foreground = try b.cast(try b.equal(sampled, b.scalar(1, .i32)), .f32)
        let matchedBoxes = try b.gather(try b.reshape(gt, [images * capacity, 4]), indices: matched, axis: 0)
        let targets = try b.stopGradient(try b.boxEncode(anchors: anchors, targets: matchedBoxes))
        let objectness = try b.binaryCrossEntropyWithLogits(logits: logits, targets: foreground, weights: valid, reduction: .sum)
        let regression = try b.smoothL1Loss(deltas, targets, beta: 0, weights: try b.reshape(foreground, [images, n, 1]))
        let loss = try b.mul(try b.add(objectness, regression), b.scalar(1.0 / Double(24 * images)))
        b.output("loss", loss)
        let grads = try b.gradients(of: loss, wrt: [logits, deltas])
        b.output("grad_logits", grads[0])
        b.output("grad_deltas", grads[1])
        b.output("sampled", sampled)

        // Proposals: decode every anchor, keep the top 20 per image by objectness, NMS at 0.7 keeping 8.
        let boxes = try b.boxDecode(anchors: anchors, deltas: deltas)
        let (scores, top) = try b.topK(logits, k: 20, flatIndices: true)
        let candidates = try b.gather(try b.reshape(boxes, [images * n, 4]), indices: top, axis: 0)
        let kept = try b.nms(boxes: candidates, scores: scores, iouThreshold: 0.7, maxOutputs: 8, flatIndices: true)
        b.output("proposals", try b.gather(try b.reshape(candidates, [images * 20, 4]), indices: kept, axis: 0))
        b.output("kept", kept)
        return (b.graph, n)
    }

    @Test("interpreter (unoptimised) and executor (standard pipeline) agree")
    func agree() throws {
        let (graph, n) = try Self.rpnGraph()
        var rng = RandomStream(seed: 5)
        // Two real GT boxes in image 0, one in image 1; the padded slots hold boxes that would match well.
        var gt = randomBoxes(Self.images * Self.capacity, extent: 40, maxSide: 24, rng: &rng)
        gt[(4 * Self.capacity)..<(4 * Self.capacity + 4)] = [8, 8, 30, 26]
        let feeds: [String: HostTensor] = [
            "logits": HostTensor(f32([Self.images, n]), floats: randomFloats(Self.images * n, seed: 6).map { $0 * 3 }),
            "deltas": HostTensor(f32([Self.images, n, 4]), floats: randomFloats(Self.images * n * 4, seed: 7).map { $0 * 0.2 }),
            "gt": HostTensor(f32([Self.images, Self.capacity, 4]), floats: gt),
            "counts": HostTensor(TensorType(.i32, [Self.images]), [2, 1]),
            "step": HostTensor(TensorType(.i32, []), [3]),
        ]
        let expected = try Interpreter(graph: graph).run(feeds)
        let optimised = try Pipeline(StandardPipeline.passes(), environment: [:]).run(graph)
        let got = try Executable(graph: optimised).run(feeds)
        for name in ["sampled", "kept", "proposals"] {
            #expect(got[name]?.data == expected[name]?.data, "\(name)")
        }
        for name in ["loss", "grad_logits", "grad_deltas"] {
            guard let a = got[name], let e = expected[name] else { Issue.record("missing \(name)"); continue }
            let error = zip(a.data, e.data).map { abs($0 - $1) / max(1, abs($1)) }.max() ?? 0
            #expect(error < 1e-4, "\(name): \(error)")
        }
        let sampled = expected["sampled"]?.data ?? []
        #expect(sampled.contains(1) && sampled.contains(0), "the images have foreground and background samples")
        #expect(sampled.filter { $0 >= 0 }.count == 24 * Self.images)
        let kept = expected["kept"]?.data ?? []
        #expect(kept.count == 16 && kept[0] >= 0 && kept[8] >= 20, "each image keeps its best proposal (flat index)")
    }
}
