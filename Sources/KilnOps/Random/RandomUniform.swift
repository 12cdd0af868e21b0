// random_uniform([counter]) {seed, low, high, shape, dtype}: uniform samples in [low, high). Element i is a pure
// function of (seed, counter, i) — counter-based like JAX's PRNG — so results do not depend on threading, and a
// step counter operand (a scalar i32/i64 state) gives fresh numbers every step and bit-exact resumption.

import KilnIR
import KilnKernels

public enum RandomUniform: Op {
    public static let name = "random_uniform"
    public static let fusion = FusionKind.opaque

    public static func inferType(_ inputs: [TensorType], _ attributes: Attributes) throws -> TensorType {
        try RandomShape.infer(inputs, attributes, op: name)
    }

    public static func vjp(_ c: VJPContext, _ b: inout GraphBuilder) throws -> [ValueID?] { c.inputs.map { _ in nil } }

    public static func reference(_ inputs: [HostTensor], _ node: Node) throws -> HostTensor {
        let (seed, low, high) = (try RandomShape.seed(node), try node.attributes.float("low"), try node.attributes.float("high"))
        let stream = UInt64(bitPattern: Int64(inputs.first?.data[0] ?? 0))
        return HostTensor(node.type, (0..<node.type.count).map { i in
            low + (high - low) * Double(SplitMix64.unitFloat(SplitMix64.hash(seed: seed, stream: stream, index: UInt64(i))))
        })
    }

    public static func kernel(_ node: Node, _ inputTypes: [TensorType], _ buffers: KernelBuffers,
                              _ context: KernelContext) throws -> KernelThunk? {
        guard node.type.dtype == .f32 else { return nil }
        let seed = try RandomShape.seed(node)
        let low = Float(try node.attributes.float("low")), high = Float(try node.attributes.float("high"))
        let counter = RandomShape.counterReader(inputTypes, buffers)
        let y: UnsafeMutablePointer<Float> = buffers.output(), count = node.type.count
        return {
            let stream = counter()
            for i in 0..<count {
                y[i] = low + (high - low) * SplitMix64.unitFloat(SplitMix64.hash(seed: seed, stream: stream, index: UInt64(i)))
            }
        }
    }
}

extension GraphBuilder {
    public mutating func randomUniform(_ type: TensorType, seed: Int, low: Double = 0, high: Double = 1,
                                       counter: ValueID? = nil) throws(ShapeError) -> ValueID {
        try apply(RandomUniform.self, counter.map { [$0] } ?? [],
                  ["seed": .int(seed), "low": .float(low), "high": .float(high), "shape": .ints(type.shape),
                   "dtype": .string(type.dtype.rawValue)])
    }
}

/// Shape rule and operand handling shared by the random ops.
enum RandomShape {
    static func infer(_ inputs: [TensorType], _ attributes: Attributes, op: String) throws -> TensorType {
        guard inputs.count <= 1, inputs.allSatisfy({ $0.isScalar && $0.dtype.isInteger }) else {
            throw ShapeError(op: op, inputs: inputs, message: "takes at most one operand, a scalar integer counter")
        }
        _ = try attributes.int("seed")
        let name = try attributes.string("dtype")
        guard let dtype = DType(rawValue: name), dtype.isFloatingPoint else {
            throw ShapeError(op: op, inputs: inputs, message: "dtype must be f32 or f64, got \(name)")
        }
        let shape = try attributes.ints("shape")
        guard shape.allSatisfy({ $0 >= 0 }) else { throw ShapeError(op: op, inputs: inputs, message: "negative dimension in \(shape)") }
        return TensorType(dtype, shape)
    }

    static func seed(_ node: Node) throws -> UInt64 { UInt64(bitPattern: Int64(try node.attributes.int("seed"))) }

    static func counterReader(_ inputTypes: [TensorType], _ buffers: KernelBuffers) -> () -> UInt64 {
        guard let type = inputTypes.first else { return { 0 } }
        let p = buffers.inputs[0]
        return { UInt64(bitPattern: Int64(readIndex(p, type.dtype, 0))) }
    }
}
