// Shared decoder options: the channel layout wanted from a decoder and the size limit that keeps a corrupt
// header from requesting gigabytes.

/// The channel layout a decoder should produce.
public enum ColorMode: Sendable {
    /// Keep gray images gray (1 channel); everything else becomes RGB.
    case auto
    /// Always 3-channel RGB (alpha is dropped, as PIL's `convert("RGB")` does).
    case rgb
    /// Always 1-channel gray.
    case gray
}

/// Limits applied by every decoder before allocating pixels.
public enum DecodeLimits {
    /// Largest accepted width × height (128 Mpixel); larger headers are reported as corrupt.
    public static let maxPixels = 1 << 27

    static func check(width: Int, height: Int, file: String, field: String) throws {
        guard width > 0, height > 0 else {
            throw DataError(.decode, file: file, field: field, "invalid size \(width)x\(height)")
        }
        guard width.multipliedReportingOverflow(by: height).partialValue <= maxPixels,
              width <= maxPixels, height <= maxPixels else {
            throw DataError(.decode, file: file, field: field,
                            "size \(width)x\(height) exceeds the \(maxPixels)-pixel limit")
        }
    }
}
