// Attributes shared by the pooling ops (NHWC windows) and the naive window walk their references use.

import KilnIR
import KilnKernels

public struct PoolAttributes: Hashable {
    public var kernel: [Int]   // [kh, kw]
    public var stride: [Int]   // [sh, sw]
    public var padding: [Int]  // [top, left, bottom, right]

    public init(kernel: [Int], stride: [Int], padding: [Int] = [0, 0, 0, 0]) {
        self.kernel = kernel
        self.stride = stride
        self.padding = padding
    }

    public init(_ attributes: Attributes) throws {
        kernel = try attributes.ints("kernel", count: 2)
        stride = try attributes.ints("stride", count: 2)
        padding = try attributes.ints("padding", count: 4)
    }

    public var attributes: Attributes { ["kernel": .ints(kernel), "stride": .ints(stride), "padding": .ints(padding)] }

    /// The pooled NHWC shape of `x`, validating the window.
    func outputShape(_ x: [Int], op: String, inputs: [TensorType]) throws -> [Int] {
        func fail(_ m: String) -> ShapeError { ShapeError(op: op, inputs: inputs, message: m) }
        guard x.count == 4 else { throw fail("input must be NHWC (rank 4)") }
        guard kernel.allSatisfy({ $0 > 0 }), stride.allSatisfy({ $0 > 0 }), padding.allSatisfy({ $0 >= 0 }) else {
            throw fail("kernel and stride must be positive and padding non-negative")
        }
        guard padding[0] <= kernel[0] / 2, padding[2] <= kernel[0] / 2, padding[1] <= kernel[1] / 2, padding[3] <= kernel[1] / 2 else {
            throw fail("padding \(padding) must be at most half the kernel \(kernel)")
        }
        let ph = x[1] + padding[0] + padding[2] - kernel[0], pw = x[2] + padding[1] + padding[3] - kernel[1]
        guard ph >= 0, pw >= 0 else { throw fail("a \(kernel[0])×\(kernel[1]) window does not fit a \(x[1])×\(x[2]) input") }
        return [x[0], ph / stride[0] + 1, pw / stride[1] + 1, x[3]]
    }

    /// Calls `visit(yIndex, xIndices)` for every output element with the input elements of its window that lie
    /// inside the input, in row-major window order.
    func forEachWindow(x: [Int], y: [Int], _ visit: (Int, [Int]) -> Void) {
        let (n, h, w, c) = (x[0], x[1], x[2], x[3])
        for b in 0..<n {
            for i in 0..<y[1] {
                for j in 0..<y[2] {
                    for ch in 0..<c {
                        var taps: [Int] = []
                        for p in 0..<kernel[0] {
                            let ih = i * stride[0] - padding[0] + p
                            guard ih >= 0 && ih < h else { continue }
                            for q in 0..<kernel[1] {
                                let iw = j * stride[1] - padding[1] + q
                                guard iw >= 0 && iw < w else { continue }
                                taps.append(((b * h + ih) * w + iw) * c + ch)
                            }
                        }
                        visit(((b * y[1] + i) * y[2] + j) * c + ch, taps)
                    }
                }
            }
        }
    }

    /// Index of the first maximum among `taps` (the element max pooling selects).
    static func firstMax(_ taps: [Int], _ x: [Double]) -> Int? {
        var best: Int?
        for t in taps where best == nil || x[t] > x[best!] || (x[t].isNaN && !x[best!].isNaN) { best = t }
        return best
    }
}

extension PoolAttributes {
    /// The kernel library's geometry for an NHWC input shape.
    func geometry(_ x: [Int]) -> Pool2DGeometry {
        Pool2DGeometry(batch: x[0], inH: x[1], inW: x[2], channels: x[3], kernelH: kernel[0], kernelW: kernel[1],
                       strideH: stride[0], strideW: stride[1], padTop: padding[0], padLeft: padding[1],
                       padBottom: padding[2], padRight: padding[3])
    }
}
