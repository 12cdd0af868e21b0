// detectron2's ROIPooler over FPN levels P2…P5 on static shapes. Each RoI belongs to level
// k = ⌊4 + log2(√(wh) / canonicalBoxSize)⌋ clamped to [2, 5] (detectron2 adds 1e-8 inside the log, which only
// moves boxes lying exactly on a boundary). Every level runs RoIAlign over all R rois, but a roi of another level
// carries batch index −1, which RoIAlign answers with zeros without sampling (forward and backward), so the
// per-level results add up to the assigned level's features. Cost: sampling work equals one RoIAlign over the R
// rois; the zero rows cost 4 × R·h·w·C writes and three additions (for 512 rois of 7×7×128 about 13 MB per pass).

import Foundation
import Kiln

public struct LevelRoIPooler {
    /// Strides of the pooled levels (P2…P5).
    public var strides: [Int] = [4, 8, 16, 32]
    public var firstLevel = 2
    public var canonicalLevel = 4
    public var canonicalBoxSize: Double
    public var resolution: Int

    public init(canonicalBoxSize: Double, resolution: Int) {
        self.canonicalBoxSize = canonicalBoxSize
        self.resolution = resolution
    }

    /// Pooled features (N·K, resolution, resolution, C) of boxes (N, K, 4) on `levels` (P2…P5 order), zeros where
    /// `keep` (N, K) is false.
    public func callAsFunction(_ levels: [Tensor], boxes: Tensor, keep: Tensor? = nil) -> Tensor {
        let n = boxes.shape[0], k = boxes.shape[1], t = boxes.tracer
        let (w, h) = BoxGeometry.sizes(boxes)
        let side = (w * h).maximum(t.scalar(0)).sqrt()
        let rois = BoxGeometry.rois(boxes, keep: keep)
        let imageIndex = rois.slice(axis: 1, 0..<1), coordinates = rois.slice(axis: 1, 1..<5)
        let sideColumn = side.reshaped([n * k, 1])
        let none = t.scalar(-1)
        var pooled: Tensor?
        for (i, (features, stride)) in zip(levels, strides).enumerated() {
            let level = firstLevel + i
            // Level `level` holds canonical · 2^(level − 4) ≤ side < canonical · 2^(level − 3); the ends are open.
            var index = imageIndex
            if i > 0 { index = Tensor.select(sideColumn.greaterEqual(t.scalar(bound(level))), index, none) }
            if i < levels.count - 1 { index = Tensor.select(sideColumn.less(t.scalar(bound(level + 1))), index, none) }
            let attributes = RoIAlignAttributes(output: [resolution, resolution], spatialScale: 1 / Double(stride),
                                                samplingRatio: 0, aligned: true)
            let part = features.roiAlign(rois: Tensor.concat([index, coordinates], axis: 1), attributes)
            pooled = pooled.map { $0 + part } ?? part
        }
        return pooled ?? boxes
    }

    /// The smallest √(wh) assigned to `level`.
    private func bound(_ level: Int) -> Double {
        canonicalBoxSize * Foundation.pow(2, Double(level - canonicalLevel))
    }
}
