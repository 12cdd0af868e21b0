// The safetensors format (https://huggingface.co/docs/safetensors): an 8-byte little-endian header length, a JSON
// header mapping names to {dtype, shape, data_offsets} (plus optional "__metadata__"), then raw little-endian
// data. Reading validates everything before use; writing is atomic (temporary file + rename).

import Foundation

/// One tensor of a safetensors file.
public struct SafeTensor: Equatable, Sendable {
    public enum DType: String, Sendable, CaseIterable {
        case F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL

        public var byteSize: Int {
            switch self {
            case .F64, .I64: 8
            case .F32, .I32: 4
            case .F16, .BF16, .I16: 2
            case .I8, .U8, .BOOL: 1
            }
        }
    }

    public var dtype: DType
    public var shape: [Int]
    /// Raw little-endian bytes.
    public var bytes: [UInt8]

    public init(dtype: DType, shape: [Int], bytes: [UInt8]) {
        self.dtype = dtype
        self.shape = shape
        self.bytes = bytes
    }

    public init(floats: [Float], shape: [Int]) {
        self.init(dtype: .F32, shape: shape, bytes: floats.withUnsafeBytes { Array($0) })
    }

    public init(int64s: [Int64], shape: [Int]) {
        self.init(dtype: .I64, shape: shape, bytes: int64s.map(\.littleEndian).withUnsafeBytes { Array($0) })
    }

    public var count: Int { shape.reduce(1, *) }

    /// The values converted to Float (from any floating or integer dtype).
    public func floats() -> [Float] {
        let n = count
        return bytes.withUnsafeBytes { raw -> [Float] in
            switch dtype {
            case .F32: return (0..<n).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self))) }
            case .F64: return (0..<n).map { Float(Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 8 * $0, as: UInt64.self)))) }
            case .F16: return (0..<n).map { Float(SafeTensor.halfToFloat(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: 2 * $0, as: UInt16.self)))) }
            case .BF16: return (0..<n).map { Float(bitPattern: UInt32(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: 2 * $0, as: UInt16.self))) << 16) }
            case .I64: return (0..<n).map { Float(Int64(littleEndian: raw.loadUnaligned(fromByteOffset: 8 * $0, as: Int64.self))) }
            case .I32: return (0..<n).map { Float(Int32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: Int32.self))) }
            case .I16: return (0..<n).map { Float(Int16(littleEndian: raw.loadUnaligned(fromByteOffset: 2 * $0, as: Int16.self))) }
            case .I8: return (0..<n).map { Float(raw.load(fromByteOffset: $0, as: Int8.self)) }
            case .U8, .BOOL: return (0..<n).map { Float(raw[$0]) }
            }
        }
    }

    /// IEEE half → single, without relying on Float16 being available.
    static func halfToFloat(_ h: UInt16) -> Float {
        let sign = UInt32(h >> 15) << 31
        var exponent = Int32((h >> 10) & 0x1F)
        var mantissa = UInt32(h & 0x3FF)
        if exponent == 0 {
            if mantissa == 0 { return Float(bitPattern: sign) }
            while mantissa & 0x400 == 0 { mantissa <<= 1; exponent -= 1 }
            exponent += 1
            mantissa &= 0x3FF
        } else if exponent == 31 {
            return Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13))
        }
        return Float(bitPattern: sign | UInt32(exponent + 112) << 23 | (mantissa << 13))
    }
}

/// A corrupt, truncated or inconsistent safetensors file; names the file and, where known, the tensor.
public struct SafeTensorsError: Error, CustomStringConvertible {
    public var file: String
    public var tensor: String?
    public var message: String
    public var description: String {
        "\(file): " + (tensor.map { "tensor '\($0)': " } ?? "") + message
    }
}

public enum SafeTensors {
    /// Reads and validates a file.
    public static func read(_ url: URL) throws -> (tensors: [String: SafeTensor], metadata: [String: String]) {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw SafeTensorsError(file: url.path, tensor: nil, message: "cannot be read (\(error.localizedDescription))")
        }
        return try decode(data, file: url.path)
    }

    public static func decode(_ data: Data, file: String) throws -> (tensors: [String: SafeTensor], metadata: [String: String]) {
        func fail(_ message: String, _ tensor: String? = nil) -> SafeTensorsError {
            SafeTensorsError(file: file, tensor: tensor, message: message)
        }
        let bytes = [UInt8](data)
        guard bytes.count >= 8 else { throw fail("is truncated: \(bytes.count) bytes, shorter than the 8-byte header length") }
        let headerLength = bytes[0..<8].enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
        guard headerLength <= UInt64(bytes.count - 8), headerLength <= 100_000_000 else {
            throw fail("is truncated or corrupt: header length \(headerLength) exceeds the file size \(bytes.count)")
        }
        let headerEnd = 8 + Int(headerLength)
        let json: Any
        do { json = try JSONSerialization.jsonObject(with: Data(bytes[8..<headerEnd])) } catch {
            throw fail("has a header that is not valid JSON")
        }
        guard let header = json as? [String: Any] else { throw fail("header must be a JSON object") }
        let dataLength = bytes.count - headerEnd
        var tensors: [String: SafeTensor] = [:]
        var metadata: [String: String] = [:]
        var ranges: [(Int, Int, String)] = []
        for name in header.keys.sorted() {
            let value = header[name]!
            if name == "__metadata__" {
                guard let m = value as? [String: String] else { throw fail("__metadata__ must map strings to strings") }
                metadata = m
                continue
            }
            guard let entry = value as? [String: Any] else { throw fail("entry is not an object", name) }
            guard let dtypeName = entry["dtype"] as? String else { throw fail("missing field 'dtype'", name) }
            guard let dtype = SafeTensor.DType(rawValue: dtypeName) else { throw fail("unsupported dtype '\(dtypeName)'", name) }
            guard let shapeValues = entry["shape"] as? [Any], let shape = shapeValues.map({ ($0 as? NSNumber)?.intValue }) as? [Int],
                  shape.allSatisfy({ $0 >= 0 }) else { throw fail("field 'shape' must be a list of non-negative integers", name) }
            guard let offsetValues = entry["data_offsets"] as? [Any], offsetValues.count == 2,
                  let begin = (offsetValues[0] as? NSNumber)?.intValue, let end = (offsetValues[1] as? NSNumber)?.intValue else {
                throw fail("field 'data_offsets' must be two integers", name)
            }
            guard 0 <= begin, begin <= end, end <= dataLength else {
                throw fail("data_offsets [\(begin), \(end)] lie outside the \(dataLength) data bytes (file truncated?)", name)
            }
            let count = shape.reduce(1) { $0.multipliedReportingOverflow(by: $1).overflow ? Int.max : $0 * $1 }
            guard count != Int.max, count * dtype.byteSize == end - begin else {
                throw fail("shape \(shape) of \(dtypeName) needs \(count * dtype.byteSize) bytes but data_offsets span \(end - begin)", name)
            }
            ranges.append((begin, end, name))
            tensors[name] = SafeTensor(dtype: dtype, shape: shape, bytes: Array(bytes[(headerEnd + begin)..<(headerEnd + end)]))
        }
        ranges.sort { $0.0 < $1.0 }
        for (a, b) in zip(ranges, ranges.dropFirst()) where b.0 < a.1 {
            throw fail("overlaps tensor '\(a.2)'", b.2)
        }
        return (tensors, metadata)
    }

    /// Encodes tensors (sorted by name) and metadata.
    public static func encode(_ tensors: [String: SafeTensor], metadata: [String: String] = [:]) throws -> Data {
        var header: [String: Any] = [:]
        var offset = 0
        let names = tensors.keys.sorted()
        for name in names {
            let t = tensors[name]!
            header[name] = ["dtype": t.dtype.rawValue, "shape": t.shape, "data_offsets": [offset, offset + t.bytes.count]]
            offset += t.bytes.count
        }
        if !metadata.isEmpty { header["__metadata__"] = metadata }
        var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        while json.count % 8 != 0 { json.append(0x20) }
        var out = Data()
        out.reserveCapacity(8 + json.count + offset)
        var length = UInt64(json.count).littleEndian
        withUnsafeBytes(of: &length) { out.append(contentsOf: $0) }
        out.append(json)
        for name in names { out.append(contentsOf: tensors[name]!.bytes) }
        return out
    }

    /// Writes atomically: to a temporary file in the same directory, then renamed over `url`.
    public static func write(_ tensors: [String: SafeTensor], metadata: [String: String] = [:], to url: URL) throws {
        try AtomicFile.write(try encode(tensors, metadata: metadata), to: url)
    }
}

/// Atomic file replacement: a reader sees the old file or the new one, never a partial write.
public enum AtomicFile {
    public static func write(_ data: Data, to url: URL) throws {
        let dir = url.deletingLastPathComponent()
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let temp = dir.appendingPathComponent(".\(url.lastPathComponent).tmp-\(ProcessInfo.processInfo.processIdentifier)")
        do {
            try data.write(to: temp)
            guard rename(temp.path, url.path) == 0 else {
                throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: url.path])
            }
        } catch {
            try? FileManager.default.removeItem(at: temp)
            throw SafeTensorsError(file: url.path, tensor: nil, message: "could not be written (\(error.localizedDescription))")
        }
    }
}
