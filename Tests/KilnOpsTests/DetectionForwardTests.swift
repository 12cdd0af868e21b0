// Forward checks of the detection ops against values computed by hand from detectron2's / torchvision's
// formulas, on both the reference interpreter and the fast executor.

import Foundation
import KilnIR
import KilnKernels
import KilnOps
import Testing

@Suite("Detection ops: hand-computed values")
struct DetectionForwardTests {
    @Test("anchors follow DefaultAnchorGenerator: cell anchors, shifts, (y, x, anchor) order")
    func anchors() throws {
        let (reference, fast) = try DetectionRun.both([]) { b, _ in
            try b.anchors(featureSize: [2, 3], stride: 16, sizes: [32, 64], aspectRatios: [0.5, 1, 2])
        }
        #expect(reference.shape == [2 * 3 * 6, 4])
        #expect(reference.data == fast.data)
        // Cell anchors by hand: size s, ratio r → w = sqrt(s² / r), h = r · w, centred at 0.
        var cell: [[Double]] = []
        for s in [32.0, 64.0] {
            for r in [0.5, 1.0, 2.0] {
                let w = (s * s / r).squareRoot(), h = r * w
                cell.append([-w / 2, -h / 2, w / 2, h / 2])
            }
        }
        #expect(cell[0].map { Float($0) } == [-22.627417, -11.313708, 22.627417, 11.313708])
        for y in 0..<2 {
            for x in 0..<3 {
                for a in 0..<6 {
                    let row = (y * 3 + x) * 6 + a
                    let expected = [16.0 * Double(x), 16.0 * Double(y), 16.0 * Double(x), 16.0 * Double(y)]
                    for k in 0..<4 {
                        #expect(Float(reference.data[4 * row + k]) == Float(expected[k]) + Float(cell[a][k]))
                    }
                }
            }
        }
        // Row (1 · 3 + 2) · 6 + 1 is (y = 1, x = 2, size 32, ratio 1): (32 − 16, 16 − 16, 32 + 16, 16 + 16).
        #expect(Array(reference.data[(4 * 31)..<(4 * 32)]) == [16, 0, 48, 32])
    }

    @Test("anchors with offset 0.5 and several levels concatenate in level order")
    func multiLevelAnchors() throws {
        let levels = [AnchorLevel(featureSize: [2, 2], stride: 8, sizes: [16]), AnchorLevel(featureSize: [1, 1], stride: 16, sizes: [32])]
        let (reference, fast) = try DetectionRun.both([]) { b, _ in
            try b.multiLevelAnchors(levels, aspectRatios: [1], offset: 0.5)
        }
        #expect(reference.data == fast.data)
        // Level 0: centres (4 + 8x, 4 + 8y), half size 8; level 1: centre (8, 8), half size 16.
        #expect(reference.data == [-4, -4, 12, 12, 4, -4, 20, 12, -4, 4, 12, 20, 4, 4, 20, 20, -8, -8, 24, 24])
    }

    @Test("box_iou: pairwise_iou values, touching, contained, padded zero boxes")
    func boxIoU() throws {
        let a = HostTensor(f32([3, 4]), [0, 0, 10, 10, 2, 2, 4, 4, 0, 0, 0, 0])
        let b = HostTensor(f32([4, 4]), [5, 5, 15, 15, 10, 0, 20, 10, 0, 0, 10, 10, 0, 0, 0, 0])
        let (reference, fast) = try DetectionRun.both([a, b]) { g, x in try g.boxIoU(x[0], x[1]) }
        let expected: [Float] = [25.0 / 175, 0, 1, 0,
                                 0, 0, 4.0 / 100, 0,
                                 0, 0, 0, 0]
        #expect(reference.data.map { Float($0) } == expected)
        #expect(fast.data.map { Float($0) } == expected)
    }

    @Test("box_encode / box_decode: hand values, round trip, clamp")
    func boxCoding() throws {
        let anchors = HostTensor(f32([2, 4]), [0, 0, 10, 20, 4, 4, 8, 6])
        let targets = HostTensor(f32([2, 4]), [2, 4, 12, 24, 3, 5, 11, 6])
        let (encoded, fastEncoded) = try DetectionRun.both([anchors, targets]) { b, x in
            try b.boxEncode(anchors: x[0], targets: x[1], weights: [10, 10, 5, 5])
        }
        // Anchor 0: w 10, h 20, centre (5, 10); target centre (7, 14), same size.
        #expect(Array(encoded.data[0..<4]) == [2, 2, 0, 0])
        // Anchor 1: w 4, h 2, centre (6, 5); target w 8, h 1, centre (7, 5.5).
        let second: [Float] = [10 * 1 / 4, 10 * 0.5 / 2, 5 * Foundation.log(Float(2)), 5 * Foundation.log(Float(0.5))]
        for k in 0..<4 { #expect(abs(Float(encoded.data[4 + k]) - second[k]) < 1e-5) }
        for k in 0..<8 { #expect(abs(encoded.data[k] - fastEncoded.data[k]) < 1e-5) }

        let (decoded, fastDecoded) = try DetectionRun.both([anchors, encoded]) { b, x in
            try b.boxDecode(anchors: x[0], deltas: x[1], weights: [10, 10, 5, 5])
        }
        for k in 0..<8 {
            #expect(abs(decoded.data[k] - targets.data[k]) < 1e-4)
            #expect(abs(fastDecoded.data[k] - targets.data[k]) < 1e-4)
        }
        // dw = 100 is clamped at log(1000/16): width 10 · 62.5 = 625 around centre 5.
        let huge = HostTensor(f32([1, 4]), [0, 0, 100, 0])
        let (clamped, fastClamped) = try DetectionRun.both([HostTensor(f32([1, 4]), [0, 0, 10, 20]), huge]) { b, x in
            try b.boxDecode(anchors: x[0], deltas: x[1])
        }
        #expect(abs(clamped.data[0] - (5 - 312.5)) < 1e-3 && abs(clamped.data[2] - (5 + 312.5)) < 1e-3)
        #expect(clamped.data[1] == 0 && clamped.data[3] == 20)
        #expect(clamped.data == fastClamped.data)
    }

    @Test("top_k: descending, ties by lower index, NaN largest, flat indices")
    func topK() throws {
        let x = HostTensor(f32([2, 6]), [3, 1, 3, .nan, 2, 3, -0.0, 0, -1, 5, 0, 5])
        let (reference, fast) = try DetectionRun.both([x]) { b, v in try b.apply(TopK.self, v, ["k": .int(4)]) }
        #expect(DetectionRun.ints(reference) == [3, 0, 2, 5, 3, 5, 0, 1])
        #expect(reference.data == fast.data)
        let (flat, fastFlat) = try DetectionRun.both([x]) { b, v in try b.topK(v[0], k: 2, flatIndices: true).indices }
        #expect(DetectionRun.ints(flat) == [3, 0, 9, 11])
        #expect(flat.data == fastFlat.data)
    }
}
