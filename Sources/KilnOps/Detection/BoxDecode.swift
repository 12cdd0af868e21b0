// box_decode(anchors, deltas) {weights, clamp}: detectron2's Box2BoxTransform.apply_deltas (formulas in
// BoxCoding.swift): anchors (…, N, 4) or (N, 4), deltas (…, N, 4K) → boxes (x0, y0, x1, y1), the deltas' shape.
// Differentiable with respect to the deltas (the VJP is built from elementwise ops; dw, dh above the clamp get
// no gradient, like torch.clamp); the anchors get none (detectron2 detaches proposals).

import Foundation
import KilnIR

public enum BoxDecode: Op {
    public static let name = "box_decode"
    public static let fusion = FusionKind.opaque
    /// detectron2's default clamp of dw and dh before exp: log(1000 / 16).
    public static let defaultScaleClamp = Foundation.log(1000.0 / 16)

    public static func inferType(_ inputs: [TensorType], _ attributes: Attributes) throws -> TensorType {
        _ = try BoxCoder(inputs, attributes, op: name)
        return inputs[1]
    }

    public static func vjp(_ c: VJPContext, _ b: inout GraphBuilder) throws -> [ValueID?] {
        guard c.wants[1] else { return [nil, nil] }
        let coder = try BoxCoder(c.inputTypes, c.attributes, op: name)
        let deltas = c.inputTypes[1], dtype = deltas.dtype
        // Work on (…, N, K, 4) so that one anchor column (…, N, 1, 1) broadcasts over the K boxes.
        let boxes = Array(deltas.shape.dropLast()) + [coder.k, 4]
        let d = try b.reshape(c.inputs[1], boxes), g = try b.reshape(c.grad, boxes)
        let anchorRank = c.inputTypes[0].rank
        func anchor(_ j: Int, _ b: inout GraphBuilder) throws -> ValueID {
            let column = try b.slice(c.inputs[0], axis: anchorRank - 1, j..<(j + 1))
            return try b.reshape(column, Array(c.inputTypes[0].shape.dropLast()) + [1, 1])
        }
        func column(_ x: ValueID, _ j: Int, _ b: inout GraphBuilder) throws -> ValueID {
            try b.slice(x, axis: boxes.count - 1, j..<(j + 1))
        }
        let w = try b.sub(try anchor(2, &b), try anchor(0, &b)), h = try b.sub(try anchor(3, &b), try anchor(1, &b))
        let g0 = try column(g, 0, &b), g1 = try column(g, 1, &b), g2 = try column(g, 2, &b), g3 = try column(g, 3, &b)
        let ddx = try b.mul(try b.add(g0, g2), try b.mul(w, b.scalar(1 / coder.weights[0], dtype)))
        let ddy = try b.mul(try b.add(g1, g3), try b.mul(h, b.scalar(1 / coder.weights[1], dtype)))
        // d(x1 − x0)/d(dw) = exp(dw) · w / ww where dw = d2 / ww is below the clamp, else 0.
        func scaleGradient(_ delta: ValueID, _ size: ValueID, _ weight: Double, _ spread: ValueID,
                           _ b: inout GraphBuilder) throws -> ValueID {
            let limit = b.scalar(coder.clamp, dtype)
            let scaled = try b.mul(delta, b.scalar(1 / weight, dtype))
            let growth = try b.exp(try b.minimum(scaled, limit))
            let value = try b.mul(try b.mul(spread, growth), try b.mul(size, b.scalar(0.5 / weight, dtype)))
            return try b.select(try b.lessEqual(scaled, limit), value, b.scalar(0, dtype))
        }
        let ddw = try scaleGradient(try column(d, 2, &b), w, coder.weights[2], try b.sub(g2, g0), &b)
        let ddh = try scaleGradient(try column(d, 3, &b), h, coder.weights[3], try b.sub(g3, g1), &b)
        let grad = try b.concat([ddx, ddy, ddw, ddh], axis: boxes.count - 1)
        return [nil, try b.reshape(grad, deltas.shape)]
    }

    public static func reference(_ inputs: [HostTensor], _ node: Node) throws -> HostTensor {
        let coder = try BoxCoder(inputs.map(\.type), node.attributes, op: name)
        let out = node.type.dtype == .f32 ? coder.apply(Float.self, inputs) { coder.decode($0, $1, $2) }
                                          : coder.apply(Double.self, inputs) { coder.decode($0, $1, $2) }
        return HostTensor(node.type, out)
    }

    public static func kernel(_ node: Node, _ inputTypes: [TensorType], _ buffers: KernelBuffers,
                              _ context: KernelContext) throws -> KernelThunk? {
        guard node.type.dtype == .f32 else { return nil }
        let coder = try BoxCoder(inputTypes, node.attributes, op: name)
        let anchors: UnsafeMutablePointer<Float> = buffers.input(0), deltas: UnsafeMutablePointer<Float> = buffers.input(1)
        let y: UnsafeMutablePointer<Float> = buffers.output()
        return { coder.forEachBox(anchors: anchors, x: deltas, out: y) { coder.decode($0, $1, $2) } }
    }

    public static func flops(_ node: Node, _ inputTypes: [TensorType]) -> Double { Double(node.type.count) * 6 }
}

extension GraphBuilder {
    /// Box2BoxTransform.apply_deltas(deltas, anchors): boxes from deltas (…, N, 4K) relative to anchors (…, N, 4)
    /// or (N, 4); dw and dh are clamped at `clamp` before exp.
    public mutating func boxDecode(anchors: ValueID, deltas: ValueID, weights: [Double] = [1, 1, 1, 1],
                                   clamp: Double = BoxDecode.defaultScaleClamp) throws(ShapeError) -> ValueID {
        try apply(BoxDecode.self, [anchors, deltas], ["weights": .floats(weights), "clamp": .float(clamp)])
    }
}
