// anchors() {feature_size, stride, sizes, aspect_ratios, offset, dtype}: detectron2's DefaultAnchorGenerator for
// one feature map. Cell anchors are centred at 0: for each size s (outer loop) and aspect ratio r (inner loop),
// w = sqrt(s² / r), h = r · w, anchor (−w/2, −h/2, w/2, h/2), computed in Double and stored in the element type
// (torch.tensor of Python floats). Each is shifted by (offset + x) · stride and (offset + y) · stride, so the
// output (H · W · A, 4) lists anchors in (y, x, anchor) order. No operands, no gradient; the kernel copies a
// table computed when it is bound.

import KilnIR

public enum Anchors: Op {
    public static let name = "anchors"
    public static let fusion = FusionKind.opaque

    /// The validated attributes.
    struct Config {
        var height, width: Int
        var stride, offset: Double
        var sizes, aspectRatios: [Double]
        var dtype: DType

        init(_ attributes: Attributes, _ inputs: [TensorType]) throws {
            let feature = try attributes.ints("feature_size", count: 2)
            (height, width) = (feature[0], feature[1])
            stride = try attributes.float("stride")
            offset = try attributes.float("offset", default: 0)
            sizes = try attributes.floats("sizes")
            aspectRatios = try attributes.floats("aspect_ratios")
            let typeName = try attributes.string("dtype", default: "f32")
            guard let dtype = DType(rawValue: typeName), dtype.isFloatingPoint else {
                throw Anchors.shapeError(inputs, "dtype must be f32 or f64, got \(typeName)")
            }
            self.dtype = dtype
            guard height > 0, width > 0 else { throw Anchors.shapeError(inputs, "feature_size \(feature) must be positive") }
            guard stride > 0, stride.isFinite, offset.isFinite else {
                throw Anchors.shapeError(inputs, "stride \(stride) must be positive and offset \(offset) finite")
            }
            guard !sizes.isEmpty, sizes.allSatisfy({ $0 > 0 && $0.isFinite }) else {
                throw Anchors.shapeError(inputs, "sizes \(sizes) must be a non-empty list of positive numbers")
            }
            guard !aspectRatios.isEmpty, aspectRatios.allSatisfy({ $0 > 0 && $0.isFinite }) else {
                throw Anchors.shapeError(inputs, "aspect_ratios \(aspectRatios) must be a non-empty list of positive numbers")
            }
        }

        var perCell: Int { sizes.count * aspectRatios.count }
        var count: Int { height * width * perCell }

        /// All anchors, flat (count, 4), in the arithmetic of T.
        func table<T: BinaryFloatingPoint>(_: T.Type) -> [T] {
            var cell: [T] = []
            for size in sizes {
                for ratio in aspectRatios {
                    let w = (size * size / ratio).squareRoot(), h = ratio * w
                    cell += [T(-w / 2), T(-h / 2), T(w / 2), T(h / 2)]
                }
            }
            var out: [T] = []
            out.reserveCapacity(count * 4)
            for y in 0..<height {
                let shiftY = T(offset * stride + Double(y) * stride)
                for x in 0..<width {
                    let shiftX = T(offset * stride + Double(x) * stride)
                    for a in 0..<perCell {
                        out += [shiftX + cell[4 * a], shiftY + cell[4 * a + 1], shiftX + cell[4 * a + 2], shiftY + cell[4 * a + 3]]
                    }
                }
            }
            return out
        }
    }

    public static func inferType(_ inputs: [TensorType], _ attributes: Attributes) throws -> TensorType {
        try expectArity(inputs, 0)
        let c = try Config(attributes, inputs)
        return TensorType(c.dtype, [c.count, 4])
    }

    public static func vjp(_ c: VJPContext, _ b: inout GraphBuilder) throws -> [ValueID?] { [] }

    public static func reference(_ inputs: [HostTensor], _ node: Node) throws -> HostTensor {
        let c = try Config(node.attributes, [])
        return HostTensor(node.type, c.dtype == .f32 ? c.table(Float.self).doubles : c.table(Double.self))
    }

    public static func kernel(_ node: Node, _ inputTypes: [TensorType], _ buffers: KernelBuffers,
                              _ context: KernelContext) throws -> KernelThunk? {
        guard node.type.dtype == .f32 else { return nil }
        let table = try Config(node.attributes, inputTypes).table(Float.self)
        let y: UnsafeMutablePointer<Float> = buffers.output()
        return { table.withUnsafeBufferPointer { if let base = $0.baseAddress { y.update(from: base, count: $0.count) } } }
    }

    public static func flops(_ node: Node, _ inputTypes: [TensorType]) -> Double { 0 }
}

/// One feature map of a multi-level anchor set (an FPN level).
public struct AnchorLevel: Hashable, Sendable {
    public var featureSize: [Int]
    public var stride: Double
    public var sizes: [Double]

    public init(featureSize: [Int], stride: Double, sizes: [Double]) {
        self.featureSize = featureSize
        self.stride = stride
        self.sizes = sizes
    }
}

extension GraphBuilder {
    /// detectron2's anchors for one feature map of `featureSize` = [H, W]: (H · W · A, 4), (y, x, anchor) order.
    public mutating func anchors(featureSize: [Int], stride: Double, sizes: [Double], aspectRatios: [Double],
                                 offset: Double = 0, dtype: DType = .f32) throws(ShapeError) -> ValueID {
        try apply(Anchors.self, [], ["feature_size": .ints(featureSize), "stride": .float(stride), "sizes": .floats(sizes),
                                     "aspect_ratios": .floats(aspectRatios), "offset": .float(offset),
                                     "dtype": .string(dtype.rawValue)])
    }

    /// The anchors of several levels concatenated in level order (detectron2 concatenates RPN/RetinaNet anchors
    /// over levels the same way), with the same aspect ratios and offset on every level.
    public mutating func multiLevelAnchors(_ levels: [AnchorLevel], aspectRatios: [Double], offset: Double = 0,
                                           dtype: DType = .f32) throws(ShapeError) -> ValueID {
        var parts: [ValueID] = []
        for level in levels {
            parts.append(try anchors(featureSize: level.featureSize, stride: level.stride, sizes: level.sizes,
                                     aspectRatios: aspectRatios, offset: offset, dtype: dtype))
        }
        guard parts.count > 1 else {
            guard let only = parts.first else { throw ShapeError(op: "anchors", inputs: [], message: "no levels given", location: location) }
            return only
        }
        return try concat(parts, axis: 0)
    }
}
