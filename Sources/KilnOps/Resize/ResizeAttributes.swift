// Attributes and the interpolation taps shared by upsample and its transpose (PyTorch `F.interpolate` semantics:
// nearest uses floor(dst · in / out); bilinear uses align_corners = False with half-pixel centres).

import KilnIR
import KilnKernels

public enum ResizeMode: String, Sendable {
    case nearest, bilinear
}

struct ResizeTaps {
    /// For each output coordinate along one axis: (source index, weight) pairs.
    let taps: [[(Int, Double)]]

    init(input: Int, output: Int, mode: ResizeMode) {
        let scale = Double(input) / Double(output)
        taps = (0..<output).map { o in
            switch mode {
            case .nearest:
                return [(min(Int((Double(o) * scale).rounded(.down)), input - 1), 1)]
            case .bilinear:
                let src = max((Double(o) + 0.5) * scale - 0.5, 0)
                let i0 = min(Int(src.rounded(.down)), input - 1)
                let i1 = min(i0 + 1, input - 1)
                let l = src - Double(i0)
                return i1 == i0 ? [(i0, 1)] : [(i0, 1 - l), (i1, l)]
            }
        }
    }

    /// Calls `tap(yIndex, xIndex, weight)` for every contribution of an NHWC resize from x to y.
    static func forEach(x: [Int], y: [Int], mode: ResizeMode, _ tap: (Int, Int, Double) -> Void) {
        let rows = ResizeTaps(input: x[1], output: y[1], mode: mode)
        let cols = ResizeTaps(input: x[2], output: y[2], mode: mode)
        let c = x[3]
        for b in 0..<x[0] {
            for i in 0..<y[1] {
                for j in 0..<y[2] {
                    for (r, wr) in rows.taps[i] {
                        for (s, ws) in cols.taps[j] {
                            for ch in 0..<c {
                                tap(((b * y[1] + i) * y[2] + j) * c + ch, ((b * x[1] + r) * x[2] + s) * c + ch, wr * ws)
                            }
                        }
                    }
                }
            }
        }
    }

    static func mode(_ attributes: Attributes, op: String, inputs: [TensorType]) throws -> ResizeMode {
        let name = try attributes.string("mode")
        guard let mode = ResizeMode(rawValue: name) else {
            throw ShapeError(op: op, inputs: inputs, message: "unknown mode '\(name)' (nearest or bilinear)")
        }
        return mode
    }
}

/// The kernel library's geometry for an NHWC resize from x to y.
func resizeGeometry(x: [Int], y: [Int]) -> UpsampleGeometry {
    UpsampleGeometry(batch: x[0], inH: x[1], inW: x[2], channels: x[3], outH: y[1], outW: y[2])
}
