// The IDX format of MNIST and Fashion-MNIST: a 4-byte magic (0, 0, element type, rank), `rank` big-endian UInt32
// dimensions, then the elements in row-major order. Files may be gzip-compressed (detected by magic bytes).

import Foundation

/// A decoded IDX array: its shape, element type and the raw (big-endian) element bytes.
public struct IDXArray: Sendable {
    /// IDX element types (the third magic byte).
    public enum ElementType: UInt8, Sendable {
        case uint8 = 0x08, int8 = 0x09, int16 = 0x0B, int32 = 0x0C, float32 = 0x0D, float64 = 0x0E

        /// Size of one element in bytes.
        public var byteSize: Int {
            switch self {
            case .uint8, .int8: return 1
            case .int16: return 2
            case .int32, .float32: return 4
            case .float64: return 8
            }
        }
    }

    public var shape: [Int]
    public var elementType: ElementType
    /// Element bytes exactly as stored (multi-byte types are big-endian).
    public var bytes: [UInt8]

    /// Number of elements (product of the shape).
    public var count: Int { shape.reduce(1, *) }
}

/// Reader for IDX files.
public enum IDX {
    /// Reads an IDX file, gunzipping it first when it is gzip-compressed.
    public static func read(_ url: URL) throws -> IDXArray {
        try parse(try readFileBytes(url), file: url.path)
    }

    /// Parses IDX bytes (gzip-compressed or plain); `file` names the source in errors.
    public static func parse(_ raw: [UInt8], file: String = "<memory>") throws -> IDXArray {
        let bytes = Gzip.isGzip(raw) ? try Gzip.decompress(raw, file: file) : raw
        guard bytes.count >= 4 else {
            throw DataError(.decode, file: file, field: "idx header", "only \(bytes.count) bytes, need at least 4")
        }
        guard bytes[0] == 0, bytes[1] == 0 else {
            throw DataError(.decode, file: file, field: "idx header",
                            "bad magic \(bytes[0]) \(bytes[1]) (expected 0 0): not an IDX file")
        }
        guard let type = IDXArray.ElementType(rawValue: bytes[2]) else {
            throw DataError(.decode, file: file, field: "idx header", "unknown element type 0x\(String(bytes[2], radix: 16))")
        }
        let rank = Int(bytes[3])
        let headerSize = 4 + 4 * rank
        guard rank >= 1, bytes.count >= headerSize else {
            throw DataError(.decode, file: file, field: "idx header", "rank \(rank) needs \(headerSize) header bytes, file has \(bytes.count)")
        }
        var shape = [Int]()
        var count = 1
        for d in 0..<rank {
            let o = 4 + 4 * d
            let dim = Int(bytes[o]) << 24 | Int(bytes[o + 1]) << 16 | Int(bytes[o + 2]) << 8 | Int(bytes[o + 3])
            shape.append(dim)
            count = count.multipliedReportingOverflow(by: dim).overflow ? Int.max : count * dim
        }
        let (product, overflow) = count.multipliedReportingOverflow(by: type.byteSize)
        let expected = overflow ? Int.max : product
        guard expected == bytes.count - headerSize else {
            throw DataError(.decode, file: file, field: "idx data",
                            "shape \(shape) needs \(expected) data bytes, file has \(bytes.count - headerSize)")
        }
        return IDXArray(shape: shape, elementType: type, bytes: Array(bytes[headerSize...]))
    }

    /// Encodes an unsigned-byte array as IDX (used to write test data and small datasets).
    public static func encodeUInt8(shape: [Int], values: [UInt8]) -> [UInt8] {
        precondition(shape.reduce(1, *) == values.count, "IDX.encodeUInt8: shape does not match the values")
        var out: [UInt8] = [0, 0, IDXArray.ElementType.uint8.rawValue, UInt8(shape.count)]
        for d in shape {
            out += [UInt8(truncatingIfNeeded: d >> 24), UInt8(truncatingIfNeeded: d >> 16),
                    UInt8(truncatingIfNeeded: d >> 8), UInt8(truncatingIfNeeded: d)]
        }
        return out + values
    }
}
