// JPEG decoding and encoding through libjpeg-turbo's TurboJPEG API (Debian libturbojpeg0-dev).
// TurboJPEG reports failures through return codes and `tjGetErrorStr2`; warnings (corrupt or truncated entropy
// data, which libjpeg would silently patch with gray) are treated as errors so bad files never pass as good ones.

import CTurboJPEG

/// JPEG codec.
public enum JPEG {
    /// True when the bytes start with the JPEG SOI marker FF D8 FF.
    public static func isJPEG(_ bytes: [UInt8]) -> Bool {
        bytes.count >= 3 && bytes[0] == 0xFF && bytes[1] == 0xD8 && bytes[2] == 0xFF
    }

    /// Decodes JPEG bytes; `file` names the source in errors. Gray JPEGs stay gray under `.auto`.
    public static func decode(data: [UInt8], file: String = "<memory>", mode: ColorMode = .auto) throws -> Image {
        guard !data.isEmpty else { throw DataError(.decode, file: file, field: "jpeg", "empty file") }
        guard let handle = tjInitDecompress() else {
            throw DataError(.decode, file: file, field: "jpeg", "TurboJPEG could not be initialised")
        }
        defer { tjDestroy(handle) }

        var width: Int32 = 0, height: Int32 = 0, subsampling: Int32 = 0, colorspace: Int32 = 0
        let headerStatus = data.withUnsafeBufferPointer { buf in
            tjDecompressHeader3(handle, buf.baseAddress, UInt(buf.count), &width, &height, &subsampling, &colorspace)
        }
        guard headerStatus == 0 else {
            throw DataError(.decode, file: file, field: "jpeg header", errorText(handle))
        }
        try DecodeLimits.check(width: Int(width), height: Int(height), file: file, field: "jpeg header")

        let isGray = colorspace == Int32(TJCS_GRAY.rawValue)
        let isCMYK = colorspace == Int32(TJCS_CMYK.rawValue) || colorspace == Int32(TJCS_YCCK.rawValue)
        let channels: Int
        switch mode {
        case .auto: channels = isGray ? 1 : 3
        case .rgb: channels = 3
        case .gray: channels = 1
        }
        // TurboJPEG cannot convert CMYK to RGB itself: decode CMYK and convert below.
        let pixelFormat = isCMYK ? TJPF_CMYK : (channels == 1 ? TJPF_GRAY : TJPF_RGB)
        let decodedChannels = isCMYK ? 4 : channels
        var pixels = [UInt8](repeating: 0, count: Int(width) * Int(height) * decodedChannels)
        let status = data.withUnsafeBufferPointer { src in
            pixels.withUnsafeMutableBufferPointer { dst in
                tjDecompress2(handle, src.baseAddress, UInt(src.count), dst.baseAddress, width, 0, height,
                              Int32(pixelFormat.rawValue), TJFLAG_ACCURATEDCT | TJFLAG_STOPONWARNING)
            }
        }
        guard status == 0 else {
            throw DataError(.decode, file: file, field: "jpeg data", errorText(handle))
        }
        if isCMYK {
            let rgb = Image(width: Int(width), height: Int(height), channels: 3, pixels: cmykToRGB(pixels))
            return channels == 1 ? rgb.toGray() : rgb
        }
        return Image(width: Int(width), height: Int(height), channels: channels, pixels: pixels)
    }

    /// Encodes an image as baseline JPEG (4:2:0 for RGB) at `quality` 1...100.
    public static func encode(_ image: Image, quality: Int = 90) throws -> [UInt8] {
        guard image.width > 0, image.height > 0 else {
            throw DataError(.invalid, file: "<memory>", field: "jpeg encode", "cannot encode an empty image")
        }
        guard let handle = tjInitCompress() else {
            throw DataError(.decode, file: "<memory>", field: "jpeg encode", "TurboJPEG could not be initialised")
        }
        defer { tjDestroy(handle) }
        let format = image.channels == 1 ? TJPF_GRAY : TJPF_RGB
        let subsampling = image.channels == 1 ? TJSAMP_GRAY : TJSAMP_420
        var output: UnsafeMutablePointer<UInt8>? = nil
        var size: UInt = 0
        let status = image.pixels.withUnsafeBufferPointer { src in
            tjCompress2(handle, src.baseAddress, Int32(image.width), 0, Int32(image.height),
                        Int32(format.rawValue), &output, &size, Int32(subsampling.rawValue),
                        Int32(min(max(quality, 1), 100)), TJFLAG_ACCURATEDCT)
        }
        defer { if let output { tjFree(output) } }
        guard status == 0, let output else {
            throw DataError(.decode, file: "<memory>", field: "jpeg encode", errorText(handle))
        }
        return Array(UnsafeBufferPointer(start: output, count: Int(size)))
    }

    private static func errorText(_ handle: tjhandle) -> String {
        guard let text = tjGetErrorStr2(handle) else { return "unknown TurboJPEG error" }
        let message = String(cString: text)
        return message.isEmpty ? "unknown TurboJPEG error" : message
    }

    // Adobe CMYK JPEGs store inverted ink values, so the stored C and K act as "amount of light" already.
    private static func cmykToRGB(_ cmyk: [UInt8]) -> [UInt8] {
        let n = cmyk.count / 4
        var rgb = [UInt8](repeating: 0, count: n * 3)
        for i in 0..<n {
            let k = Int(cmyk[4 * i + 3])
            for c in 0..<3 { rgb[3 * i + c] = UInt8((Int(cmyk[4 * i + c]) * k + 127) / 255) }
        }
        return rgb
    }
}
