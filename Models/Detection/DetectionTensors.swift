// Small tensor helpers the two-stage detectors share: clipping and emptiness of boxes, one-hot class masks,
// counts-to-validity masks, RoIAlign rois with per-image batch indices, and masked means. Static shapes
// throughout; data-dependent quantities are masks or counts.

import Kiln

enum BoxGeometry {
    /// Boxes (…, 4) clamped into the square [0, canvas] (detectron2's Boxes.clip on the padded image).
    static func clip(_ boxes: Tensor, canvas: Int) -> Tensor {
        let t = boxes.tracer
        return boxes.maximum(t.scalar(0)).minimum(t.scalar(Double(canvas)))
    }

    /// (…, N) bool: both sides of boxes (…, N, 4) positive (detectron2's nonempty / remove_small_boxes(0)).
    static func nonEmpty(_ boxes: Tensor) -> Tensor {
        let sides = sizes(boxes)
        let shortest = sides.width.minimum(sides.height)
        return shortest.greater(boxes.tracer.scalar(0))
    }

    /// Widths and heights (…, N) of boxes (…, N, 4).
    static func sizes(_ boxes: Tensor) -> (width: Tensor, height: Tensor) {
        let last = boxes.rank - 1, shape = Array(boxes.shape.dropLast())
        let width = boxes.slice(axis: last, 2..<3) - boxes.slice(axis: last, 0..<1)
        let height = boxes.slice(axis: last, 3..<4) - boxes.slice(axis: last, 1..<2)
        return (width.reshaped(shape), height.reshaped(shape))
    }

    /// RoIAlign rois (N·K, 5) for boxes (N, K, 4): each row's batch index is its image, or −1 where `keep` (N, K)
    /// bool is false — RoIAlign gives such rows zeros without sampling.
    static func rois(_ boxes: Tensor, keep: Tensor? = nil) -> Tensor {
        let n = boxes.shape[0], k = boxes.shape[1], t = boxes.tracer
        var index = t.constant((0..<n).map(Double.init), TensorType(.f32, [n, 1])).broadcast(to: [n, k])
        if let keep { index = Tensor.select(keep, index, t.scalar(-1)) }
        return Tensor.concat([index.reshaped([n * k, 1]), boxes.reshaped([n * k, 4])], axis: 1)
    }
}

enum ClassMasks {
    /// f32 (…, count) with a 1 where the column equals the i32 class (…); classes outside 0..<count give zeros.
    static func oneHot(_ classes: Tensor, count: Int) -> Tensor {
        let columns = classes.tracer.constant((0..<count).map(Double.init), TensorType(.i32, [count]))
        return classes.reshaped(classes.shape + [1]).equal(columns).cast(.f32)
    }

    /// (N, G) bool: row g of image n is a real ground-truth instance (g < counts[n]).
    static func validRows(counts: Tensor, capacity: Int) -> Tensor {
        let rows = counts.tracer.constant((0..<capacity).map(Double.init), TensorType(.i32, [1, capacity]))
        return rows.less(counts.reshaped([counts.shape[0], 1]))
    }

    /// Σ values / max(Σ weights, floor): a mean over a data-dependent number of entries.
    static func mean(_ total: Tensor, count: Tensor, floor: Double = 1) -> Tensor {
        total / count.maximum(count.tracer.scalar(floor))
    }
}

extension Tracer {
    /// A scalar constant (f32 unless asked otherwise).
    func scalar(_ value: Double, _ dtype: DType = .f32) -> Tensor { constant([value], TensorType(dtype, [])) }
}

enum LossTerms {
    /// The terms plus "loss", their sum taken in name order (a fixed order keeps the step deterministic).
    static func withTotal(_ terms: [String: Tensor]) -> [String: Tensor] {
        let ordered = terms.sorted { $0.key < $1.key }.map(\.value)
        guard let first = ordered.first else { return terms }
        var out = terms
        out["loss"] = ordered.dropFirst().reduce(first, +)
        return out
    }
}
