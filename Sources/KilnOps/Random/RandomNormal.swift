// random_normal([counter]) {seed, mean, std, shape, dtype}: normal samples (Box–Muller on counter-based hashes).

import KilnIR
import KilnKernels

public enum RandomNormal: Op {
    public static let name = "random_normal"
    public static let fusion = FusionKind.opaque

    public static func inferType(_ inputs: [TensorType], _ attributes: Attributes) throws -> TensorType {
        try RandomShape.infer(inputs, attributes, op: name)
    }

    public static func vjp(_ c: VJPContext, _ b: inout GraphBuilder) throws -> [ValueID?] { c.inputs.map { _ in nil } }

    public static func reference(_ inputs: [HostTensor], _ node: Node) throws -> HostTensor {
        let seed = try RandomShape.seed(node)
        let (mean, std) = (try node.attributes.float("mean"), try node.attributes.float("std"))
        let stream = UInt64(bitPattern: Int64(inputs.first?.data[0] ?? 0))
        return HostTensor(node.type, (0..<node.type.count).map { i in
            mean + std * SplitMix64.normal(seed: seed, stream: stream, index: UInt64(i))
        })
    }

    public static func kernel(_ node: Node, _ inputTypes: [TensorType], _ buffers: KernelBuffers,
                              _ context: KernelContext) throws -> KernelThunk? {
        guard node.type.dtype == .f32 else { return nil }
        let seed = try RandomShape.seed(node)
        let (mean, std) = (try node.attributes.float("mean"), try node.attributes.float("std"))
        let counter = RandomShape.counterReader(inputTypes, buffers)
        let y: UnsafeMutablePointer<Float> = buffers.output(), count = node.type.count
        return {
            let stream = counter()
            for i in 0..<count { y[i] = Float(mean + std * SplitMix64.normal(seed: seed, stream: stream, index: UInt64(i))) }
        }
    }
}

extension GraphBuilder {
    public mutating func randomNormal(_ type: TensorType, seed: Int, mean: Double = 0, std: Double = 1,
                                      counter: ValueID? = nil) throws(ShapeError) -> ValueID {
        try apply(RandomNormal.self, counter.map { [$0] } ?? [],
                  ["seed": .int(seed), "mean": .float(mean), "std": .float(std), "shape": .ints(type.shape),
                   "dtype": .string(type.dtype.rawValue)])
    }
}
