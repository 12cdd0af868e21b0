// RLE and polygon rasterisation against pycocotools outputs (Fixtures/pycocotools_fixtures.json, produced by
// Fixtures/make_pycocotools_fixtures.py), plus round trips and corrupt-string errors.

import Foundation
import Testing
import KilnData

private let fixtures: [String: Any] = {
    let url = TestData.fixtures.appendingPathComponent("pycocotools_fixtures.json")
    guard let data = try? Data(contentsOf: url),
          let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return [:] }
    return object
}()

private func cases(_ key: String) -> [[String: Any]] { fixtures[key] as? [[String: Any]] ?? [] }
private func doubles(_ value: Any?) -> [Double] { (value as? [Any] ?? []).compactMap { ($0 as? NSNumber)?.doubleValue } }
private func int(_ value: Any?) -> Int { (value as? NSNumber)?.intValue ?? -1 }

@Suite struct RLETests {
    @Test func fixturesArePresent() {
        #expect(cases("polygons").count == 120 && cases("masks").count == 40 && cases("labelme").count == 12)
    }

    @Test func polygonsMatchPycocotools() throws {
        var mismatches: [String] = []
        for (i, c) in cases("polygons").enumerated() {
            let rle = try RLE(polygon: doubles(c["polygon"]), height: int(c["height"]), width: int(c["width"]))
            if rle.compressedCounts != c["counts"] as? String { mismatches.append("polygon \(i)") }
            #expect(rle.area == int(c["area"]))
            #expect(rle.boundingBox == doubles(c["bbox"]))
        }
        #expect(mismatches.isEmpty, "\(mismatches)")
    }

    @Test func masksEncodeAndDecodeLikePycocotools() throws {
        for c in cases("masks") {
            let (h, w) = (int(c["height"]), int(c["width"]))
            let mask = BinaryMask(width: w, height: h, bits: doubles(c["bits"]).map { UInt8($0) })
            let rle = RLE(mask: mask)
            #expect(rle.counts == doubles(c["uncompressed"]).map { UInt32($0) })
            #expect(rle.compressedCounts == c["counts"] as? String)
            #expect(rle.area == int(c["area"]) && rle.area == mask.area)
            #expect(rle.boundingBox == doubles(c["bbox"]) && mask.boundingBox == rle.boundingBox)
            let parsed = try RLE(height: h, width: w, compressed: c["counts"] as? String ?? "")
            #expect(parsed == rle)
            #expect(parsed.decode() == mask)
        }
    }

    @Test func mergesMatchPycocotools() throws {
        for c in cases("merges") {
            let (h, w) = (int(c["height"]), int(c["width"]))
            let a = try RLE(polygon: doubles(c["a"]), height: h, width: w)
            let b = try RLE(polygon: doubles(c["b"]), height: h, width: w)
            #expect(RLE.merge([a, b]).compressedCounts == c["union"] as? String)
            #expect(RLE.merge([a, b], intersect: true).compressedCounts == c["intersection"] as? String)
            #expect(RLE.intersectionArea(a, b) == RLE.merge([a, b], intersect: true).area)
        }
    }

    @Test func iouMatchesPycocotools() throws {
        for c in cases("iou") {
            let (h, w) = (int(c["height"]), int(c["width"]))
            let dt = try (c["dt"] as? [Any] ?? []).map { try RLE(polygon: doubles($0), height: h, width: w) }
            let gt = try (c["gt"] as? [Any] ?? []).map { try RLE(polygon: doubles($0), height: h, width: w) }
            let crowd = doubles(c["crowd"]).map { $0 != 0 }
            let maskIoU = IoU.masks(dt, gt, crowd: crowd)
            let boxIoU = IoU.boxes((c["dtBoxes"] as? [Any] ?? []).map(doubles), (c["gtBoxes"] as? [Any] ?? []).map(doubles),
                                   crowd: crowd)
            for (d, row) in (c["maskIoU"] as? [Any] ?? []).enumerated() {
                for (g, expected) in doubles(row).enumerated() {
                    #expect(abs(maskIoU[d][g] - expected) < 1e-12)
                }
            }
            for (d, row) in (c["boxIoU"] as? [Any] ?? []).enumerated() {
                for (g, expected) in doubles(row).enumerated() {
                    #expect(abs(boxIoU[d][g] - expected) < 1e-12)
                }
            }
        }
    }

    @Test func knownCompressedStrings() throws {
        // Column-major runs of [[0,1,1],[0,1,0]]: 2 zeros, 3 ones, 1 zero; pycocotools encodes it as b'231'.
        let mask = BinaryMask(width: 3, height: 2, bits: [0, 1, 1, 0, 1, 0])
        let rle = RLE(mask: mask)
        #expect(rle.counts == [2, 3, 1])
        #expect(rle.compressedCounts == "231")
        #expect(try RLE(height: 2, width: 3, compressed: "231").decode() == mask)

        // pycocotools: a 40x60 mask with rows 5..<30, columns 10..<50 and pixel (0, 0) set.
        var big = BinaryMask(width: 60, height: 40)
        for y in 5..<30 { for x in 10..<50 { big[x, y] = true } }
        big[0, 0] = true
        let text = "01d<h0kC" + String(repeating: "0", count: 77) + "[<"
        #expect(RLE(mask: big).compressedCounts == text)
        let parsed = try RLE(height: 40, width: 60, compressed: text)
        #expect(parsed.area == 1001 && parsed.boundingBox == [0, 0, 50, 30])
        #expect(parsed.decode() == big)
    }

    @Test func largeCountsRoundTrip() throws {
        let rle = RLE(height: 4000, width: 3000, counts: [5, 11_999_000, 990, 3, 2])
        let text = rle.compressedCounts
        #expect(try RLE(height: 4000, width: 3000, compressed: text) == rle)
    }

    @Test func corruptStringsAreErrors() {
        #expect(throws: DataError.self) { try RLE(height: 2, width: 3, compressed: "23 1") }   // space
        #expect(throws: DataError.self) { try RLE(height: 2, width: 3, compressed: "232") }    // wrong sum
        #expect(throws: DataError.self) { try RLE(height: 2, width: 3, compressed: "23\u{7F}") }
        #expect(throws: DataError.self) { try RLE(height: 2, width: 3, compressed: "o") }     // open continuation
        #expect(throws: DataError.self) { try RLE(height: 2, width: 3, compressed: "oooooooo1") }
        #expect(throws: DataError.self) { try RLE(height: 9, width: 9, compressed: "O") }     // negative count
        #expect(throws: DataError.self) { try RLE(polygon: [0, 0, .nan, 1, 2, 2], height: 4, width: 4) }
        #expect(throws: DataError.self) { try RLE(polygon: [0, 0, 9e7, 1, 2, 9e7], height: 4, width: 4) }
    }
}
