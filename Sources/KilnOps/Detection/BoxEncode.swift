// box_encode(anchors, targets) {weights}: regression targets of detectron2's Box2BoxTransform.get_deltas
// (formulas in BoxCoding.swift): anchors (…, N, 4) or (N, 4), targets (…, N, 4K) → deltas, the targets' shape.
// Anchors must have positive width and height (detectron2 asserts it; here such rows give non-finite deltas).
// No gradient: regression targets are constants of the loss.

import KilnIR

public enum BoxEncode: Op {
    public static let name = "box_encode"
    public static let fusion = FusionKind.opaque

    public static func inferType(_ inputs: [TensorType], _ attributes: Attributes) throws -> TensorType {
        _ = try BoxCoder(inputs, attributes, op: name)
        return inputs[1]
    }

    public static func vjp(_ c: VJPContext, _ b: inout GraphBuilder) throws -> [ValueID?] { [nil, nil] }

    public static func reference(_ inputs: [HostTensor], _ node: Node) throws -> HostTensor {
        let coder = try BoxCoder(inputs.map(\.type), node.attributes, op: name)
        let out = node.type.dtype == .f32 ? coder.apply(Float.self, inputs) { coder.encode($0, $1, $2) }
                                          : coder.apply(Double.self, inputs) { coder.encode($0, $1, $2) }
        return HostTensor(node.type, out)
    }

    public static func kernel(_ node: Node, _ inputTypes: [TensorType], _ buffers: KernelBuffers,
                              _ context: KernelContext) throws -> KernelThunk? {
        guard node.type.dtype == .f32 else { return nil }
        let coder = try BoxCoder(inputTypes, node.attributes, op: name)
        let anchors: UnsafeMutablePointer<Float> = buffers.input(0), targets: UnsafeMutablePointer<Float> = buffers.input(1)
        let y: UnsafeMutablePointer<Float> = buffers.output()
        return { coder.forEachBox(anchors: anchors, x: targets, out: y) { coder.encode($0, $1, $2) } }
    }

    public static func flops(_ node: Node, _ inputTypes: [TensorType]) -> Double { Double(node.type.count) * 6 }
}

extension GraphBuilder {
    /// Box2BoxTransform.get_deltas(anchors, targets) with `weights` (wx, wy, ww, wh): (10, 10, 5, 5) for RoI heads,
    /// (1, 1, 1, 1) for RPN and RetinaNet.
    public mutating func boxEncode(anchors: ValueID, targets: ValueID,
                                   weights: [Double] = [1, 1, 1, 1]) throws(ShapeError) -> ValueID {
        try apply(BoxEncode.self, [anchors, targets], ["weights": .floats(weights)])
    }
}
