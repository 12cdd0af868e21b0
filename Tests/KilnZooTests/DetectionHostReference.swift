// Plain host implementations of detectron2's anchor generator, pairwise IoU, Matcher, Box2BoxTransform and greedy
// NMS, written from detectron2's definitions (not from Kiln's kernels), to check the RetinaNet graph against.

import Foundation

enum HostDetection {
    typealias Box = [Double]   // x0, y0, x1, y1

    /// DefaultAnchorGenerator for one level: (y, x, size, ratio) order, values rounded to Float as the graph stores them.
    static func anchors(featureSize: Int, stride: Double, sizes: [Double], ratios: [Double]) -> [Box] {
        var out: [Box] = []
        for y in 0..<featureSize {
            for x in 0..<featureSize {
                for s in sizes {
                    for r in ratios {
                        let w = (s * s / r).squareRoot(), h = r * w
                        let cx = Double(x) * stride, cy = Double(y) * stride
                        out.append([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2].map { Double(Float($0)) })
                    }
                }
            }
        }
        return out
    }

    /// pairwise_iou in Float, as the kernel computes it.
    static func iou(_ a: Box, _ b: Box) -> Float {
        let a = a.map(Float.init), b = b.map(Float.init)
        let areaA = (a[2] - a[0]) * (a[3] - a[1]), areaB = (b[2] - b[0]) * (b[3] - b[1])
        let w = max(min(a[2], b[2]) - max(a[0], b[0]), 0), h = max(min(a[3], b[3]) - max(a[1], b[1]), 0)
        let inter = w * h
        return inter > 0 ? inter / (areaA + areaB - inter) : 0
    }

    /// Matcher(thresholds [low, high], labels [0, −1, 1], allow_low_quality_matches): per anchor (gt index, label).
    static func match(anchors: [Box], gt: [Box], low: Float, high: Float) -> [(index: Int, label: Int)] {
        guard !gt.isEmpty else { return anchors.map { _ in (0, 0) } }
        let quality = anchors.map { a in gt.map { iou(a, $0) } }
        var out = quality.map { row -> (index: Int, label: Int) in
            var best = 0
            for j in row.indices where row[j] > row[best] { best = j }
            let q = row[best]
            return (best, q < low ? 0 : q < high ? -1 : 1)
        }
        for j in gt.indices {
            let top = quality.map { $0[j] }.max() ?? 0
            for i in anchors.indices where quality[i][j] == top { out[i].label = 1 }
        }
        return out
    }

    /// Box2BoxTransform.get_deltas with weights (1, 1, 1, 1).
    static func deltas(from a: Box, to g: Box) -> [Double] {
        let wa = a[2] - a[0], ha = a[3] - a[1], wg = g[2] - g[0], hg = g[3] - g[1]
        return [((g[0] + 0.5 * wg) - (a[0] + 0.5 * wa)) / wa, ((g[1] + 0.5 * hg) - (a[1] + 0.5 * ha)) / ha,
                Foundation.log(wg / wa), Foundation.log(hg / ha)]
    }

    /// Greedy NMS over boxes already in visiting order: indices of the kept ones (IoU > threshold suppresses).
    static func nms(_ boxes: [Box], threshold: Double) -> [Int] {
        var kept: [Int] = []
        for i in boxes.indices where !kept.contains(where: { Double(iou(boxes[$0], boxes[i])) > threshold }) { kept.append(i) }
        return kept
    }

    /// fvcore's sigmoid focal loss of one logit against a 0/1 target.
    static func focal(logit: Double, target: Double, alpha: Double = 0.25, gamma: Double = 2) -> Double {
        let p = 1 / (1 + Foundation.exp(-logit))
        let ce = -(target * Foundation.log(p) + (1 - target) * Foundation.log(1 - p))
        let pt = p * target + (1 - p) * (1 - target)
        return ce * Foundation.pow(1 - pt, gamma) * (alpha * target + (1 - alpha) * (1 - target))
    }
}
