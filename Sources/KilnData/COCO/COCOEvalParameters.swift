// Parameters of COCO detection evaluation, fixed to pycocotools' defaults (`Params.setDetParams`): ten IoU
// thresholds .50:.05:.95, 101 recall points, maxDets 1/10/100 and the all/small/medium/large area ranges.
// Thresholds are generated the way numpy's `linspace` generates them (i·step + start, the last one set to
// stop), so they are bit-identical to pycocotools' and the exact-equality lookups of `summarize` (AP50, AP75)
// and the recall comparisons of `accumulate` behave identically.

/// Which overlap the evaluator matches detections with.
public enum COCOIoUType: String, CaseIterable, Sendable {
    /// Box IoU of `[x, y, w, h]` boxes.
    case bbox
    /// Mask IoU of run-length encoded instance masks.
    case segm
}

/// A named object-area range, inclusive at both ends: pycocotools ignores areas `< lower` or `> upper`.
public struct COCOAreaRange: Equatable, Sendable {
    public var label: String
    public var lower: Double
    public var upper: Double

    public init(label: String, lower: Double, upper: Double) {
        self.label = label
        self.lower = lower
        self.upper = upper
    }

    /// Whether `area` falls outside the range.
    @inline(__always)
    func excludes(_ area: Double) -> Bool { area < lower || area > upper }
}

/// Evaluation settings. Only the overlap type and `useCategories` vary; the rest are pycocotools' defaults,
/// which the 12-number summary depends on.
public struct COCOEvalParameters: Sendable {
    /// Box or mask overlap.
    public var iouType: COCOIoUType
    /// Match detections only to ground truths of their own category (pycocotools `useCats = 1`); when false,
    /// all categories are pooled into one, as in proposal scoring.
    public var useCategories: Bool
    /// 0.50, 0.55, ..., 0.95 as `np.linspace(.5, .95, 10)` computes them.
    public let iouThresholds: [Double]
    /// 0.00, 0.01, ..., 1.00 as `np.linspace(0, 1, 101)` computes them.
    public let recallThresholds: [Double]
    /// Detections per image kept for the three recall/precision settings, ascending.
    public let maxDetections: [Int]
    /// all [0, 1e10], small [0, 32²], medium [32², 96²], large [96², 1e10].
    public let areaRanges: [COCOAreaRange]

    public init(iouType: COCOIoUType = .bbox, useCategories: Bool = true) {
        self.iouType = iouType
        self.useCategories = useCategories
        // pycocotools: num = int(np.round((0.95 - .5) / .05)) + 1 = 10 and int(np.round(1.0 / .01)) + 1 = 101.
        iouThresholds = Self.linspace(0.5, 0.95, count: Int(((0.95 - 0.5) / 0.05).rounded()) + 1)
        recallThresholds = Self.linspace(0.0, 1.0, count: Int(((1.0 - 0.0) / 0.01).rounded()) + 1)
        maxDetections = [1, 10, 100]
        let big = 1e5 * 1e5
        areaRanges = [COCOAreaRange(label: "all", lower: 0, upper: big),
                      COCOAreaRange(label: "small", lower: 0, upper: 32 * 32),
                      COCOAreaRange(label: "medium", lower: 32 * 32, upper: 96 * 96),
                      COCOAreaRange(label: "large", lower: 96 * 96, upper: big)]
    }

    /// `count` evenly spaced values from `start` to `stop` inclusive, computed exactly as numpy's `linspace`
    /// (`i * ((stop - start) / (count - 1)) + start`, last value replaced by `stop`).
    public static func linspace(_ start: Double, _ stop: Double, count: Int) -> [Double] {
        guard count > 1 else { return count == 1 ? [start] : [] }
        let step = (stop - start) / Double(count - 1)
        var values = (0..<count).map { Double($0) * step + start }
        values[count - 1] = stop
        return values
    }
}
