// roi_align(features, rois) {output, spatial_scale, sampling_ratio, aligned}: detectron2's ROIAlign / ROIAlignV2
// (torchvision's kernel; sampling rules in KilnKernels/Detection/RoIAlignGeometry.swift) on NHWC features:
// features (N, H, W, C), rois (R, 5) = (batch index, x0, y0, x1, y1) in input pixels → (R, h, w, C).
// The VJP with respect to the features is roi_align_backward; the rois get no gradient (detectron2 detaches
// proposals). A RoI whose batch index is out of range gives zeros.

import KilnIR
import KilnKernels

public enum RoIAlign: Op {
    public static let name = "roi_align"
    public static let fusion = FusionKind.opaque

    public static func inferType(_ inputs: [TensorType], _ attributes: Attributes) throws -> TensorType {
        try expectArity(inputs, 2)
        let a = try RoIAlignAttributes(attributes, op: name, inputs: inputs)
        guard inputs[0].dtype.isFloatingPoint, inputs[0].rank == 4, inputs[0].shape[1] > 0, inputs[0].shape[2] > 0 else {
            throw shapeError(inputs, "features must be floating-point NHWC with a non-empty image")
        }
        let r = try RoIAlignAttributes.roiCount(inputs[1], dtype: inputs[0].dtype, op: name, inputs: inputs)
        return inputs[0].with(shape: [r, a.output[0], a.output[1], inputs[0].shape[3]])
    }

    public static func vjp(_ c: VJPContext, _ b: inout GraphBuilder) throws -> [ValueID?] {
        let a = try RoIAlignAttributes(c.attributes, op: name, inputs: c.inputTypes)
        return [c.wants[0] ? try b.roiAlignBackward(c.grad, rois: c.inputs[1], featureShape: c.inputTypes[0].shape, a) : nil, nil]
    }

    public static func reference(_ inputs: [HostTensor], _ node: Node) throws -> HostTensor {
        let a = try RoIAlignAttributes(node.attributes, op: name, inputs: inputs.map(\.type))
        let g = a.geometry(features: inputs[0].shape, rois: inputs[1].shape[0])
        if node.type.dtype == .f32 {
            return HostTensor(node.type, KilnKernels.RoIAlign.naiveForward(x: inputs[0].elements(Float.self),
                                                                            rois: inputs[1].elements(Float.self), geometry: g).doubles)
        }
        return HostTensor(node.type, KilnKernels.RoIAlign.naiveForward(x: inputs[0].data, rois: inputs[1].data, geometry: g))
    }

    public static func kernel(_ node: Node, _ inputTypes: [TensorType], _ buffers: KernelBuffers,
                              _ context: KernelContext) throws -> KernelThunk? {
        guard node.type.dtype == .f32 else { return nil }
        let a = try RoIAlignAttributes(node.attributes, op: name, inputs: inputTypes)
        let g = a.geometry(features: inputTypes[0].shape, rois: inputTypes[1].shape[0])
        let x: UnsafeMutablePointer<Float> = buffers.input(0), rois: UnsafeMutablePointer<Float> = buffers.input(1)
        let y: UnsafeMutablePointer<Float> = buffers.output()
        let pool = context.pool
        return { KilnKernels.RoIAlign.forward(x: x, rois: rois, y: y, geometry: g, pool: pool) }
    }

    public static func flops(_ node: Node, _ inputTypes: [TensorType]) -> Double {
        // Four multiply-adds per sample; the adaptive grid depends on the boxes, so count a 2×2 grid.
        Double(node.type.count) * 4 * 8
    }
}

extension GraphBuilder {
    /// RoIAlign of NHWC features (N, H, W, C) at rois (R, 5) = (batch index, x0, y0, x1, y1): (R, h, w, C).
    public mutating func roiAlign(_ features: ValueID, rois: ValueID, _ a: RoIAlignAttributes) throws(ShapeError) -> ValueID {
        try apply(RoIAlign.self, [features, rois], a.attributes)
    }
}
