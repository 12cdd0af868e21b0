// roi_align_backward(grad, rois) {feature_shape, output, spatial_scale, sampling_ratio, aligned}: the gradient
// of roi_align with respect to its features — grad (R, h, w, C) scattered through the same bilinear samples into
// (N, H, W, C) = feature_shape. It is linear in grad, so its own VJP is roi_align; the rois get no gradient.

import KilnIR
import KilnKernels

public enum RoIAlignBackward: Op {
    public static let name = "roi_align_backward"
    public static let fusion = FusionKind.opaque

    public static func inferType(_ inputs: [TensorType], _ attributes: Attributes) throws -> TensorType {
        try expectArity(inputs, 2)
        let a = try RoIAlignAttributes(attributes, op: name, inputs: inputs)
        let shape = try attributes.ints("feature_shape", count: 4)
        guard shape.allSatisfy({ $0 > 0 }) else { throw shapeError(inputs, "feature_shape \(shape) must be positive") }
        guard inputs[0].dtype.isFloatingPoint else { throw shapeError(inputs, "grad must be floating-point") }
        let r = try RoIAlignAttributes.roiCount(inputs[1], dtype: inputs[0].dtype, op: name, inputs: inputs)
        guard inputs[0].shape == [r, a.output[0], a.output[1], shape[3]] else {
            throw shapeError(inputs, "grad must be [\(r),\(a.output[0]),\(a.output[1]),\(shape[3])]")
        }
        return inputs[0].with(shape: shape)
    }

    public static func vjp(_ c: VJPContext, _ b: inout GraphBuilder) throws -> [ValueID?] {
        let a = try RoIAlignAttributes(c.attributes, op: name, inputs: c.inputTypes)
        return [c.wants[0] ? try b.roiAlign(c.grad, rois: c.inputs[1], a) : nil, nil]
    }

    public static func reference(_ inputs: [HostTensor], _ node: Node) throws -> HostTensor {
        let a = try RoIAlignAttributes(node.attributes, op: name, inputs: inputs.map(\.type))
        let g = a.geometry(features: node.type.shape, rois: inputs[1].shape[0])
        if node.type.dtype == .f32 {
            return HostTensor(node.type, KilnKernels.RoIAlign.naiveBackward(dy: inputs[0].elements(Float.self),
                                                                             rois: inputs[1].elements(Float.self), geometry: g).doubles)
        }
        return HostTensor(node.type, KilnKernels.RoIAlign.naiveBackward(dy: inputs[0].data, rois: inputs[1].data, geometry: g))
    }

    public static func kernel(_ node: Node, _ inputTypes: [TensorType], _ buffers: KernelBuffers,
                              _ context: KernelContext) throws -> KernelThunk? {
        guard node.type.dtype == .f32 else { return nil }
        let a = try RoIAlignAttributes(node.attributes, op: name, inputs: inputTypes)
        let g = a.geometry(features: node.type.shape, rois: inputTypes[1].shape[0])
        let dy: UnsafeMutablePointer<Float> = buffers.input(0), rois: UnsafeMutablePointer<Float> = buffers.input(1)
        let dx: UnsafeMutablePointer<Float> = buffers.output()
        let pool = context.pool
        return { KilnKernels.RoIAlign.backward(dy: dy, rois: rois, dx: dx, geometry: g, pool: pool) }
    }

    public static func flops(_ node: Node, _ inputTypes: [TensorType]) -> Double { Double(inputTypes[0].count) * 4 * 8 }
}

extension GraphBuilder {
    /// The features' gradient (N, H, W, C) = featureShape of roi_align given its output gradient (R, h, w, C).
    public mutating func roiAlignBackward(_ grad: ValueID, rois: ValueID, featureShape: [Int],
                                          _ a: RoIAlignAttributes) throws(ShapeError) -> ValueID {
        var attributes = a.attributes
        attributes["feature_shape"] = .ints(featureShape)
        return try apply(RoIAlignBackward.self, [grad, rois], attributes)
    }
}
