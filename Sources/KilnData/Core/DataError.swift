// The single error type of KilnData: every failure caused by input data (files, bytes, JSON) is reported as a
// `DataError` naming the file, the field (a JSON path like `annotations[17].bbox`, or a codec stage) and what is
// wrong. Nothing in KilnData traps on bad input.

import Foundation

/// An error caused by input data, with enough context to find and fix the offending file.
public struct DataError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Broad category, useful to decide whether a sample may be skipped.
    public enum Kind: String, Sendable {
        /// The file could not be read (missing, permissions, I/O).
        case io
        /// Encoded bytes (JPEG, PNG, gzip, IDX) are truncated or corrupt.
        case decode
        /// Structured text (JSON) is malformed or misses a field.
        case format
        /// Values are present but inconsistent (unknown ids, out-of-range sizes).
        case invalid
    }

    public var kind: Kind
    /// The file involved, or `<memory>` for in-memory buffers.
    public var file: String
    /// The field or stage, e.g. `annotations[3].bbox` or `jpeg header`; empty when the whole file is at fault.
    public var field: String
    public var message: String

    public init(_ kind: Kind, file: String, field: String = "", _ message: String) {
        self.kind = kind
        self.file = file
        self.field = field
        self.message = message
    }

    public var description: String {
        field.isEmpty ? "\(file): \(message)" : "\(file): \(field): \(message)"
    }
}

/// Reads a whole file, turning Foundation's error into a `DataError` that names the file.
func readFileBytes(_ url: URL) throws -> [UInt8] {
    do {
        return [UInt8](try Data(contentsOf: url))
    } catch {
        let reason = FileManager.default.fileExists(atPath: url.path) ? "cannot be read" : "no such file"
        throw DataError(.io, file: url.path, reason)
    }
}

/// Writes bytes to a file, creating parent folders unless told they exist; reports failures as `DataError`.
func writeFileBytes<Bytes: DataProtocol>(_ bytes: Bytes, to url: URL, createFolders: Bool = true) throws {
    do {
        if createFolders {
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        }
        try Data(bytes).write(to: url)
    } catch {
        throw DataError(.io, file: url.path, "cannot be written (\(error.localizedDescription))")
    }
}
