// `BinaryMask`: a row-major 0/1 mask the size of an image, the pixel-level form of an instance mask. RLE (COCO's
// column-major run-length form) converts to and from it; transforms resize, flip and pad it with the image.

/// A binary mask, `bits[y * width + x]` is 0 or 1.
public struct BinaryMask: Equatable, Sendable {
    public var width: Int
    public var height: Int
    public var bits: [UInt8]

    /// An empty (all-zero) mask.
    public init(width: Int, height: Int) {
        self.init(width: width, height: height, bits: [UInt8](repeating: 0, count: width * height))
    }

    /// Wraps 0/1 values; `bits.count` must equal `width * height` (non-zero values count as 1).
    public init(width: Int, height: Int, bits: [UInt8]) {
        precondition(width >= 0 && height >= 0 && bits.count == width * height,
                     "BinaryMask: \(bits.count) values for \(width)x\(height)")
        self.width = width
        self.height = height
        self.bits = bits.map { $0 == 0 ? 0 : 1 }
    }

    @inline(__always)
    public subscript(x: Int, y: Int) -> Bool {
        get { bits[y * width + x] != 0 }
        set { bits[y * width + x] = newValue ? 1 : 0 }
    }

    /// Number of set pixels.
    public var area: Int { bits.reduce(0) { $0 + Int($1) } }

    /// Tight box `[x, y, w, h]` in COCO's pixel-edge convention (a single pixel at (3, 4) is [3, 4, 1, 1]);
    /// [0, 0, 0, 0] for an empty mask.
    public var boundingBox: [Double] {
        var minX = width, minY = height, maxX = -1, maxY = -1
        for y in 0..<height {
            let row = y * width
            for x in 0..<width where bits[row + x] != 0 {
                minX = min(minX, x); maxX = max(maxX, x)
                minY = min(minY, y); maxY = max(maxY, y)
            }
        }
        guard maxX >= 0 else { return [0, 0, 0, 0] }
        return [Double(minX), Double(minY), Double(maxX - minX + 1), Double(maxY - minY + 1)]
    }
}
