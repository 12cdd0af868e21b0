// Where RoIAlign samples, with the rules of torchvision's `roi_align` CPU kernel (detectron2's ROIAlign /
// ROIAlignV2), written once and shared by the fast kernels and the naive references:
// - a RoI row is (batch index, x0, y0, x1, y1) in input pixels; the batch index is truncated toward zero;
// - start = coordinate · spatialScale − (aligned ? 0.5 : 0); without `aligned` the RoI is at least 1×1;
// - bin size = RoI size / output size; sampling grid = samplingRatio, or ceil(bin size) when it is 0 (adaptive);
//   a bin averages its grid samples, dividing by max(gridH · gridW, 1);
// - sample (ph, iy) sits at startH + ph · binH + (iy + 0.5) · binH / gridH (no rounding anywhere);
// - a sample with y < −1, y > height, x < −1 or x > width contributes nothing; otherwise coordinates ≤ 0 are
//   clamped to 0 and a sample at or past the last row/column uses that row/column twice.
// Everything is computed in the element type T (Float for f32 graphs), as torchvision's templated kernel does.
// Kiln additions for inputs torchvision does not define: a RoI whose batch index is out of range or whose
// geometry is not finite produces zeros (and receives no gradient), and the adaptive grid is capped at
// `maxGrid` samples per axis so that absurd boxes cannot stall a step.

/// Sizes and settings of a RoIAlign: features (batch, height, width, channels) and rois (rois, 5) →
/// output (rois, outH, outW, channels).
public struct RoIAlignGeometry: Hashable, Sendable {
    public var batch, height, width, channels, rois, outH, outW: Int
    public var spatialScale: Double
    /// Samples per bin along each axis; 0 = adaptive (ceil of the bin size).
    public var samplingRatio: Int
    /// ROIAlignV2: shift by −0.5 pixel and allow RoIs smaller than a pixel.
    public var aligned: Bool

    /// The most samples per bin along one axis in adaptive mode.
    public static let maxGrid = 1024

    public init(batch: Int, height: Int, width: Int, channels: Int, rois: Int, outH: Int, outW: Int,
                spatialScale: Double, samplingRatio: Int, aligned: Bool) {
        self.batch = batch; self.height = height; self.width = width; self.channels = channels
        self.rois = rois; self.outH = outH; self.outW = outW
        self.spatialScale = spatialScale; self.samplingRatio = samplingRatio; self.aligned = aligned
    }

    public var inputCount: Int { batch * height * width * channels }
    public var outputCount: Int { rois * outH * outW * channels }
}

/// The bins of one RoI in the arithmetic of T.
public struct RoIBins<T: BinaryFloatingPoint> {
    /// The image the RoI samples, or nil when it samples nothing (batch index out of range, non-finite box).
    public var image: Int?
    public var startH: T = 0, startW: T = 0, binH: T = 0, binW: T = 0
    public var gridH = 0, gridW = 0
    /// max(gridH · gridW, 1): every bin's sum is divided by it.
    public var count: T = 1

    /// `roi` points at (batch index, x0, y0, x1, y1).
    @inline(__always)
    public init(roi: UnsafePointer<T>, _ g: RoIAlignGeometry) {
        self.init(roi: (roi[0], roi[1], roi[2], roi[3], roi[4]), g)
    }

    /// `roi` is (batch index, x0, y0, x1, y1).
    @inline(__always)
    public init(roi: (T, T, T, T, T), _ g: RoIAlignGeometry) {
        let scale = T(g.spatialScale), offset: T = g.aligned ? 0.5 : 0
        let b = roi.0
        image = b.isFinite && b > -1 && b < T(g.batch) ? Int(b) : nil
        startW = roi.1 * scale - offset
        startH = roi.2 * scale - offset
        let endW = roi.3 * scale - offset, endH = roi.4 * scale - offset
        var roiW = endW - startW, roiH = endH - startH
        if !g.aligned {
            roiW = Swift.max(roiW, 1)
            roiH = Swift.max(roiH, 1)
        }
        binH = roiH / T(g.outH)
        binW = roiW / T(g.outW)
        guard startH.isFinite, startW.isFinite, binH.isFinite, binW.isFinite else {
            image = nil
            return
        }
        gridH = g.samplingRatio > 0 ? g.samplingRatio : RoIBins.adaptiveGrid(binH)
        gridW = g.samplingRatio > 0 ? g.samplingRatio : RoIBins.adaptiveGrid(binW)
        count = T(Swift.max(gridH * gridW, 1))
    }

    @inline(__always)
    static func adaptiveGrid(_ bin: T) -> Int {
        let c = bin.rounded(.up)
        return c <= 0 ? 0 : c >= T(RoIAlignGeometry.maxGrid) ? RoIAlignGeometry.maxGrid : Int(c)
    }

    /// The y coordinate of sample iy in bin row ph.
    @inline(__always)
    public func sampleY(_ ph: Int, _ iy: Int) -> T { startH + T(ph) * binH + (T(iy) + 0.5) * binH / T(gridH) }

    /// The x coordinate of sample ix in bin column pw.
    @inline(__always)
    public func sampleX(_ pw: Int, _ ix: Int) -> T { startW + T(pw) * binW + (T(ix) + 0.5) * binW / T(gridW) }
}

/// Linear interpolation taps of one coordinate along an axis (torchvision's border rules).
public struct LinearTap<T: BinaryFloatingPoint> {
    /// False when the coordinate is outside [−1, size] (or NaN): the sample contributes nothing.
    public var inside: Bool
    public var low = 0, high = 0
    /// Weights of `low` (1 − l) and `high` (l).
    public var lowWeight: T = 0, highWeight: T = 0

    @inline(__always)
    public init(_ coordinate: T, size: Int) {
        inside = coordinate >= -1 && coordinate <= T(size)
        guard inside else { return }
        var c = Swift.max(coordinate, 0)
        low = Int(c)
        if low >= size - 1 {
            low = size - 1
            high = size - 1
            c = T(low)
        } else {
            high = low + 1
        }
        highWeight = c - T(low)
        lowWeight = 1 - highWeight
    }
}
