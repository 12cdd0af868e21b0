// fused_conv2d(x, w, [scale], [shift], [residual]) {stride, padding, dilation, groups, scale, shift, residual, relu}:
// conv2d followed by its epilogue,
//
//   y = relu?((conv2d(x, w) · scale[c] + shift[c]) + residual)        c = output channel
//
// Each step is present when its boolean attribute is true; its operand (if it has one) follows x and w in the order
// scale, shift, residual. scale and shift hold one value per output channel (shape [C], or [1, …, 1, C]); residual
// has the output's type. Created by the conv-epilogue pass (Passes/ConvEpilogueFusion.swift) from a conv2d → mul →
// add → add → relu chain (BN in eval mode, bias, residual, activation); the fast kernel applies the epilogue to each
// block of the output as soon as the convolution has computed it (KilnKernels/GemmEpilogue.swift). Both kernels
// round after the convolution and after each step, as the separate ops' values are rounded.

import KilnIR
import KilnKernels

public enum FusedConv2D: Op {
    public static let name = "fused_conv2d"
    /// Already fused: nothing else fuses into it.
    public static let fusion = FusionKind.opaque

    public static func inferType(_ inputs: [TensorType], _ attributes: Attributes) throws -> TensorType {
        let steps = try ConvEpilogueSteps(attributes)
        try expectArity(inputs, 2 + steps.operandCount)
        guard inputs.allSatisfy({ $0.dtype == inputs[0].dtype }), inputs[0].dtype.isFloatingPoint else {
            throw shapeError(inputs, "operands must share a floating-point type")
        }
        let conv = try ConvAttributes(attributes)
        let output = inputs[0].with(shape: try conv.forwardShape(x: inputs[0].shape, w: inputs[1].shape, op: name,
                                                                 inputs: inputs))
        let channels = output.shape[3]
        for k in [steps.scaleOperand, steps.shiftOperand].compactMap({ $0 }) {
            guard inputs[k].shape.last == channels, inputs[k].count == channels else {
                throw shapeError(inputs, "operand \(k) must hold one value per output channel (\(channels))")
            }
        }
        if let k = steps.residualOperand, inputs[k] != output {
            throw shapeError(inputs, "residual must have the output type \(output)")
        }
        return output
    }

    public static func vjp(_ c: VJPContext, _ b: inout GraphBuilder) throws -> [ValueID?] {
        // Differentiates the unfused chain; the convolution is recomputed for the scale's cotangent. (The pass fuses
        // only chains whose intermediate values nothing else reads, so compiled training graphs never get here.)
        let steps = try ConvEpilogueSteps(c.attributes)
        let conv = try ConvAttributes(c.attributes)
        let (x, w) = (c.inputs[0], c.inputs[1])
        var dz = c.grad
        if steps.relu {
            // y > 0 exactly where the pre-activation is > 0 (relu's VJP gives 0 at 0, as in PyTorch).
            let zero = b.scalar(0, c.outputType.dtype)
            dz = try b.select(try b.greater(c.output, zero), c.grad, zero)
        }
        var grads = [ValueID?](repeating: nil, count: c.inputs.count)
        if let k = steps.residualOperand, c.wants[k] { grads[k] = dz }
        if let k = steps.shiftOperand, c.wants[k] { grads[k] = dz }
        if let k = steps.scaleOperand, c.wants[k] { grads[k] = try b.mul(dz, try b.conv2d(x, w, conv)) }
        if c.wants[0] || c.wants[1] {
            var dconv = dz
            if let k = steps.scaleOperand { dconv = try b.mul(dz, c.inputs[k]) }
            let shape = c.inputTypes[1].shape
            if c.wants[0] { grads[0] = try b.conv2dBackwardData(dconv, w, inputShape: c.inputTypes[0].shape, conv) }
            if c.wants[1] { grads[1] = try b.conv2dBackwardWeights(x, dconv, kernel: [shape[1], shape[2]], conv) }
        }
        return grads
    }

    public static func reference(_ inputs: [HostTensor], _ node: Node) throws -> HostTensor {
        let steps = try ConvEpilogueSteps(node.attributes)
        let conv = try ConvAttributes(node.attributes)
        var out = HostTensor(zeros: node.type)
        ConvReference.forEachTap(x: inputs[0].shape, w: inputs[1].shape, y: node.type.shape, conv) { xi, wi, yi in
            out.data[yi] += inputs[0].data[xi] * inputs[1].data[wi]
        }
        // Each step's value is rounded to the element type, as the separate ops' values are.
        let round: (Double) -> Double = node.type.dtype == .f32 ? { Double(Float($0)) } : { $0 }
        let channels = node.type.shape[3]
        for i in out.data.indices {
            var v = round(out.data[i])
            if let k = steps.scaleOperand { v = round(v * inputs[k].data[i % channels]) }
            if let k = steps.shiftOperand { v = round(v + inputs[k].data[i % channels]) }
            if let k = steps.residualOperand { v = round(v + inputs[k].data[i]) }
            if steps.relu { v = v > 0 ? v : 0 }
            out.data[i] = v
        }
        return out
    }

    public static func scratchBytes(_ node: Node, _ inputTypes: [TensorType]) -> Int {
        guard inputTypes.count >= 2, let g = try? Conv2D.geometry(node, inputTypes) else { return 0 }
        return g.scratchFloats(.forward) * 4
    }

    public static func kernel(_ node: Node, _ inputTypes: [TensorType], _ buffers: KernelBuffers,
                              _ context: KernelContext) throws -> KernelThunk? {
        guard node.type.dtype == .f32 else { return nil }
        let steps = try ConvEpilogueSteps(node.attributes)
        let g = try Conv2D.geometry(node, inputTypes)
        let x: UnsafeMutablePointer<Float> = buffers.input(0), w: UnsafeMutablePointer<Float> = buffers.input(1)
        let y: UnsafeMutablePointer<Float> = buffers.output(), scratch: UnsafeMutablePointer<Float>? = buffers.scratch()
        func operand(_ k: Int?) -> UnsafePointer<Float>? { k.map { UnsafePointer(buffers.input($0, as: Float.self)) } }
        let epilogue = GemmEpilogue(output: y, channels: g.outC, scale: operand(steps.scaleOperand),
                                    shift: operand(steps.shiftOperand), residual: operand(steps.residualOperand),
                                    relu: steps.relu)
        let pool = context.pool
        return {
            KilnKernels.Conv2D.forward(x: x, w: w, y: y, geometry: g, scratch: scratch, pool: pool, epilogue: epilogue)
        }
    }

    public static func flops(_ node: Node, _ inputTypes: [TensorType]) -> Double {
        let w = inputTypes[1].shape
        let steps = (try? ConvEpilogueSteps(node.attributes))?.count ?? 0
        return Double(node.type.count) * (2 * Double(w[1] * w[2] * w[3]) + Double(steps))
    }
}

/// Which epilogue steps a fused_conv2d applies, and where their operands are.
public struct ConvEpilogueSteps: Hashable, Sendable {
    public var scale: Bool
    public var shift: Bool
    public var residual: Bool
    public var relu: Bool

    public init(scale: Bool = false, shift: Bool = false, residual: Bool = false, relu: Bool = false) {
        self.scale = scale
        self.shift = shift
        self.residual = residual
        self.relu = relu
    }

    public init(_ attributes: Attributes) throws {
        scale = try attributes.bool("scale", default: false)
        shift = try attributes.bool("shift", default: false)
        residual = try attributes.bool("residual", default: false)
        relu = try attributes.bool("relu", default: false)
    }

    /// Only the steps that are present, so that printed graphs stay short.
    public var attributes: Attributes {
        var a = Attributes()
        if scale { a["scale"] = .bool(true) }
        if shift { a["shift"] = .bool(true) }
        if residual { a["residual"] = .bool(true) }
        if relu { a["relu"] = .bool(true) }
        return a
    }

    /// Number of steps.
    public var count: Int { [scale, shift, residual, relu].filter { $0 }.count }
    /// Number of operands after x and w.
    public var operandCount: Int { [scale, shift, residual].filter { $0 }.count }

    public var scaleOperand: Int? { scale ? 2 : nil }
    public var shiftOperand: Int? { shift ? 2 + (scale ? 1 : 0) : nil }
    public var residualOperand: Int? { residual ? 2 + (scale ? 1 : 0) + (shift ? 1 : 0) : nil }
}

extension GraphBuilder {
    /// conv2d(x, w) followed by the epilogue `steps`; `operands` are the steps' operands in order (scale, shift,
    /// residual, each only if present).
    public mutating func fusedConv2d(_ x: ValueID, _ w: ValueID, _ conv: ConvAttributes = ConvAttributes(),
                                     _ steps: ConvEpilogueSteps, operands: [ValueID]) throws(ShapeError) -> ValueID {
        var attributes = conv.attributes
        for (key, value) in steps.attributes.values { attributes[key] = value }
        return try apply(FusedConv2D.self, [x, w] + operands, attributes)
    }
}
