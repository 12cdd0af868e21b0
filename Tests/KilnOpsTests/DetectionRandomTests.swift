// Random cases on odd sizes: NMS and matching on both executors against simple implementations written here
// from torchvision's / detectron2's descriptions (independent of the kernels' own naive references).

import KilnIR
import KilnKernels
import KilnOps
import Testing

/// torchvision's greedy NMS, written plainly: IoU in Float, compared with the threshold in Double.
func simpleNMS(boxes: [Float], scores: [Float], classes: [Int32]?, threshold: Double, maxOutputs: Int) -> [Int] {
    func iou(_ i: Int, _ j: Int) -> Float {
        let b = { (k: Int) in (boxes[4 * k], boxes[4 * k + 1], boxes[4 * k + 2], boxes[4 * k + 3]) }
        let (p, q) = (b(i), b(j))
        let w = max(min(p.2, q.2) - max(p.0, q.0), 0), h = max(min(p.3, q.3) - max(p.1, q.1), 0)
        let inter = w * h
        return inter / ((p.2 - p.0) * (p.3 - p.1) + (q.2 - q.0) * (q.3 - q.1) - inter)
    }
    let order = scores.indices.sorted { scores[$0] > scores[$1] || (scores[$0] == scores[$1] && $0 < $1) }
    var keep: [Int] = []
    for i in order where scores[i] > -.infinity && keep.count < maxOutputs {
        let suppressed = keep.contains { k in (classes == nil || classes?[k] == classes?[i]) && Double(iou(k, i)) > threshold }
        if !suppressed { keep.append(i) }
    }
    return keep + [Int](repeating: -1, count: maxOutputs - keep.count)
}

/// detectron2's Matcher over (anchors, GT) quality restricted to `valid` columns, written plainly.
func simpleMatch(_ q: [Float], n: Int, g: Int, valid: Int, thresholds: [Float], labels: [Int],
                 lowQuality: Bool) -> [Int] {
    if valid == 0 { return (0..<n).flatMap { _ in [0, labels[0]] } }
    var out: [Int] = []
    var best = [Float](repeating: -.infinity, count: valid)
    for j in 0..<valid { for i in 0..<n { best[j] = max(best[j], q[i * g + j]) } }
    for i in 0..<n {
        let row = Array(q[(i * g)..<(i * g + valid)])
        let value = row.max() ?? -.infinity
        let index = row.firstIndex(of: value) ?? 0
        var label = labels[thresholds.filter { value >= $0 }.count]
        if lowQuality && (0..<valid).contains(where: { row[$0] == best[$0] }) { label = 1 }
        out += [index, label]
    }
    return out
}

@Suite("Detection ops: random cases against simple implementations")
struct DetectionRandomTests {
    @Test("nms matches a plain greedy loop", arguments: [(37, 0.5, 17), (101, 0.3, 40), (263, 0.7, 263), (9, 0.5, 3)])
    func nms(n: Int, threshold: Double, maxOutputs: Int) throws {
        var rng = RandomStream(seed: UInt64(n))
        let images = 2
        let boxes = randomBoxes(images * n, rng: &rng)
        // Scores in coarse steps so that ties occur; a few −inf scores mask boxes out.
        let scores = (0..<(images * n)).map { _ in rng.bernoulli(0.05) ? -Float.infinity : Float(rng.below(50)) / 50 }
        let classes = (0..<(images * n)).map { _ in Int32(rng.below(4)) }
        for perClass in [false, true] {
            var feeds = [HostTensor(f32([images, n, 4]), floats: boxes), HostTensor(f32([images, n]), floats: scores)]
            if perClass { feeds.append(HostTensor(TensorType(.i32, [images, n]), classes.map(Double.init))) }
            let (reference, fast) = try DetectionRun.both(feeds) { b, x in
                try b.nms(boxes: x[0], scores: x[1], classes: perClass ? x[2] : nil, iouThreshold: threshold,
                          maxOutputs: maxOutputs, flatIndices: true)
            }
            var expected: [Int] = []
            for image in 0..<images {
                let rows = (image * n)..<((image + 1) * n)
                expected += simpleNMS(boxes: Array(boxes[(4 * rows.lowerBound)..<(4 * rows.upperBound)]),
                                      scores: Array(scores[rows]), classes: perClass ? Array(classes[rows]) : nil,
                                      threshold: threshold, maxOutputs: maxOutputs)
                    .map { $0 >= 0 ? $0 + image * n : $0 }
            }
            #expect(DetectionRun.ints(reference) == expected, "per class: \(perClass)")
            #expect(DetectionRun.ints(fast) == expected, "per class: \(perClass)")
        }
    }

    @Test("match on IoUs of random boxes and on tied qualities", arguments: [(203, 19), (45, 7), (17, 33)])
    func match(n: Int, g: Int) throws {
        var rng = RandomStream(seed: UInt64(n * 100 + g))
        let images = 3
        let counts = [g, 0, Int(rng.below(g))]
        let anchors = randomBoxes(n, rng: &rng), gts = randomBoxes(images * g, rng: &rng)
        let rules: [(thresholds: [Double], labels: [Int], lowQuality: Bool)] = [
            ([0.3, 0.7], [0, -1, 1], true), ([0.4, 0.5], [0, -1, 1], true), ([0.5], [0, 1], false),
        ]
        for rule in rules {
            let attributes: Attributes = ["thresholds": .floats(rule.thresholds), "labels": .ints(rule.labels),
                                          "allow_low_quality": .bool(rule.lowQuality)]
            let countFeed = HostTensor(TensorType(.i32, [images]), counts.map(Double.init))
            // Real IoUs: box_iou of shared anchors against each image's GT boxes, then match.
            let (reference, fast) = try DetectionRun.both([HostTensor(f32([n, 4]), floats: anchors),
                                                           HostTensor(f32([images, g, 4]), floats: gts), countFeed]) { b, x in
                try b.apply(Match.self, [try b.boxIoU(x[0], x[1]), x[2]], attributes)
            }
            #expect(reference.data == fast.data)
            // Quantised qualities: ties everywhere.
            let tied = (0..<(images * n * g)).map { _ in Float(rng.below(6)) / 8 }
            let (tiedReference, tiedFast) = try DetectionRun.both([HostTensor(f32([images, n, g]), floats: tied), countFeed]) { b, x in
                try b.apply(Match.self, x, attributes)
            }
            var expected: [Int] = []
            for image in 0..<images {
                let block = Array(tied[(image * n * g)..<((image + 1) * n * g)])
                expected += simpleMatch(block, n: n, g: g, valid: counts[image], thresholds: rule.thresholds.map { Float($0) },
                                        labels: rule.labels, lowQuality: rule.lowQuality)
            }
            #expect(DetectionRun.ints(tiedReference) == expected)
            #expect(DetectionRun.ints(tiedFast) == expected)
            // The IoU case against the plain matcher, with IoUs from the plain pairwise rule.
            var iouExpected: [Int] = []
            for image in 0..<images {
                let q = BoxOverlap.naivePairwise(anchors, Array(gts[(image * g * 4)..<((image + 1) * g * 4)]))
                iouExpected += simpleMatch(q, n: n, g: g, valid: counts[image], thresholds: rule.thresholds.map { Float($0) },
                                           labels: rule.labels, lowQuality: rule.lowQuality)
            }
            #expect(DetectionRun.ints(reference) == iouExpected)
        }
    }
}
