// Dataset tests: IDX parsing (gzip and plain), Fashion-MNIST from the Debian package, image folders.
// Reference statistics of Fashion-MNIST were computed independently with Python's gzip and NumPy.

import Foundation
import Testing
import KilnData

@Suite struct IDXTests {
    @Test func readsFashionMNISTTrainImages() throws {
        let images = try IDX.read(TestData.fashionMNIST.appendingPathComponent("train-images-idx3-ubyte.gz"))
        #expect(images.shape == [60000, 28, 28])
        #expect(images.elementType == .uint8)
        #expect(images.bytes.reduce(0) { $0 + Int($1) } == 3_431_114_169)
        // Row 14 of the first training image (an ankle boot).
        #expect(Array(images.bytes[(14 * 28)..<(15 * 28)]) == [0, 0, 1, 4, 6, 7, 2, 0, 0, 0, 0, 0, 237, 226, 217,
                                                               223, 222, 219, 222, 221, 216, 223, 229, 215, 218,
                                                               255, 77, 0])
    }

    @Test func plainAndGzipFilesAgree() throws {
        let bytes = IDX.encodeUInt8(shape: [2, 3], values: [1, 2, 3, 4, 5, 6])
        let plain = try IDX.parse(bytes)
        let zipped = try IDX.parse(Gzip.compress(bytes))
        #expect(plain.shape == [2, 3] && plain.bytes == [1, 2, 3, 4, 5, 6])
        #expect(zipped.shape == plain.shape && zipped.bytes == plain.bytes)
    }

    @Test func badHeadersAreErrors() throws {
        let good = IDX.encodeUInt8(shape: [2, 3], values: [1, 2, 3, 4, 5, 6])
        let cases: [([UInt8], String)] = [
            ([0, 0], "need at least 4"),
            ([1, 0, 8, 1, 0, 0, 0, 1, 7], "bad magic"),
            ([0, 0, 0x42, 1, 0, 0, 0, 1, 7], "unknown element type"),
            (Array(good.dropLast()), "needs 6 data bytes, file has 5"),
            ([0, 0, 8, 2, 0, 0], "header bytes"),
        ]
        for (bytes, expected) in cases {
            let error = #expect(throws: DataError.self) { try IDX.parse(bytes, file: "f.idx") }
            #expect(error?.message.contains(expected) == true, "\(String(describing: error))")
        }
    }
}

@Suite struct FashionMNISTTests {
    @Test func trainSplitMatchesReference() throws {
        let train = try FashionMNIST.load(split: .train)
        #expect(train.count == 60000 && train.rows == 28 && train.columns == 28)
        #expect(Array(train.labels.prefix(10)) == [9, 0, 0, 3, 0, 2, 7, 2, 5, 5])
        var perClass = [Int](repeating: 0, count: 10)
        for label in train.labels { perClass[Int(label)] += 1 }
        #expect(perClass == [Int](repeating: 6000, count: 10))
        let first = train.image(at: 0)
        #expect(first.width == 28 && first.channels == 1)
        #expect(first.pixels.reduce(0) { $0 + Int($1) } == 76247)
        #expect(FashionMNIST.classNames[train.label(at: 0)] == "Ankle boot")
    }

    @Test func testSplitMatchesReference() throws {
        let test = try FashionMNIST.load(split: .test)
        #expect(test.count == 10000)
        #expect(Array(test.labels.prefix(10)) == [9, 2, 1, 1, 6, 1, 4, 6, 5, 7])
        #expect(test.pixels.reduce(0) { $0 + Int($1) } == 573_469_082)
        #expect(test.image(at: 9999).pixels.reduce(0) { $0 + Int($1) } == 24390)
    }

    @Test func missingDirectoryIsAClearError() {
        let error = #expect(throws: DataError.self) {
            try FashionMNIST.load(split: .train, directory: URL(fileURLWithPath: "/nonexistent"))
        }
        #expect(error?.description.contains("dataset-fashion-mnist") == true)
    }
}

@Suite struct ImageFolderTests {
    @Test func classAndFlatLayouts() throws {
        let root = try TestData.temporaryDirectory("folder")
        defer { try? FileManager.default.removeItem(at: root) }
        let red = Image(width: 4, height: 3, channels: 3, fill: [255, 0, 0])
        try ImageIO.save(red, to: root.appendingPathComponent("cats/b.png"))
        try ImageIO.save(red, to: root.appendingPathComponent("cats/deeper/a.png"))
        try ImageIO.save(red, to: root.appendingPathComponent("dogs/z.jpg"))
        try Data("not an image".utf8).write(to: root.appendingPathComponent("dogs/readme.txt"))
        let folder = try ImageFolder(root: root)
        #expect(folder.classNames == ["cats", "dogs"])
        #expect(folder.entries.map { $0.url.lastPathComponent } == ["b.png", "a.png", "z.jpg"])
        #expect(folder.entries.map(\.label) == [0, 0, 1])
        #expect(try folder.load(0) == red)

        let flat = try ImageFolder(root: root.appendingPathComponent("cats/deeper"))
        #expect(flat.classNames.isEmpty && flat.count == 1 && flat.entries[0].label == nil)

        try ImageIO.save(red, to: root.appendingPathComponent("stray.png"))
        #expect(throws: DataError.self) { try ImageFolder(root: root) }
        #expect(throws: DataError.self) { try ImageFolder(root: root.appendingPathComponent("none")) }
    }
}
