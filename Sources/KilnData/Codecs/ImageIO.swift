// Format-agnostic image loading and saving: the format is chosen from the file's magic bytes on load and from
// the file extension on save.

import Foundation

/// Loads and saves JPEG and PNG files.
public enum ImageIO {
    /// Decodes in-memory bytes, detecting JPEG or PNG by their signature.
    public static func decode(_ bytes: [UInt8], file: String = "<memory>", mode: ColorMode = .rgb) throws -> Image {
        if JPEG.isJPEG(bytes) { return try JPEG.decode(data: bytes, file: file, mode: mode) }
        if PNG.isPNG(bytes) { return try PNG.decode(data: bytes, file: file, mode: mode) }
        let reason = bytes.isEmpty ? "empty file" : "not a JPEG or PNG file (unrecognised signature)"
        throw DataError(.decode, file: file, reason)
    }

    /// Reads and decodes an image file (RGB by default).
    public static func load(_ url: URL, mode: ColorMode = .rgb) throws -> Image {
        try decode(try readFileBytes(url), file: url.path, mode: mode)
    }

    /// Encodes by extension (`.png`, `.jpg`/`.jpeg`) and writes the file, creating parent folders.
    public static func save(_ image: Image, to url: URL, jpegQuality: Int = 90) throws {
        let bytes: [UInt8]
        switch url.pathExtension.lowercased() {
        case "png": bytes = try PNG.encode(image)
        case "jpg", "jpeg": bytes = try JPEG.encode(image, quality: jpegQuality)
        default:
            throw DataError(.invalid, file: url.path, "unknown image extension '\(url.pathExtension)' (use .png or .jpg)")
        }
        try writeFileBytes(bytes, to: url)
    }
}
