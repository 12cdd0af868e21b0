// Fashion scenes: byte-identical regeneration, exact and consistent annotations, atomic caching, single items.
// The full-size acceptance run (10,000 scenes twice, < 30 s each) is enabled with KILN_SLOW_TESTS=1.

import Foundation
import Testing
import KilnData

/// FNV-1a of every file under `folder`, keyed by relative path.
private func digest(_ folder: URL) throws -> [String: UInt64] {
    var result: [String: UInt64] = [:]
    let enumerator = FileManager.default.enumerator(atPath: folder.path)
    while let path = enumerator?.nextObject() as? String {
        let url = folder.appendingPathComponent(path)
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), !isDirectory.boolValue {
            result[path] = fnv1a([UInt8](try Data(contentsOf: url)))
        }
    }
    return result
}

@Suite struct ScenesTests {
    @Test func regenerationIsByteIdentical() throws {
        let root = try TestData.temporaryDirectory("scenes")
        defer { try? FileManager.default.removeItem(at: root) }
        let a = try FashionScenes.generate(count: 120, seed: 3, out: root.appendingPathComponent("a"))
        try FashionScenes.generate(count: 120, seed: 3, out: root.appendingPathComponent("b"))
        try FashionScenes.generate(count: 120, seed: 4, out: root.appendingPathComponent("c"))
        let digestA = try digest(a.directory)
        #expect(digestA.count == 121)
        let digestB = try digest(root.appendingPathComponent("b")), digestC = try digest(root.appendingPathComponent("c"))
        #expect(digestA == digestB)
        #expect(digestA["annotations.json"] != digestC["annotations.json"])
    }

    @Test func annotationsAreExactAndConsistent() throws {
        let root = try TestData.temporaryDirectory("scenes-check")
        defer { try? FileManager.default.removeItem(at: root) }
        let summary = try FashionScenes.generate(count: 60, seed: 11, size: 64, out: root)
        let dataset = try COCODataset.load(root.appendingPathComponent("annotations.json"))
        #expect(dataset.images.count == 60 && dataset.annotations.count == summary.annotations)
        #expect(dataset.categories.map(\.id) == Array(1...10) && dataset.categories[9].name == "Ankle boot")
        #expect(dataset.report == COCOLoadReport() || dataset.report.imagesWithoutAnnotations > 0)
        var perImage: [Int] = []
        for (index, image) in dataset.images.enumerated() {
            let annotations = dataset.annotations(forImageID: image.id)
            perImage.append(annotations.count)
            #expect(annotations.count <= 6)
            var covered = [UInt8](repeating: 0, count: 64 * 64)
            for annotation in annotations {
                let rle = try #require(try annotation.rle(height: 64, width: 64))
                let mask = rle.decode()
                #expect(Double(mask.area) == annotation.area && mask.area >= 4)
                #expect(mask.boundingBox == annotation.bbox)
                #expect((1...10).contains(annotation.categoryID) && !annotation.isCrowd)
                for i in covered.indices where mask.bits[i] != 0 { covered[i] += 1 }
            }
            #expect(covered.allSatisfy { $0 <= 1 }, "masks of image \(index) overlap")
            if index < 5 {
                let decoded = try dataset.loadImage(at: index)
                #expect(decoded.width == 64 && decoded.height == 64 && decoded.channels == 3)
            }
        }
        #expect(perImage.reduce(0, +) > 60 * 2)  // 2–6 items are placed; few are fully hidden
    }

    @Test func cacheIsBuiltOnceAndAtomically() throws {
        let root = try TestData.temporaryDirectory("cache")
        defer { try? FileManager.default.removeItem(at: root) }
        let first = try FashionScenes.ensureCached(count: 20, seed: 1, size: 48, cacheRoot: root)
        #expect(first.lastPathComponent == "scenes-v\(FashionScenes.version)-48-1-20")
        let stamp = try FileManager.default.attributesOfItem(atPath: first.appendingPathComponent("annotations.json").path)[.modificationDate] as? Date
        let second = try FashionScenes.ensureCached(count: 20, seed: 1, size: 48, cacheRoot: root)
        #expect(second == first)
        let again = try FileManager.default.attributesOfItem(atPath: second.appendingPathComponent("annotations.json").path)[.modificationDate] as? Date
        #expect(stamp == again)
        #expect(try FileManager.default.contentsOfDirectory(atPath: root.path) == [first.lastPathComponent])
    }

    @Test func badParametersAreErrors() {
        let out = URL(fileURLWithPath: "/tmp/kiln-never-written")
        #expect(throws: DataError.self) { try FashionScenes.generate(count: 0, seed: 0, out: out) }
        #expect(throws: DataError.self) { try FashionScenes.generate(count: 5, seed: 0, size: 8, out: out) }
        #expect(!FileManager.default.fileExists(atPath: out.path))
    }

    @Test func singleItemsForEvaluation() throws {
        let items = try FashionItems(split: .test, size: 40, seed: 2)
        #expect(items.count == 10000 && items.label(at: 0) == 9)
        let image = try items.loadImage(at: 0)
        #expect(image.width == 40 && image.channels == 3)
        let again = try items.loadImage(at: 0), other = try items.loadImage(at: 1)
        #expect(image == again && image != other)
        // The item is centred: the centre pixel differs from the corner (background) pixel.
        #expect((0..<3).map { image[20, 20, $0] } != (0..<3).map { image[0, 0, $0] })
    }

    @Test(.enabled(if: ProcessInfo.processInfo.environment["KILN_SLOW_TESTS"] == "1"))
    func tenThousandScenesUnderThirtySecondsAndIdentical() throws {
        let root = try TestData.temporaryDirectory("scenes-10k")
        defer { try? FileManager.default.removeItem(at: root) }
        let a = try FashionScenes.generate(count: 10_000, seed: 0, out: root.appendingPathComponent("a"))
        let b = try FashionScenes.generate(count: 10_000, seed: 0, out: root.appendingPathComponent("b"))
        print("scenes: 10,000 in \(a.seconds) s and \(b.seconds) s; \(a.annotations) annotations")
        #expect(a.seconds < 30 && b.seconds < 30)
        let (digestA, digestB) = (try digest(a.directory), try digest(b.directory))
        #expect(digestA == digestB && digestA.count == 10_001)
    }
}
