// Shape handling shared by the detection ops, and the element-type rule of their reference kernels.
//
// Leading dimensions: detection tensors are (…, N, k) where the leading dimensions are a batch of images. Two
// operands either have the same leading dimensions or one of them has none (a set shared by every image, such
// as anchors); the result takes the longer ones.
//
// Element type: detectron2 and torchvision run these kernels in the tensor's dtype, and their outputs are
// discrete (indices, labels, kept boxes) or pass through thresholds. So the reference kernels compute in the
// node's element type — Float for f32 graphs, Double for f64 — and the interpreter and the fast executor make
// the same decisions on the same inputs.

import KilnIR

enum DetectionShapes {
    /// Checks a floating-point box tensor (…, N, width) and returns its leading dimensions and N.
    static func rows(_ t: TensorType, width: Int, _ what: String, op: String, inputs: [TensorType]) throws -> (lead: [Int], n: Int) {
        guard t.dtype.isFloatingPoint, t.rank >= 2, t.shape.last == width else {
            throw ShapeError(op: op, inputs: inputs, message: "\(what) must be floating-point (…, N, \(width)), got \(t)")
        }
        return (Array(t.shape.dropLast(2)), t.shape[t.rank - 2])
    }

    /// The leading dimensions of a result over operands with leading dimensions a and b (equal, or one empty).
    static func commonLead(_ a: [Int], _ b: [Int], op: String, inputs: [TensorType]) throws -> [Int] {
        if a == b || b.isEmpty { return a }
        if a.isEmpty { return b }
        throw ShapeError(op: op, inputs: inputs, message: "leading (batch) dimensions \(a) and \(b) differ")
    }

    /// Checks an optional integer operand of shape `lead` (per-image counts, classes) or a scalar counter.
    static func integer(_ t: TensorType, shape: [Int], _ what: String, op: String, inputs: [TensorType]) throws {
        guard t.dtype.isInteger, t.shape == shape else {
            throw ShapeError(op: op, inputs: inputs, message: "\(what) must be i32 or i64 with shape \(shape), got \(t)")
        }
    }
}

extension HostTensor {
    /// The values converted to T (exact for the tensor's own element type).
    func elements<T: BinaryFloatingPoint>(_: T.Type) -> [T] { data.map { T($0) } }
}

extension Array where Element: BinaryFloatingPoint {
    /// Values widened to Double for a HostTensor.
    var doubles: [Double] { map { Double($0) } }
}

