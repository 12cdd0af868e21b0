// PNG decoding and encoding through libpng's simplified API (libpng-dev). The classic libpng API reports errors
// with setjmp/longjmp, which Swift cannot use; the simplified API (`png_image_*`) catches them inside libpng and
// returns 0 with a message in `png_image.message`, which becomes a `DataError`.

import CPNG

/// PNG codec.
public enum PNG {
    /// True when the bytes start with the 8-byte PNG signature.
    public static func isPNG(_ bytes: [UInt8]) -> Bool {
        bytes.count >= 8 && bytes[0..<8].elementsEqual([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
    }

    /// Decodes PNG bytes (any bit depth, palette, alpha) to 8-bit gray or RGB; alpha is dropped.
    public static func decode(data: [UInt8], file: String = "<memory>", mode: ColorMode = .auto) throws -> Image {
        var image = png_image()
        image.version = UInt32(PNG_IMAGE_VERSION)
        let begun = data.withUnsafeBufferPointer { buf in
            png_image_begin_read_from_memory(&image, buf.baseAddress, buf.count)
        }
        guard begun != 0 else {
            defer { png_image_free(&image) }
            throw DataError(.decode, file: file, field: "png header", message(of: &image))
        }
        let width = Int(image.width), height = Int(image.height)
        do {
            try DecodeLimits.check(width: width, height: height, file: file, field: "png header")
        } catch {
            png_image_free(&image)
            throw error
        }
        // 16-bit files without colour information are treated as sRGB-encoded, i.e. simply scaled to 8 bits.
        image.flags |= UInt32(PNG_IMAGE_FLAG_16BIT_sRGB)

        let sourceIsColor = image.format & UInt32(PNG_FORMAT_FLAG_COLOR) != 0
        let sourceHasAlpha = image.format & UInt32(PNG_FORMAT_FLAG_ALPHA) != 0
        let channels: Int
        switch mode {
        case .auto: channels = sourceIsColor ? 3 : 1
        case .rgb: channels = 3
        case .gray: channels = 1
        }
        // Read with alpha when present and drop it afterwards, so colours are not composited against anything.
        let readChannels = channels + (sourceHasAlpha ? 1 : 0)
        image.format = (channels == 3 ? formatRGB : formatGray) | (sourceHasAlpha ? UInt32(PNG_FORMAT_FLAG_ALPHA) : 0)
        var buffer = [UInt8](repeating: 0, count: width * height * readChannels)
        let finished = buffer.withUnsafeMutableBufferPointer { dst in
            png_image_finish_read(&image, nil, dst.baseAddress, Int32(width * readChannels), nil)
        }
        guard finished != 0 else {
            defer { png_image_free(&image) }
            throw DataError(.decode, file: file, field: "png data", message(of: &image))
        }
        png_image_free(&image)
        if sourceHasAlpha { buffer = dropLastChannel(buffer, channels: readChannels) }
        return Image(width: width, height: height, channels: channels, pixels: buffer)
    }

    /// Encodes an image as an 8-bit gray or RGB PNG. `fast` trades file size for speed (no filtering, zlib
    /// level 3), which the scenes generator uses; output is deterministic for identical input and flags.
    public static func encode(_ image: Image, fast: Bool = false) throws -> [UInt8] {
        guard image.width > 0, image.height > 0 else {
            throw DataError(.invalid, file: "<memory>", field: "png encode", "cannot encode an empty image")
        }
        var png = png_image()
        png.version = UInt32(PNG_IMAGE_VERSION)
        png.width = UInt32(image.width)
        png.height = UInt32(image.height)
        png.format = image.channels == 3 ? formatRGB : formatGray
        png.flags = fast ? UInt32(PNG_IMAGE_FLAG_FAST) : 0
        let stride = Int32(image.width * image.channels)
        // Allocate libpng's documented worst case (PNG_IMAGE_PNG_SIZE_MAX) so the image is compressed once;
        // asking for the size first (a null buffer) would run the whole compression twice.
        var size = maximumEncodedSize(width: image.width, height: image.height, channels: image.channels)
        var output = [UInt8](repeating: 0, count: size)
        var attempts = 0
        while true {
            let written = image.pixels.withUnsafeBufferPointer { src in
                output.withUnsafeMutableBufferPointer { dst in
                    png_image_write_to_memory(&png, dst.baseAddress, &size, 0, src.baseAddress, stride, nil)
                }
            }
            if written != 0, size <= output.count { return Array(output[0..<size]) }
            attempts += 1
            // A grown `size` means the buffer was too small: retry once with the size libpng asked for.
            guard written == 0, size > output.count, attempts < 2 else {
                defer { png_image_free(&png) }
                throw DataError(.invalid, file: "<memory>", field: "png encode", message(of: &png))
            }
            output = [UInt8](repeating: 0, count: size)
        }
    }

    /// PNG_IMAGE_PNG_SIZE_MAX of png.h for an 8-bit gray or RGB image without colour map.
    private static func maximumEncodedSize(width: Int, height: Int, channels: Int) -> Int {
        let data = width * height * channels + height           // PNG_IMAGE_DATA_SIZE
        let compressed = data + (data + 7) / 8 + (data + 63) / 64 + 11  // PNG_ZLIB_MAX_SIZE
        return 8 + 25 + 16 + 44 + 12 + 12 + 12 * (compressed / 8192) + compressed
    }

    // png.h spells these as nested macros, which Swift does not import.
    private static let formatGray: UInt32 = 0
    private static let formatRGB = UInt32(PNG_FORMAT_FLAG_COLOR)

    private static func message(of image: inout png_image) -> String {
        let text = withUnsafeBytes(of: &image.message) { raw in
            String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
        }
        return text.isEmpty ? "libpng reported an error without a message" : text
    }

    private static func dropLastChannel(_ pixels: [UInt8], channels: Int) -> [UInt8] {
        let n = pixels.count / channels
        var out = [UInt8](repeating: 0, count: n * (channels - 1))
        for i in 0..<n {
            for c in 0..<(channels - 1) { out[i * (channels - 1) + c] = pixels[i * channels + c] }
        }
        return out
    }
}
