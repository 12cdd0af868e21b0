// conv2d(x, w) {stride, padding, dilation, groups}: 2-D cross-correlation, x NHWC, w OHWI, output NHWC.

import KilnIR
import KilnKernels

public enum Conv2D: Op {
    public static let name = "conv2d"
    public static let fusion = FusionKind.epilogueFusable

    public static func inferType(_ inputs: [TensorType], _ attributes: Attributes) throws -> TensorType {
        try expectArity(inputs, 2)
        guard inputs[0].dtype == inputs[1].dtype, inputs[0].dtype.isFloatingPoint else {
            throw shapeError(inputs, "operands must share a floating-point type")
        }
        let conv = try ConvAttributes(attributes)
        return inputs[0].with(shape: try conv.forwardShape(x: inputs[0].shape, w: inputs[1].shape, op: name, inputs: inputs))
    }

    public static func vjp(_ c: VJPContext, _ b: inout GraphBuilder) throws -> [ValueID?] {
        let conv = try ConvAttributes(c.attributes)
        let w = c.inputTypes[1].shape
        return [c.wants[0] ? try b.conv2dBackwardData(c.grad, c.inputs[1], inputShape: c.inputTypes[0].shape, conv) : nil,
                c.wants[1] ? try b.conv2dBackwardWeights(c.inputs[0], c.grad, kernel: [w[1], w[2]], conv) : nil]
    }

    public static func reference(_ inputs: [HostTensor], _ node: Node) throws -> HostTensor {
        let conv = try ConvAttributes(node.attributes)
        var out = HostTensor(zeros: node.type)
        ConvReference.forEachTap(x: inputs[0].shape, w: inputs[1].shape, y: node.type.shape, conv) { xi, wi, yi in
            out.data[yi] += inputs[0].data[xi] * inputs[1].data[wi]
        }
        return out
    }

    static func geometry(_ node: Node, _ inputTypes: [TensorType]) throws -> ConvGeometry {
        try ConvAttributes(node.attributes).geometry(x: inputTypes[0].shape, w: inputTypes[1].shape)
    }

    public static func scratchBytes(_ node: Node, _ inputTypes: [TensorType]) -> Int {
        guard let g = try? geometry(node, inputTypes) else { return 0 }
        return g.scratchFloats(.forward) * 4
    }

    public static func kernel(_ node: Node, _ inputTypes: [TensorType], _ buffers: KernelBuffers,
                              _ context: KernelContext) throws -> KernelThunk? {
        guard node.type.dtype == .f32 else { return nil }
        let g = try geometry(node, inputTypes)
        let x: UnsafeMutablePointer<Float> = buffers.input(0), w: UnsafeMutablePointer<Float> = buffers.input(1)
        let y: UnsafeMutablePointer<Float> = buffers.output(), scratch: UnsafeMutablePointer<Float>? = buffers.scratch()
        let pool = context.pool
        return { KilnKernels.Conv2D.forward(x: x, w: w, y: y, geometry: g, scratch: scratch, pool: pool) }
    }

    public static func flops(_ node: Node, _ inputTypes: [TensorType]) -> Double {
        let w = inputTypes[1].shape
        return 2 * Double(node.type.count) * Double(w[1] * w[2] * w[3])
    }
}

extension GraphBuilder {
    public mutating func conv2d(_ x: ValueID, _ w: ValueID, _ conv: ConvAttributes = ConvAttributes()) throws(ShapeError) -> ValueID {
        try apply(Conv2D.self, [x, w], conv.attributes)
    }
}

/// The naive definition of convolution shared by the three reference kernels: calls `tap(xIndex, wIndex, yIndex)`
/// for every multiply-accumulate y[n,oh,ow,co] += x[n,ih,iw,ci] · w[co,kh,kw,ci'] that lands inside the input.
enum ConvReference {
    static func forEachTap(x: [Int], w: [Int], y: [Int], _ conv: ConvAttributes, _ tap: (Int, Int, Int) -> Void) {
        let (n, h, wd, cin) = (x[0], x[1], x[2], x[3])
        let (cout, kh, kw, cpg) = (w[0], w[1], w[2], w[3])
        let (oh, ow) = (y[1], y[2])
        let outPerGroup = cout / conv.groups
        for b in 0..<n {
            for i in 0..<oh {
                for j in 0..<ow {
                    for co in 0..<cout {
                        let g = co / outPerGroup
                        let yi = ((b * oh + i) * ow + j) * cout + co
                        for p in 0..<kh {
                            let ih = i * conv.stride[0] - conv.padding[0] + p * conv.dilation[0]
                            guard ih >= 0 && ih < h else { continue }
                            for q in 0..<kw {
                                let iw = j * conv.stride[1] - conv.padding[1] + q * conv.dilation[1]
                                guard iw >= 0 && iw < wd else { continue }
                                let xBase = ((b * h + ih) * wd + iw) * cin + g * cpg
                                let wBase = ((co * kh + p) * kw + q) * cpg
                                for c in 0..<cpg { tap(xBase + c, wBase + c, yi) }
                            }
                        }
                    }
                }
            }
        }
    }
}
