// Fuzz test: thousands of deterministically mutated JPEG, PNG, JSON and gzip/IDX inputs (bit flips, byte
// overwrites with boundary values, truncations, insertions, deletions, splices, and token-level JSON edits).
// Every input must either load or throw a `DataError`; a crash fails the run. Loaded COCO files are also
// rasterised, so corrupt coordinates reach the polygon code.

import Foundation
import Testing
import KilnData
import KilnKernels

struct Mutator {
    var rng: RandomStream

    mutating func mutate(_ input: [UInt8], json: Bool) -> [UInt8] {
        var bytes = input
        let rounds = 1 + rng.below(4)
        for _ in 0..<rounds where !bytes.isEmpty {
            switch rng.below(json ? 8 : 7) {
            case 0:  // bit flips
                for _ in 0..<(1 + rng.below(8)) { bytes[rng.below(bytes.count)] ^= UInt8(1 << rng.below(8)) }
            case 1:  // boundary values
                let values: [UInt8] = [0x00, 0xFF, 0x7F, 0x80, 0x01, 0xFE]
                for _ in 0..<(1 + rng.below(4)) { bytes[rng.below(bytes.count)] = values[rng.below(values.count)] }
            case 2:  // truncate
                bytes = Array(bytes.prefix(rng.below(bytes.count)))
            case 3:  // insert random bytes
                let at = rng.below(bytes.count + 1)
                bytes.insert(contentsOf: (0..<(1 + rng.below(16))).map { _ in UInt8(truncatingIfNeeded: rng.next()) }, at: at)
            case 4:  // delete a range
                let start = rng.below(bytes.count)
                bytes.removeSubrange(start..<min(bytes.count, start + 1 + rng.below(64)))
            case 5:  // duplicate a chunk somewhere else
                let start = rng.below(bytes.count)
                let chunk = Array(bytes[start..<min(bytes.count, start + 1 + rng.below(256))])
                bytes.insert(contentsOf: chunk, at: rng.below(bytes.count + 1))
            case 6:  // overwrite a header byte (formats keep their sizes and lengths near the start)
                bytes[rng.below(min(bytes.count, 64))] = UInt8(truncatingIfNeeded: rng.next())
            default:  // JSON token edit: replace a few characters after a key with JSON-ish noise
                let keys = ["bbox", "segmentation", "counts", "size", "image_id", "category_id", "\"id", "width",
                            "height", "iscrowd", "area", "file_name", "images", "annotations", "categories"]
                let key = Array(keys[rng.below(keys.count)].utf8)
                let alphabet = Array("0123456789-.eE+[]{}\":,nulltruefalse ".utf8)
                if let at = find(key, in: bytes, from: rng.below(bytes.count)) {
                    let start = min(bytes.count, at + key.count + 2)
                    let end = min(bytes.count, start + 1 + rng.below(10))
                    for i in start..<end { bytes[i] = alphabet[rng.below(alphabet.count)] }
                }
            }
        }
        return bytes
    }

    /// Structure-aware JSON mutation: parse, change one node (replace a value by a value of another kind or an
    /// extreme number, drop an object member, drop or duplicate an array element), serialise.
    mutating func mutateTree(_ input: [UInt8]) -> [UInt8] {
        guard let tree = try? JSONParser.parse(input) else { return mutate(input, json: true) }
        var mutated = tree
        for _ in 0..<(1 + rng.below(3)) {
            var target = rng.below(Self.nodeCount(mutated))
            mutated = mutateNode(mutated, target: &target) ?? .null
        }
        return Array(mutated.serialized().utf8)
    }

    private static func nodeCount(_ value: JSONValue) -> Int {
        switch value {
        case .array(let items): return 1 + items.reduce(0) { $0 + nodeCount($1) }
        case .object(let members): return 1 + members.reduce(0) { $0 + nodeCount($1.1) }
        default: return 1
        }
    }

    /// Walks in pre-order; the node reached when `target` hits zero is replaced (nil = delete it).
    private mutating func mutateNode(_ value: JSONValue, target: inout Int) -> JSONValue? {
        if target == 0 {
            target = -1
            let replacements: [JSONValue] = [.null, .bool(true), .int(-1), .int(0), .int(7), .int(1 << 40), .number(-1e300),
                                             .number(0.5), .number(1e15), .string(""), .string("x"), .array([]),
                                             .array([.int(1), .int(2), .int(3)]), .object([])]
            return rng.below(5) == 0 ? nil : replacements[rng.below(replacements.count)]
        }
        target -= 1
        switch value {
        case .array(var items):
            var i = 0
            while i < items.count && target >= 0 {
                let before = target
                if let child = mutateNode(items[i], target: &target) { items[i] = child } else { items.remove(at: i); continue }
                if before >= 0 && target < 0 && rng.below(4) == 0 { items.insert(items[min(i, items.count - 1)], at: i) }
                i += 1
            }
            return .array(items)
        case .object(var members):
            var i = 0
            while i < members.count && target >= 0 {
                if let child = mutateNode(members[i].1, target: &target) { members[i].1 = child } else { members.remove(at: i); continue }
                i += 1
            }
            return .object(members)
        default:
            return value
        }
    }

    private func find(_ needle: [UInt8], in haystack: [UInt8], from start: Int) -> Int? {
        guard needle.count <= haystack.count else { return nil }
        for offset in 0...(haystack.count - needle.count) {
            let i = (start + offset) % (haystack.count - needle.count + 1)
            if haystack[i..<(i + needle.count)].elementsEqual(needle) { return i }
        }
        return nil
    }
}

@Suite struct FuzzTests {
    struct Tally { var loaded = 0; var rejected = 0 }

    private func run(_ seeds: [[UInt8]], cases: Int, stream: UInt64, json: Bool, _ body: ([UInt8]) throws -> Void) -> Tally {
        var mutator = Mutator(rng: RandomStream(seed: 0xF022, stream: stream))
        var tally = Tally()
        for i in 0..<cases {
            let seed = seeds[i % seeds.count]
            // JSON: two thirds structure-aware (reaches validation), one third raw bytes (reaches the parser).
            let input = json && i % 3 != 0 ? mutator.mutateTree(seed) : mutator.mutate(seed, json: json)
            do {
                try body(input)
                tally.loaded += 1
            } catch let error as DataError {
                #expect(error.file.hasPrefix("fuzz"), "error without the file name: \(error)")
                tally.rejected += 1
            } catch {
                Issue.record("case \(i): unexpected error type \(type(of: error)): \(error)")
            }
        }
        return tally
    }

    @Test func mutatedImagesLoadOrFailCleanly() throws {
        let jpegNames = ["2011_000003.jpg", "2011_000006.jpg", "2011_000025.jpg"]
        var jpegs = try jpegNames.map { [UInt8](try Data(contentsOf: TestData.cocoRoot.appendingPathComponent("JPEGImages/\($0)"))) }
        jpegs.append(try JPEG.encode(Image(width: 33, height: 17, channels: 1, fill: [90]), quality: 80))
        let jpegTally = run(jpegs, cases: 500, stream: 1, json: false) { bytes in
            let image = try ImageIO.decode(bytes, file: "fuzz.jpg")
            #expect(image.pixels.count == image.width * image.height * image.channels)
        }
        var pngs = try ["2011_000003", "2011_000006"].map {
            [UInt8](try Data(contentsOf: TestData.vocRoot.appendingPathComponent("SegmentationObjectPNG/\($0).png")))
        }
        pngs.append(try PNG.encode(try ImageIO.load(TestData.cocoRoot.appendingPathComponent("JPEGImages/2011_000006.jpg"))
            .cropped(x: 100, y: 100, width: 120, height: 90)))
        pngs.append(try PNG.encode(Image(width: 40, height: 30, channels: 1, fill: [200]), fast: true))
        let pngTally = run(pngs, cases: 500, stream: 2, json: false) { bytes in
            let image = try ImageIO.decode(bytes, file: "fuzz.png")
            #expect(image.pixels.count == image.width * image.height * image.channels)
        }
        print("fuzz: JPEG \(jpegTally.loaded) loaded / \(jpegTally.rejected) rejected; PNG \(pngTally.loaded) / \(pngTally.rejected)")
        #expect(jpegTally.loaded + jpegTally.rejected == 500 && pngTally.loaded + pngTally.rejected == 500)
        #expect(jpegTally.rejected > 50 && pngTally.rejected > 100)
    }

    @Test func mutatedCOCOFilesLoadOrFailCleanly() throws {
        let labelme = [UInt8](try Data(contentsOf: TestData.cocoJSON))
        let crowd = #"{"images":[{"id":1,"file_name":"a.png","width":12,"height":9}],"categories":[{"id":4,"name":"x"}],"annotations":[{"id":1,"image_id":1,"category_id":4,"bbox":[1,1,5,5],"iscrowd":1,"segmentation":{"size":[9,12],"counts":[10,5,93]}},{"id":2,"image_id":1,"category_id":4,"bbox":[2,2,3,3],"segmentation":{"size":[9,12],"counts":"52d01"}}]}"#
        let root = URL(fileURLWithPath: "/tmp")
        for skip in [false, true] {
            let tally = run([labelme, Array(crowd.utf8)], cases: 600, stream: skip ? 4 : 3, json: true) { bytes in
                let dataset = try COCODataset.parse(bytes, file: "fuzz.json", imageRoot: root,
                                                    options: COCOLoadOptions(skipInvalidAnnotations: skip))
                for annotation in dataset.annotations.prefix(4) {
                    guard let image = dataset.images.first(where: { $0.id == annotation.imageID }) else { continue }
                    if let rle = try annotation.rle(height: image.height, width: image.width, file: dataset.sourceFile) {
                        #expect(rle.counts.reduce(0) { $0 + Int($1) } == image.width * image.height)
                    }
                }
            }
            print("fuzz: COCO JSON (skip \(skip)) \(tally.loaded) loaded / \(tally.rejected) rejected")
            #expect(tally.loaded + tally.rejected == 600 && tally.rejected > 50 && tally.loaded > (skip ? 100 : 10))
        }
    }

    @Test func mutatedIDXFilesLoadOrFailCleanly() {
        let idx = IDX.encodeUInt8(shape: [3, 4, 5], values: (0..<60).map { UInt8($0) })
        let tally = run([idx, Gzip.compress(idx)], cases: 300, stream: 5, json: false) { bytes in
            let array = try IDX.parse(bytes, file: "fuzz.idx")
            #expect(array.bytes.count == array.count * array.elementType.byteSize)
        }
        #expect(tally.loaded + tally.rejected == 300 && tally.rejected > 50)
    }
}
