// Hand-built checks of the selection ops: matching (thresholds, ties, low-quality matches, padded ground truths),
// label sampling (counts, determinism, uniformity) and NMS (threshold equality, classes, score masking).

import KilnIR
import KilnKernels
import KilnOps
import Testing

@Suite("Detection ops: matching, sampling, NMS")
struct DetectionSelectionTests {
    /// 7 anchors × 3 GT columns; the third column is padding (gt_count 2) with IoUs that would otherwise win.
    static let quality = HostTensor(f32([7, 3]), [
        0.80, 0.10, 0.99,
        0.50, 0.50, 0.99,  // tie between GT 0 and 1 → the lower index; 0.5 is between the thresholds → ignore
        0.20, 0.60, 0.00,  // GT 1's best (tied with anchor 4) → a low-quality match
        0.10, 0.25, 0.00,
        0.00, 0.60, 0.00,
        0.70, 0.30, 0.00,  // exactly on the upper threshold → foreground
        0.30, 0.00, 0.00,  // exactly on the lower threshold → ignore
    ])

    func match(_ count: Int32, lowQuality: Bool) throws -> (indices: [Int], labels: [Int]) {
        let counts = HostTensor(TensorType(.i32, []), [Double(count)])
        let (reference, fast) = try DetectionRun.both([Self.quality, counts]) { b, x in
            try b.apply(Match.self, x, ["thresholds": .floats([0.3, 0.7]), "labels": .ints([0, -1, 1]),
                                        "allow_low_quality": .bool(lowQuality)])
        }
        #expect(reference.data == fast.data)
        let pairs = DetectionRun.ints(reference)
        return (stride(from: 0, to: pairs.count, by: 2).map { pairs[$0] }, stride(from: 1, to: pairs.count, by: 2).map { pairs[$0] })
    }

    @Test("match: thresholds, ties, padded GT columns never match")
    func matchPlain() throws {
        let (indices, labels) = try match(2, lowQuality: false)
        #expect(indices == [0, 0, 1, 1, 1, 0, 0])
        #expect(labels == [1, -1, -1, 0, -1, 1, -1])
    }

    @Test("match: low-quality matches include ties and keep the matched index")
    func matchLowQuality() throws {
        let (indices, labels) = try match(2, lowQuality: true)
        #expect(indices == [0, 0, 1, 1, 1, 0, 0])
        #expect(labels == [1, -1, 1, 0, 1, 1, -1])
    }

    @Test("match: an image without ground truth is all background")
    func matchEmpty() throws {
        let (indices, labels) = try match(0, lowQuality: true)
        #expect(indices == [Int](repeating: 0, count: 7))
        #expect(labels == [Int](repeating: 0, count: 7))
    }

    /// Runs sample_labels on one row with the given counter; returns (reference, fast) outputs.
    func sample(_ labels: [Int], num: Int, fraction: Double, seed: Int, counter: Int32) throws -> [Int] {
        let l = HostTensor(TensorType(.i32, [1, labels.count]), labels.map(Double.init))
        let c = HostTensor(TensorType(.i32, []), [Double(counter)])
        let (reference, fast) = try DetectionRun.both([l, c]) { b, x in
            try b.sampleLabels(x[0], num: num, positiveFraction: fraction, seed: seed, counter: x[1])
        }
        #expect(reference.data == fast.data)
        return DetectionRun.ints(reference)
    }

    /// (positives, negatives) available → (positives, negatives) kept with num 256, fraction 0.5.
    @Test("sample_labels: quotas, subsets of the right kind, shortfalls filled with negatives", arguments: [
        [300, 400, 128, 128], [100, 400, 100, 156], [10, 400, 10, 246], [300, 50, 128, 50], [0, 3, 0, 3],
    ])
    func sampleCounts(_ setup: [Int]) throws {
        var labels = [Int](repeating: 1, count: setup[0]) + [Int](repeating: 0, count: setup[1])
            + [Int](repeating: -1, count: 77)
        var rng = RandomStream(seed: 9)
        rng.shuffle(&labels)
        let out = try sample(labels, num: 256, fraction: 0.5, seed: 3, counter: 1)
        #expect(out.filter { $0 == 1 }.count == setup[2])
        #expect(out.filter { $0 == 0 }.count == setup[3])
        for i in labels.indices where out[i] != -1 { #expect(out[i] == labels[i]) }
    }

    @Test("sample_labels: same (seed, counter) repeats, another counter or seed draws differently")
    func sampleDeterminism() throws {
        let labels = (0..<300).map { $0 % 3 == 0 ? 1 : $0 % 3 == 1 ? 0 : -1 }
        let a = try sample(labels, num: 64, fraction: 0.25, seed: 11, counter: 5)
        #expect(try sample(labels, num: 64, fraction: 0.25, seed: 11, counter: 5) == a)
        #expect(try sample(labels, num: 64, fraction: 0.25, seed: 11, counter: 6) != a)
        #expect(try sample(labels, num: 64, fraction: 0.25, seed: 12, counter: 5) != a)
    }

    @Test("sample_labels: every candidate is about equally likely")
    func sampleUniformity() throws {
        let labels = [Int](repeating: 1, count: 20) + [Int](repeating: 0, count: 20)
        var hits = [Int](repeating: 0, count: labels.count)
        for counter in 0..<400 {
            let out = LabelSampling.naive(labels: labels, base: 0, num: 10, positiveFraction: 0.5, seed: 21,
                                          stream: UInt64(counter))
            for i in out.indices where out[i] != -1 { hits[i] += 1 }
        }
        // 5 of 20 per kind → expected 100 hits each over 400 draws; ±40 is > 4.5 standard deviations.
        #expect(hits.allSatisfy { (60...140).contains($0) }, "\(hits)")
    }

    func nms(_ boxes: [Float], _ scores: [Float], classes: [Int32]? = nil, threshold: Double,
             scoreThreshold: Double = -.infinity, maxOutputs: Int = 6) throws -> [Int] {
        let n = scores.count
        var feeds = [HostTensor(f32([n, 4]), floats: boxes), HostTensor(f32([n]), floats: scores)]
        if let classes { feeds.append(HostTensor(TensorType(.i32, [n]), classes.map(Double.init))) }
        let (reference, fast) = try DetectionRun.both(feeds) { b, x in
            try b.nms(boxes: x[0], scores: x[1], classes: x.count > 2 ? x[2] : nil, iouThreshold: threshold,
                      maxOutputs: maxOutputs, scoreThreshold: scoreThreshold)
        }
        #expect(reference.data == fast.data)
        return DetectionRun.ints(reference)
    }

    static let boxes: [Float] = [0, 0, 10, 10,    // 0: best
                                 1, 1, 11, 11,    // 1: IoU 81/119 with box 0
                                 20, 20, 30, 30,  // 2: apart
                                 0, 0, 10, 10,    // 3: a copy of box 0
                                 0, 0, 10, 20,    // 4: IoU exactly 0.5 with box 0
                                 21, 21, 31, 31]  // 5: masked by a −inf score
    static let scores: [Float] = [0.9, 0.8, 0.7, 0.6, 0.5, -.infinity]

    @Test("nms: greedy in score order, IoU equal to the threshold is kept, −inf scores never kept")
    func nmsAgnostic() throws {
        #expect(try nms(Self.boxes, Self.scores, threshold: 0.5) == [0, 2, 4, -1, -1, -1])
        #expect(try nms(Self.boxes, Self.scores, threshold: 0.7) == [0, 1, 2, 4, -1, -1])
        #expect(try nms(Self.boxes, Self.scores, threshold: 0.5, scoreThreshold: 0.65) == [0, 2, -1, -1, -1, -1])
        #expect(try nms(Self.boxes, Self.scores, threshold: 0.5, maxOutputs: 2) == [0, 2])
    }

    @Test("nms: boxes of different classes do not suppress each other")
    func nmsPerClass() throws {
        #expect(try nms(Self.boxes, Self.scores, classes: [0, 0, 0, 1, 1, 1], threshold: 0.5) == [0, 2, 3, 4, -1, -1])
    }

    @Test("nms: equal scores are visited by lower index")
    func nmsTies() throws {
        #expect(try nms([0, 0, 10, 10, 0, 0, 10, 10, 1, 0, 11, 10], [0.5, 0.5, 0.5], threshold: 0.5) == [0, -1, -1, -1, -1, -1])
    }
}
