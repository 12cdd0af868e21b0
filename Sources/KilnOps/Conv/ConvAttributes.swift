// Attributes shared by conv2d and its two backward ops, with the output-size rule. Layouts: activations NHWC,
// weights OHWI = (Cout, KH, KW, Cin / groups).

import KilnIR
import KilnKernels

public struct ConvAttributes: Hashable {
    public var stride: [Int]      // [sh, sw]
    public var padding: [Int]     // [top, left, bottom, right]
    public var dilation: [Int]    // [dh, dw]
    public var groups: Int

    public init(stride: [Int] = [1, 1], padding: [Int] = [0, 0, 0, 0], dilation: [Int] = [1, 1], groups: Int = 1) {
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
        self.groups = groups
    }

    public init(_ attributes: Attributes) throws {
        stride = try attributes.ints("stride", count: 2)
        padding = try attributes.ints("padding", count: 4)
        dilation = try attributes.ints("dilation", count: 2)
        groups = try attributes.int("groups")
    }

    public var attributes: Attributes {
        ["stride": .ints(stride), "padding": .ints(padding), "dilation": .ints(dilation), "groups": .int(groups)]
    }

    /// Output (H, W) for an input (H, W) and kernel (KH, KW), or nil when the window does not fit.
    public func outputSize(input: (Int, Int), kernel: (Int, Int)) -> (Int, Int)? {
        let eh = dilation[0] * (kernel.0 - 1) + 1, ew = dilation[1] * (kernel.1 - 1) + 1
        let ph = input.0 + padding[0] + padding[2] - eh, pw = input.1 + padding[1] + padding[3] - ew
        guard ph >= 0, pw >= 0 else { return nil }
        return (ph / stride[0] + 1, pw / stride[1] + 1)
    }

    /// Validates the attributes and computes the forward output shape for input x (NHWC) and weight w (OHWI).
    func forwardShape(x: [Int], w: [Int], op: String, inputs: [TensorType]) throws -> [Int] {
        func fail(_ m: String) -> ShapeError { ShapeError(op: op, inputs: inputs, message: m) }
        guard stride.allSatisfy({ $0 > 0 }), dilation.allSatisfy({ $0 > 0 }), padding.allSatisfy({ $0 >= 0 }), groups > 0 else {
            throw fail("stride and dilation must be positive, padding non-negative, groups positive")
        }
        guard x.count == 4 else { throw fail("input must be NHWC (rank 4)") }
        guard w.count == 4 else { throw fail("weight must be OHWI (rank 4)") }
        guard x[3] % groups == 0, w[0] % groups == 0 else {
            throw fail("channels \(x[3]) in and \(w[0]) out must both divide by groups \(groups)")
        }
        guard w[3] * groups == x[3] else {
            throw fail("input has \(x[3]) channels but the weight expects \(w[3] * groups) (\(w[3]) per group × \(groups) groups)")
        }
        guard let (oh, ow) = outputSize(input: (x[1], x[2]), kernel: (w[1], w[2])) else {
            throw fail("a \(w[1])×\(w[2]) window (dilation \(dilation)) does not fit a \(x[1])×\(x[2]) input padded by \(padding)")
        }
        return [x[0], oh, ow, w[0]]
    }
}

extension ConvAttributes {
    /// The kernel library's geometry for input x (NHWC) and weight w (OHWI).
    func geometry(x: [Int], w: [Int]) -> ConvGeometry {
        ConvGeometry(batch: x[0], inH: x[1], inW: x[2], inC: x[3], outC: w[0], kernelH: w[1], kernelW: w[2],
                     strideH: stride[0], strideW: stride[1], padTop: padding[0], padLeft: padding[1],
                     padBottom: padding[2], padRight: padding[3], dilationH: dilation[0], dilationW: dilation[1],
                     groups: groups)
    }
}
