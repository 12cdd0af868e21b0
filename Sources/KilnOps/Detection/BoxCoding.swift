// detectron2's Box2BoxTransform, shared by box_encode and box_decode (reference and fast kernels run the same
// generic code, in the element type):
//   widths/heights w = x1 − x0, h = y1 − y0; centres cx = x0 + 0.5 w, cy = y0 + 0.5 h;
//   encode: dx = wx (cx_t − cx_a) / w_a, dy = wy (cy_t − cy_a) / h_a, dw = ww log(w_t / w_a), dh = wh log(h_t / h_a);
//   decode: dx/wx, dy/wy, dw/ww and dh/wh, with dw, dh clamped above at `clamp` (default log(1000/16)), give
//           cx = dx w + cx_a, w = exp(dw) w_a (likewise y), and the box (cx − 0.5 w, cy − 0.5 h, cx + 0.5 w, cy + 0.5 h).
// Layout: anchors (…, N, 4) and deltas/targets (…, N, 4K) with K boxes per anchor (class-specific regression);
// the anchors' leading dimensions equal the other operand's or are absent (shared anchors).

import Foundation
import KilnIR

/// A float type the box coder computes in (log and exp of the same precision).
protocol BoxCodingFloat: BinaryFloatingPoint {
    static func logarithm(_ x: Self) -> Self
    static func exponential(_ x: Self) -> Self
}

extension Float: BoxCodingFloat {
    static func logarithm(_ x: Float) -> Float { Foundation.log(x) }
    static func exponential(_ x: Float) -> Float { Foundation.exp(x) }
}

extension Double: BoxCodingFloat {
    static func logarithm(_ x: Double) -> Double { Foundation.log(x) }
    static func exponential(_ x: Double) -> Double { Foundation.exp(x) }
}

/// The validated attributes and operand layout of box_encode / box_decode.
struct BoxCoder {
    var weights: [Double]
    var clamp: Double
    var lead: [Int]
    var n, k: Int
    var anchorsBatched: Bool
    var batches: Int { lead.reduce(1, *) }

    /// `inputs` = [anchors (…, N, 4), other (…, N, 4K)].
    init(_ inputs: [TensorType], _ attributes: Attributes, op: String) throws {
        guard inputs.count == 2 else { throw ShapeError(op: op, inputs: inputs, message: "takes 2 operands, got \(inputs.count)") }
        let anchors = try DetectionShapes.rows(inputs[0], width: 4, "anchors", op: op, inputs: inputs)
        let other = inputs[1]
        guard other.dtype == inputs[0].dtype, other.rank >= 2, let width = other.shape.last, width > 0, width % 4 == 0 else {
            throw ShapeError(op: op, inputs: inputs, message: "the second operand must be (…, N, 4K) of the anchors' element type")
        }
        lead = try DetectionShapes.commonLead(anchors.lead, Array(other.shape.dropLast(2)), op: op, inputs: inputs)
        guard lead == Array(other.shape.dropLast(2)), anchors.n == other.shape[other.rank - 2] else {
            throw ShapeError(op: op, inputs: inputs, message: "anchors must be (N, 4) or share the leading dimensions and N of the second operand")
        }
        (n, k) = (anchors.n, width / 4)
        anchorsBatched = !anchors.lead.isEmpty
        weights = attributes["weights"] == nil ? [1, 1, 1, 1] : try attributes.floats("weights")
        clamp = try attributes.float("clamp", default: BoxDecode.defaultScaleClamp)
        guard weights.count == 4, weights.allSatisfy({ $0 > 0 && $0.isFinite }) else {
            throw ShapeError(op: op, inputs: inputs, message: "weights \(weights) must be 4 positive numbers")
        }
        guard !clamp.isNaN else { throw ShapeError(op: op, inputs: inputs, message: "clamp must be a number") }
    }

    /// Index of the anchor row used by (batch b, row i).
    @inline(__always)
    func anchorRow(_ b: Int, _ i: Int) -> Int { anchorsBatched ? b * n + i : i }

    @inline(__always)
    func encode<T: BoxCodingFloat>(_ a: UnsafePointer<T>, _ t: UnsafePointer<T>, _ out: UnsafeMutablePointer<T>) {
        let (wx, wy, ww, wh) = (T(weights[0]), T(weights[1]), T(weights[2]), T(weights[3]))
        let aw = a[2] - a[0], ah = a[3] - a[1], acx = a[0] + 0.5 * aw, acy = a[1] + 0.5 * ah
        let tw = t[2] - t[0], th = t[3] - t[1], tcx = t[0] + 0.5 * tw, tcy = t[1] + 0.5 * th
        out[0] = wx * (tcx - acx) / aw
        out[1] = wy * (tcy - acy) / ah
        out[2] = ww * T.logarithm(tw / aw)
        out[3] = wh * T.logarithm(th / ah)
    }

    @inline(__always)
    func decode<T: BoxCodingFloat>(_ a: UnsafePointer<T>, _ d: UnsafePointer<T>, _ out: UnsafeMutablePointer<T>) {
        let (wx, wy, ww, wh) = (T(weights[0]), T(weights[1]), T(weights[2]), T(weights[3]))
        let limit = T(clamp)
        let w = a[2] - a[0], h = a[3] - a[1], cx = a[0] + 0.5 * w, cy = a[1] + 0.5 * h
        let dx = d[0] / wx, dy = d[1] / wy
        let dw = Swift.min(d[2] / ww, limit), dh = Swift.min(d[3] / wh, limit)
        let pcx = dx * w + cx, pcy = dy * h + cy
        let pw = T.exponential(dw) * w, ph = T.exponential(dh) * h
        out[0] = pcx - 0.5 * pw
        out[1] = pcy - 0.5 * ph
        out[2] = pcx + 0.5 * pw
        out[3] = pcy + 0.5 * ph
    }

    /// Applies `box` (encode or decode) to every (anchor, 4-vector) pair: x (…, N, 4K) → out, same shape.
    @inline(__always)
    func forEachBox<T>(anchors: UnsafePointer<T>, x: UnsafePointer<T>, out: UnsafeMutablePointer<T>,
                       _ box: (UnsafePointer<T>, UnsafePointer<T>, UnsafeMutablePointer<T>) -> Void) {
        for b in 0..<batches {
            for i in 0..<n {
                let a = anchors + 4 * anchorRow(b, i)
                for j in 0..<k {
                    let offset = ((b * n + i) * k + j) * 4
                    box(a, x + offset, out + offset)
                }
            }
        }
    }

    /// Runs `box` over host tensors in T and returns the result as Doubles.
    func apply<T: BoxCodingFloat>(_: T.Type, _ inputs: [HostTensor],
                                  _ box: (UnsafePointer<T>, UnsafePointer<T>, UnsafeMutablePointer<T>) -> Void) -> [Double] {
        let anchors = inputs[0].elements(T.self), x = inputs[1].elements(T.self)
        var out = [T](repeating: 0, count: x.count)
        anchors.withUnsafeBufferPointer { a in
            x.withUnsafeBufferPointer { xs in
                out.withUnsafeMutableBufferPointer { o in
                    guard let a = a.baseAddress, let xs = xs.baseAddress, let o = o.baseAddress else { return }
                    forEachBox(anchors: a, x: xs, out: o, box)
                }
            }
        }
        return out.doubles
    }
}
