// The shape of a 2-D convolution over NHWC activations with OHWI weights, and the scratch its kernels need.
//
// x: (batch, inH, inW, inC), w: (outC, kernelH, kernelW, inC / groups), y: (batch, outH, outW, outC).
// Padding may be asymmetric (top/left/bottom/right). The geometry is plain data: validity (positive sizes,
// channels divisible by groups, a non-empty output) is checked by `validate()`, which ops call when they build
// a node; kernels assume a valid geometry.

/// The scratch-using passes of a convolution.
public enum ConvPass: Sendable, Hashable {
    case forward, backwardData, backwardWeights
}

/// Errors for a convolution geometry that no kernel can run.
public struct ConvGeometryError: Error, CustomStringConvertible, Sendable {
    public let description: String
}

/// Every size of a 2-D convolution (NHWC activations, OHWI weights).
public struct ConvGeometry: Hashable, Sendable {
    public var batch, inH, inW, inC, outC: Int
    public var kernelH, kernelW: Int
    public var strideH, strideW: Int
    public var padTop, padLeft, padBottom, padRight: Int
    public var dilationH, dilationW: Int
    public var groups: Int

    /// Memberwise: every size of the convolution.
    public init(
        batch: Int, inH: Int, inW: Int, inC: Int, outC: Int, kernelH: Int, kernelW: Int,
        strideH: Int, strideW: Int, padTop: Int, padLeft: Int, padBottom: Int, padRight: Int,
        dilationH: Int, dilationW: Int, groups: Int
    ) {
        self.batch = batch; self.inH = inH; self.inW = inW; self.inC = inC; self.outC = outC
        self.kernelH = kernelH; self.kernelW = kernelW; self.strideH = strideH; self.strideW = strideW
        self.padTop = padTop; self.padLeft = padLeft; self.padBottom = padBottom; self.padRight = padRight
        self.dilationH = dilationH; self.dilationW = dilationW; self.groups = groups
    }

    /// Output height: floor((inH + padTop + padBottom − dilationH·(kernelH − 1) − 1) / strideH) + 1.
    public var outH: Int { (inH + padTop + padBottom - dilationH * (kernelH - 1) - 1) / strideH + 1 }
    /// Output width, as `outH`.
    public var outW: Int { (inW + padLeft + padRight - dilationW * (kernelW - 1) - 1) / strideW + 1 }

    /// Input channels per group.
    public var groupInC: Int { inC / groups }
    /// Output channels per group.
    public var groupOutC: Int { outC / groups }
    /// Length of one im2col row (per group): kernelH · kernelW · groupInC.
    public var patchSize: Int { kernelH * kernelW * groupInC }
    /// Output pixels over the batch: the GEMM's M.
    public var outPixels: Int { batch * outH * outW }

    /// Element counts of x, w and y.
    public var inputCount: Int { batch * inH * inW * inC }
    public var weightCount: Int { outC * kernelH * kernelW * groupInC }
    public var outputCount: Int { batch * outH * outW * outC }

    /// Multiply-adds of the forward pass, taps on padding included (the usual FLOP convention: 2 × this).
    public var forwardMACs: Int { outPixels * outC * patchSize }

    /// Throws a message naming the bad field when no kernel can run this geometry.
    public func validate() throws {
        func fail(_ why: String) -> ConvGeometryError { ConvGeometryError(description: "ConvGeometry: \(why) in \(self)") }
        for (name, v) in [("batch", batch), ("inH", inH), ("inW", inW), ("inC", inC), ("outC", outC),
                          ("kernelH", kernelH), ("kernelW", kernelW), ("strideH", strideH), ("strideW", strideW),
                          ("dilationH", dilationH), ("dilationW", dilationW), ("groups", groups)] where v < 1 {
            throw fail("\(name) = \(v) must be ≥ 1")
        }
        for (name, v) in [("padTop", padTop), ("padLeft", padLeft), ("padBottom", padBottom),
                          ("padRight", padRight)] where v < 0 {
            throw fail("\(name) = \(v) must be ≥ 0")
        }
        if inC % groups != 0 { throw fail("inC = \(inC) is not divisible by groups = \(groups)") }
        if outC % groups != 0 { throw fail("outC = \(outC) is not divisible by groups = \(groups)") }
        if outH < 1 || outW < 1 { throw fail("empty output \(outH)×\(outW)") }
    }
}
