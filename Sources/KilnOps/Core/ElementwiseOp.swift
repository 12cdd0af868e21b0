// Elementwise ops: NumPy broadcasting over 1–3 operands. An elementwise op only states its scalar semantics
// (`evaluate`, in Double), its SIMD tile function (`tile`, in Float) and its VJP; shape rule, reference kernel and
// fast kernel come from this file. The fast kernel and the fusion pass share one tile evaluator
// (ElementwiseEngine), so a fused chain runs the same `tile` functions as the unfused ops.

import KilnIR
import KilnKernels

/// Per-node constants an elementwise tile function may need.
public struct TileParameters: Sendable {
    /// The node's output dtype (cast needs it; others ignore it).
    public var outputDType: DType
    public init(outputDType: DType) { self.outputDType = outputDType }
}

public protocol ElementwiseOp: Op {
    /// Number of operands: 1, 2 or 3.
    static var arity: Int { get }
    /// The output dtype; the default requires equal operand dtypes and returns it.
    static func resultDType(_ inputs: [TensorType], _ attributes: Attributes) throws -> DType
    /// Scalar semantics in Double (unused operands are 0).
    static func evaluate(_ a: Double, _ b: Double, _ c: Double, _ p: TileParameters) -> Double
    /// Evaluates `n` elements: `out[i] = f(a[i], b[i], c[i])`. Operands are Float tiles (booleans as 0/1, integers
    /// converted); unused operand pointers alias `a`.
    static func tile(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ c: UnsafePointer<Float>,
                     _ out: UnsafeMutablePointer<Float>, _ n: Int, _ p: TileParameters)
}

extension ElementwiseOp {
    public static var fusion: FusionKind { .elementwise }

    public static func resultDType(_ inputs: [TensorType], _ attributes: Attributes) throws -> DType {
        let dtype = inputs[0].dtype
        guard inputs.allSatisfy({ $0.dtype == dtype }) else {
            throw shapeError(inputs, "operands must have the same element type")
        }
        return dtype
    }

    public static func inferType(_ inputs: [TensorType], _ attributes: Attributes) throws -> TensorType {
        try expectArity(inputs, arity)
        var shape = inputs[0].shape
        for t in inputs.dropFirst() {
            guard let s = Shape.broadcast(shape, t.shape) else {
                throw shapeError(inputs, "shapes do not broadcast")
            }
            shape = s
        }
        return TensorType(try resultDType(inputs, attributes), shape)
    }

    public static func reference(_ inputs: [HostTensor], _ node: Node) throws -> HostTensor {
        let out = node.type
        let p = TileParameters(outputDType: out.dtype)
        let maps = inputs.map { BroadcastIndex(from: $0.shape, to: out.shape) }
        var data = [Double](repeating: 0, count: out.count)
        for i in 0..<out.count {
            let a = inputs[0].data[maps[0].sourceIndex(i)]
            let b = inputs.count > 1 ? inputs[1].data[maps[1].sourceIndex(i)] : 0
            let c = inputs.count > 2 ? inputs[2].data[maps[2].sourceIndex(i)] : 0
            data[i] = evaluate(a, b, c, p)
        }
        return HostTensor(out, data)
    }

    public static func kernel(_ node: Node, _ inputTypes: [TensorType], _ buffers: KernelBuffers,
                              _ context: KernelContext) throws -> KernelThunk? {
        // f64 graphs (gradient checks) keep exact Double semantics on the reference kernel.
        guard node.type.dtype != .f64, !inputTypes.contains(where: { $0.dtype == .f64 }),
              node.type.rank <= ElementwiseEngine.maxRank else { return nil }
        let program = TileProgram(single: self, node: node, inputTypes: inputTypes)
        return ElementwiseEngine.kernel(program, inputTypes: inputTypes, outputType: node.type, buffers: buffers,
                                        pool: context.pool)
    }
}

/// Maps a flat index of a broadcast result to the flat index of one operand (reference path; not for hot loops).
public struct BroadcastIndex {
    let outStrides: [Int]
    let inStrides: [Int]
    let identity: Bool

    public init(from shape: [Int], to target: [Int]) {
        identity = shape == target
        outStrides = Shape.strides(target)
        let own = Shape.strides(shape)
        let offset = target.count - shape.count
        inStrides = target.indices.map { d in
            d < offset || shape[d - offset] == 1 ? 0 : own[d - offset]
        }
    }

    @inline(__always)
    public func sourceIndex(_ flat: Int) -> Int {
        if identity { return flat }
        var rest = flat
        var src = 0
        for d in outStrides.indices {
            let c = rest / outStrides[d]
            rest -= c * outStrides[d]
            src += c * inStrides[d]
        }
        return src
    }
}

// MARK: - SIMD tile helpers shared by the elementwise ops

public typealias F16 = SIMD16<Float>

@inline(__always)
func load16(_ p: UnsafePointer<Float>, _ i: Int) -> F16 {
    UnsafeRawPointer(p + i).loadUnaligned(as: F16.self)
}

@inline(__always)
func store16(_ v: F16, _ p: UnsafeMutablePointer<Float>, _ i: Int) {
    UnsafeMutableRawPointer(p + i).storeBytes(of: v, as: F16.self)
}

/// out[i] = f(a[i]) with a SIMD body and a scalar tail.
@inline(__always)
func mapTile(_ a: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, _ n: Int,
             _ f: (F16) -> F16, _ s: (Float) -> Float) {
    var i = 0
    while i + 16 <= n { store16(f(load16(a, i)), out, i); i += 16 }
    while i < n { out[i] = s(a[i]); i += 1 }
}

/// out[i] = f(a[i], b[i]).
@inline(__always)
func zipTile(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, _ n: Int,
             _ f: (F16, F16) -> F16, _ s: (Float, Float) -> Float) {
    var i = 0
    while i + 16 <= n { store16(f(load16(a, i), load16(b, i)), out, i); i += 16 }
    while i < n { out[i] = s(a[i], b[i]); i += 1 }
}

/// 1 where the mask is set, else 0 (comparisons produce 0/1 tiles).
@inline(__always)
func maskToFloat(_ m: SIMDMask<SIMD16<Int32>>) -> F16 {
    F16(repeating: 0).replacing(with: 1, where: m)
}
