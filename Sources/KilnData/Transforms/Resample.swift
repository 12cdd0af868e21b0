// Crop-and-resize from an 8-bit image into a Float RGB buffer: separable resampling with a triangle (bilinear)
// filter whose support widens when shrinking, as PIL's antialiased BILINEAR resize that torchvision's
// RandomResizedCrop uses. Taps are clamped to the crop window (crop first, then resize) and renormalised.
// A horizontal flip is folded into the column table, so flipping costs nothing.
//
// Pass 1 (horizontal): each source row the vertical filter needs → `outWidth × 3` floats in [0, 1].
// Pass 2 (vertical): each output row = weighted sum of pass-1 rows (contiguous, vectorisable).

/// Filter taps for one axis: output i reads `taps` inputs from `first[i]` with `weights[i * taps + k]`.
struct ResampleTable {
    var taps: Int
    var first: UnsafeMutablePointer<Int32>
    var weights: UnsafeMutablePointer<Float>

    /// Builds the table mapping the window `[start, start + length)` (continuous input coordinates, inside
    /// `[0, inputSize]`) onto `outputSize` samples; `flip` reverses the output order.
    init(start: Double, length: Double, inputSize: Int, outputSize: Int, flip: Bool,
         first: UnsafeMutablePointer<Int32>, weights: UnsafeMutablePointer<Float>, taps maxTaps: Int) {
        let scale = length / Double(outputSize)
        let filterScale = max(scale, 1)
        let support = filterScale  // triangle filter of radius 1, stretched when shrinking
        let windowStart = max(0, Int(start.rounded(.down)))
        let windowEnd = min(inputSize, max(windowStart + 1, Int((start + length).rounded(.up))))
        let taps = min(maxTaps, windowEnd - windowStart)
        self.taps = taps
        self.first = first
        self.weights = weights
        for i in 0..<outputSize {
            let o = flip ? outputSize - 1 - i : i
            let center = start + (Double(o) + 0.5) * scale
            var lo = max(windowStart, Int((center - support + 0.5).rounded(.down)))
            var hi = min(windowEnd, Int((center + support + 0.5).rounded(.down)))
            if hi <= lo { lo = min(max(Int(center.rounded(.down)), windowStart), windowEnd - 1); hi = lo + 1 }
            if hi - lo > taps { hi = lo + taps }
            let base = min(lo, windowEnd - taps)  // keep all `taps` reads inside the window
            first[i] = Int32(base)
            var total: Double = 0
            for k in 0..<taps {
                let x = base + k
                var weight = 0.0
                if x >= lo && x < hi {
                    weight = max(0, 1 - abs((Double(x) + 0.5 - center) / filterScale))
                }
                weights[i * taps + k] = Float(weight)
                total += weight
            }
            if total > 0 {
                let inverse = Float(1 / total)
                for k in 0..<taps { weights[i * taps + k] *= inverse }
            } else {
                // Degenerate window: take the nearest pixel.
                let nearest = min(max(Int(center.rounded(.down)), base), base + taps - 1) - base
                weights[i * taps + nearest] = 1
            }
        }
    }

    /// Number of taps that covers a window of `length` inputs mapped onto `outputSize` samples.
    static func tapCount(length: Double, outputSize: Int) -> Int {
        Int((2 * max(length / Double(outputSize), 1)).rounded(.up)) + 2
    }
}

/// A crop rectangle in source pixels (continuous coordinates).
public struct CropBox: Equatable, Sendable {
    public var x: Double
    public var y: Double
    public var width: Double
    public var height: Double

    public init(x: Double, y: Double, width: Double, height: Double) {
        self.x = x
        self.y = y
        self.width = width
        self.height = height
    }
}

enum Resample {
    /// Resamples `crop` of `image` to `outWidth × outHeight` RGB floats in [0, 1] at `output`.
    // output: (outHeight, outWidth, 3)
    static func cropResize(_ image: Image, crop: CropBox, outWidth: Int, outHeight: Int, flip: Bool,
                           output: UnsafeMutablePointer<Float>, scratch: TransformScratch) {
        let tapsX = ResampleTable.tapCount(length: crop.width, outputSize: outWidth)
        let tapsY = ResampleTable.tapCount(length: crop.height, outputSize: outHeight)
        let tableX = ResampleTable(start: crop.x, length: crop.width, inputSize: image.width, outputSize: outWidth,
                                   flip: flip, first: scratch.ints(.tableX, outWidth),
                                   weights: scratch.floats(.tableX, outWidth * tapsX), taps: tapsX)
        let tableY = ResampleTable(start: crop.y, length: crop.height, inputSize: image.height, outputSize: outHeight,
                                   flip: false, first: scratch.ints(.tableY, outHeight),
                                   weights: scratch.floats(.tableY, outHeight * tapsY), taps: tapsY)
        let rowStart = Int(tableY.first[0])
        var rowEnd = rowStart
        for i in 0..<outHeight { rowEnd = max(rowEnd, Int(tableY.first[i]) + tableY.taps) }
        let rowFloats = outWidth * 3
        let rows = scratch.floats(.resampleRows, (rowEnd - rowStart) * rowFloats)

        image.pixels.withUnsafeBufferPointer { pixels in
            guard let source = pixels.baseAddress else { return }
            for y in rowStart..<rowEnd {
                horizontalPass(source + y * image.width * image.channels, channels: image.channels,
                               table: tableX, outWidth: outWidth, output: rows + (y - rowStart) * rowFloats)
            }
        }
        for oy in 0..<outHeight {
            let first = Int(tableY.first[oy]) - rowStart
            verticalPass(rows + first * rowFloats, rowFloats: rowFloats, weights: tableY.weights + oy * tableY.taps,
                         taps: tableY.taps, output: output + oy * rowFloats)
        }
    }

    // row: (width, channels) bytes; output: (outWidth, 3) floats in [0, 1]
    @inline(__always)
    private static func horizontalPass(_ row: UnsafePointer<UInt8>, channels: Int, table: ResampleTable,
                                       outWidth: Int, output: UnsafeMutablePointer<Float>) {
        let taps = table.taps
        let toUnit: Float = 1 / 255
        if channels == 3 {
            for ox in 0..<outWidth {
                let base = Int(table.first[ox]) * 3
                let w = table.weights + ox * taps
                var r: Float = 0, g: Float = 0, b: Float = 0
                for k in 0..<taps {
                    let p = base + 3 * k
                    r += w[k] * Float(row[p]); g += w[k] * Float(row[p + 1]); b += w[k] * Float(row[p + 2])
                }
                output[3 * ox] = r * toUnit; output[3 * ox + 1] = g * toUnit; output[3 * ox + 2] = b * toUnit
            }
        } else {
            for ox in 0..<outWidth {
                let base = Int(table.first[ox])
                let w = table.weights + ox * taps
                var v: Float = 0
                for k in 0..<taps { v += w[k] * Float(row[base + k]) }
                v *= toUnit
                output[3 * ox] = v; output[3 * ox + 1] = v; output[3 * ox + 2] = v
            }
        }
    }

    // rows: `taps` consecutive rows of `rowFloats`; output: one row
    @inline(__always)
    private static func verticalPass(_ rows: UnsafePointer<Float>, rowFloats: Int, weights: UnsafePointer<Float>,
                                     taps: Int, output: UnsafeMutablePointer<Float>) {
        let w0 = weights[0]
        for i in 0..<rowFloats { output[i] = w0 * rows[i] }
        for k in 1..<max(taps, 1) {
            let w = weights[k]
            if w == 0 { continue }
            let row = rows + k * rowFloats
            for i in 0..<rowFloats { output[i] += w * row[i] }
        }
    }

    /// Nearest-neighbour resize of a mask (pixel centres map to pixel centres).
    static func resizeNearest(_ mask: BinaryMask, width: Int, height: Int, flip: Bool) -> BinaryMask {
        var out = BinaryMask(width: width, height: height)
        guard mask.width > 0, mask.height > 0 else { return out }
        let sx = Double(mask.width) / Double(width), sy = Double(mask.height) / Double(height)
        let columns = (0..<width).map { x -> Int in
            let ox = flip ? width - 1 - x : x
            return min(mask.width - 1, Int((Double(ox) + 0.5) * sx))
        }
        for y in 0..<height {
            let sourceRow = min(mask.height - 1, Int((Double(y) + 0.5) * sy)) * mask.width
            for x in 0..<width { out.bits[y * width + x] = mask.bits[sourceRow + columns[x]] }
        }
        return out
    }
}
