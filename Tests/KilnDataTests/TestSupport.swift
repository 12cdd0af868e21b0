// Shared helpers for KilnData tests: locations of the files Debian packages install (scripts/setup installs
// labelme-examples and dataset-fashion-mnist), fixture paths relative to this file, a minimal .npy reader and
// the PASCAL VOC colour map used by labelme's label PNGs.

import Foundation
import KilnData

enum TestData {
    static let labelme = URL(fileURLWithPath: "/usr/share/doc/labelme-examples/examples")
    static let cocoRoot = labelme.appendingPathComponent("instance_segmentation/data_dataset_coco")
    static let cocoJSON = cocoRoot.appendingPathComponent("annotations.json")
    static let vocRoot = labelme.appendingPathComponent("instance_segmentation/data_dataset_voc")
    static let fashionMNIST = URL(fileURLWithPath: "/usr/share/datasets/fashion-mnist")
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    /// A fresh empty temporary folder.
    static func temporaryDirectory(_ tag: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("kilndata-tests-\(tag)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}

/// Reads a little-endian int32, C-order 2-D .npy file (what labelme writes for label maps).
func readNpyInt32(_ url: URL) throws -> (shape: [Int], values: [Int32]) {
    let bytes = [UInt8](try Data(contentsOf: url))
    let headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
    let header = String(decoding: bytes[10..<(10 + headerLength)], as: UTF8.self)
    guard header.contains("'<i4'"), header.contains("'fortran_order': False"),
          let open = header.firstIndex(of: "("), let close = header.firstIndex(of: ")") else {
        throw DataError(.format, file: url.path, "unsupported npy header \(header)")
    }
    let shape = header[header.index(after: open)..<close].split(separator: ",")
        .compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
    let body = Array(bytes[(10 + headerLength)...])
    var values = [Int32](repeating: 0, count: body.count / 4)
    for i in values.indices {
        values[i] = Int32(bitPattern: UInt32(body[4 * i]) | UInt32(body[4 * i + 1]) << 8
                          | UInt32(body[4 * i + 2]) << 16 | UInt32(body[4 * i + 3]) << 24)
    }
    return (shape, values)
}

/// PASCAL VOC colour of a label: bits of the label spread over the high bits of R, G and B.
func vocColor(_ label: Int) -> [UInt8] {
    var r = 0, g = 0, b = 0, c = label
    for shift in stride(from: 7, through: 0, by: -1) {
        r |= (c & 1) << shift
        g |= ((c >> 1) & 1) << shift
        b |= ((c >> 2) & 1) << shift
        c >>= 3
    }
    return [UInt8(r), UInt8(g), UInt8(b)]
}

/// FNV-1a over bytes: a stable checksum for golden tests.
func fnv1a(_ bytes: [UInt8]) -> UInt64 {
    var hash: UInt64 = 0xCBF2_9CE4_8422_2325
    for b in bytes { hash = (hash ^ UInt64(b)) &* 0x100_0000_01B3 }
    return hash
}

/// FNV-1a over the bit patterns of floats.
func fnv1a(_ floats: [Float]) -> UInt64 {
    var hash: UInt64 = 0xCBF2_9CE4_8422_2325
    for f in floats {
        var bits = f.bitPattern
        for _ in 0..<4 { hash = (hash ^ UInt64(bits & 0xFF)) &* 0x100_0000_01B3; bits >>= 8 }
    }
    return hash
}
