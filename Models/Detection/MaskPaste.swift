// detectron2's paste_masks_in_image for one detection, on the host: the M×M mask probabilities predicted inside a
// box are resampled onto the image pixels the box covers — grid_sample (bilinear, align_corners = False, zero
// padding) at pixel centres mapped into the box — and thresholded at 0.5. Pixels farther than one pixel outside
// the box are never touched (detectron2's CPU path pastes into the box's integer extent ± 1).

import Foundation
import KilnData

public enum MaskPaste {
    /// The `width × height` binary mask of `probabilities` (side × side, row-major) predicted inside `box`.
    public static func paste(_ probabilities: ArraySlice<Float>, side: Int, box: Box, width: Int, height: Int,
                             threshold: Float = 0.5) -> BinaryMask {
        var mask = BinaryMask(width: width, height: height)
        let boxWidth = box.x1 - box.x0, boxHeight = box.y1 - box.y0
        guard side > 0, probabilities.count == side * side, boxWidth > 0, boxHeight > 0, width > 0, height > 0 else { return mask }
        let x0 = max(Int(box.x0.rounded(.down)) - 1, 0), x1 = min(Int(box.x1.rounded(.up)) + 1, width)
        let y0 = max(Int(box.y0.rounded(.down)) - 1, 0), y1 = min(Int(box.y1.rounded(.up)) + 1, height)
        guard x0 < x1, y0 < y1 else { return mask }
        let base = probabilities.startIndex, m = Double(side)
        // Bilinear taps along one axis: (low index, low weight, high weight), out-of-range taps weigh nothing.
        func taps(_ p: Int, _ start: Double, _ length: Double) -> (Int, Float, Float) {
            let u = (Double(p) + 0.5 - start) / length * m - 0.5
            let low = Int(u.rounded(.down)), f = Float(u - Double(low))
            return (low, low >= 0 && low < side ? 1 - f : 0, low + 1 >= 0 && low + 1 < side ? f : 0)
        }
        let columns = (x0..<x1).map { taps($0, box.x0, boxWidth) }
        for y in y0..<y1 {
            let (row, wLow, wHigh) = taps(y, box.y0, boxHeight)
            guard wLow + wHigh > 0 else { continue }
            for (i, (column, cLow, cHigh)) in columns.enumerated() where cLow + cHigh > 0 {
                func at(_ r: Int, _ c: Int) -> Float { probabilities[base + r * side + c] }
                var v: Float = 0
                if wLow > 0 {
                    if cLow > 0 { v += wLow * cLow * at(row, column) }
                    if cHigh > 0 { v += wLow * cHigh * at(row, column + 1) }
                }
                if wHigh > 0 {
                    if cLow > 0 { v += wHigh * cLow * at(row + 1, column) }
                    if cHigh > 0 { v += wHigh * cHigh * at(row + 1, column + 1) }
                }
                if v >= threshold { mask.bits[y * width + x0 + i] = 1 }
            }
        }
        return mask
    }
}

extension MaskRCNNFPN: MaskPasting {
    public func pasteMask(_ probabilities: ArraySlice<Float>, side: Int, box: Box, width: Int, height: Int) -> BinaryMask {
        MaskPaste.paste(probabilities, side: side, box: box, width: width, height: height)
    }
}

extension MaskRCNNC4: MaskPasting {
    public func pasteMask(_ probabilities: ArraySlice<Float>, side: Int, box: Box, width: Int, height: Int) -> BinaryMask {
        MaskPaste.paste(probabilities, side: side, box: box, width: width, height: height)
    }
}
