// Attributes shared by roi_align and roi_align_backward: output [h, w], spatial_scale, sampling_ratio
// (0 = adaptive), aligned (ROIAlignV2's −0.5 pixel shift; default true, as in detectron2's ROIAlignV2).

import KilnIR
import KilnKernels

/// RoIAlign settings (detectron2's ROIPooler: output 7×7 for boxes and 14×14 for masks, scale 1/stride,
/// sampling ratio 0, aligned).
public struct RoIAlignAttributes: Hashable, Sendable {
    public var output: [Int]
    public var spatialScale: Double
    public var samplingRatio: Int
    public var aligned: Bool

    public init(output: [Int], spatialScale: Double, samplingRatio: Int = 0, aligned: Bool = true) {
        self.output = output
        self.spatialScale = spatialScale
        self.samplingRatio = samplingRatio
        self.aligned = aligned
    }

    init(_ attributes: Attributes, op: String, inputs: [TensorType]) throws {
        output = try attributes.ints("output", count: 2)
        spatialScale = try attributes.float("spatial_scale")
        samplingRatio = try attributes.int("sampling_ratio", default: 0)
        aligned = try attributes.bool("aligned", default: true)
        guard output.allSatisfy({ $0 > 0 }) else {
            throw ShapeError(op: op, inputs: inputs, message: "output \(output) must be positive")
        }
        guard spatialScale > 0, spatialScale.isFinite else {
            throw ShapeError(op: op, inputs: inputs, message: "spatial_scale \(spatialScale) must be positive")
        }
        guard samplingRatio >= 0 else {
            throw ShapeError(op: op, inputs: inputs, message: "sampling_ratio \(samplingRatio) must be ≥ 0 (0 = adaptive)")
        }
    }

    public var attributes: Attributes {
        ["output": .ints(output), "spatial_scale": .float(spatialScale), "sampling_ratio": .int(samplingRatio),
         "aligned": .bool(aligned)]
    }

    /// Checks rois (R, 5) of the features' element type and returns R.
    static func roiCount(_ rois: TensorType, dtype: DType, op: String, inputs: [TensorType]) throws -> Int {
        guard rois.dtype == dtype, rois.rank == 2, rois.shape[1] == 5 else {
            throw ShapeError(op: op, inputs: inputs, message: "rois must be \(dtype)[R,5] = (batch index, x0, y0, x1, y1), got \(rois)")
        }
        return rois.shape[0]
    }

    /// The kernel geometry for features (N, H, W, C) and R rois.
    func geometry(features: [Int], rois: Int) -> RoIAlignGeometry {
        RoIAlignGeometry(batch: features[0], height: features[1], width: features[2], channels: features[3], rois: rois,
                         outH: output[0], outW: output[1], spatialScale: spatialScale, samplingRatio: samplingRatio,
                         aligned: aligned)
    }
}
