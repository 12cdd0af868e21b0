// gzip / zlib decompression and gzip compression through zlib (the IDX files of MNIST-style datasets ship as .gz).
// Decompression auto-detects gzip or zlib headers, accepts concatenated gzip members, and reports truncated or
// corrupt streams as `DataError` instead of returning partial data.

import CZlib

/// gzip helpers over zlib.
public enum Gzip {
    /// True when the bytes start with the gzip magic number 1f 8b.
    public static func isGzip(_ bytes: [UInt8]) -> Bool {
        bytes.count >= 2 && bytes[0] == 0x1F && bytes[1] == 0x8B
    }

    /// Largest accepted decompressed size (2 GiB), so a corrupt or hostile stream cannot exhaust memory.
    public static let maxOutputBytes = 1 << 31

    /// Decompresses a gzip (or zlib) stream; `file` names the source in errors.
    public static func decompress(_ bytes: [UInt8], file: String = "<memory>") throws -> [UInt8] {
        var stream = z_stream()
        // 15 window bits + 32: let zlib detect a gzip or zlib header.
        guard inflateInit2_(&stream, 15 + 32, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw DataError(.decode, file: file, field: "gzip", "zlib could not be initialised")
        }
        defer { inflateEnd(&stream) }

        var output = [UInt8]()
        output.reserveCapacity(max(bytes.count * 4, 1 << 16))
        var chunk = [UInt8](repeating: 0, count: 1 << 18)
        var consumed = 0
        try bytes.withUnsafeBufferPointer { input in
            guard let base = input.baseAddress, !bytes.isEmpty else {
                throw DataError(.decode, file: file, field: "gzip", "empty stream")
            }
            stream.next_in = UnsafeMutablePointer(mutating: base)
            stream.avail_in = UInt32(input.count)
            while true {
                let status: Int32 = chunk.withUnsafeMutableBufferPointer { out in
                    stream.next_out = out.baseAddress
                    stream.avail_out = UInt32(out.count)
                    return inflate(&stream, Z_NO_FLUSH)
                }
                output.append(contentsOf: chunk[0..<(chunk.count - Int(stream.avail_out))])
                consumed = input.count - Int(stream.avail_in)
                guard output.count <= maxOutputBytes else {
                    throw DataError(.decode, file: file, field: "gzip", "decompresses to more than \(maxOutputBytes) bytes")
                }
                switch status {
                case Z_OK:
                    continue
                case Z_STREAM_END:
                    // Concatenated members are legal gzip; trailing zero padding is tolerated.
                    let rest = input[consumed...]
                    if rest.isEmpty || rest.allSatisfy({ $0 == 0 }) { return }
                    guard inflateReset(&stream) == Z_OK else {
                        throw DataError(.decode, file: file, field: "gzip", "cannot restart after member end")
                    }
                case Z_BUF_ERROR where stream.avail_in == 0:
                    throw DataError(.decode, file: file, field: "gzip",
                                    "truncated stream (ended after \(consumed) of the expected bytes)")
                default:
                    let reason = stream.msg.map { String(cString: $0) } ?? "error code \(status)"
                    throw DataError(.decode, file: file, field: "gzip", "corrupt stream at byte \(consumed): \(reason)")
                }
            }
        }
        return output
    }

    /// Compresses bytes into a gzip stream (deterministic: no timestamp or file name in the header).
    public static func compress(_ bytes: [UInt8], level: Int32 = 6) -> [UInt8] {
        var stream = z_stream()
        // 15 window bits + 16: write a gzip header and trailer.
        guard deflateInit2_(&stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY,
                            zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else { return [] }
        defer { deflateEnd(&stream) }
        var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, UInt(bytes.count))) + 32)
        var source = bytes
        let produced: Int = source.withUnsafeMutableBufferPointer { input in
            output.withUnsafeMutableBufferPointer { out in
                stream.next_in = input.baseAddress
                stream.avail_in = UInt32(input.count)
                stream.next_out = out.baseAddress
                stream.avail_out = UInt32(out.count)
                let status = deflate(&stream, Z_FINISH)
                return status == Z_STREAM_END ? out.count - Int(stream.avail_out) : 0
            }
        }
        return Array(output[0..<produced])
    }
}
