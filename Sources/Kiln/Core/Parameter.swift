// Parameters and buffers: the persistent tensors of a model. Values are held in the checkpoint-independent
// internal layout (OHWI convolution weights); `layout` says how to convert to and from PyTorch's layout.

import KilnIR
import KilnKernels
import Foundation

public final class Parameter {
    public enum Kind: Sendable {
        /// Trained by the optimizer.
        case trainable
        /// Persistent but not trained (BN running statistics, counters).
        case buffer
    }

    /// How the internal layout relates to PyTorch's (for checkpoints).
    public enum Layout: Sendable, Equatable {
        /// Same layout.
        case identity
        /// Internal OHWI convolution weight ↔ PyTorch OIHW.
        case convolutionWeight
    }

    public let shape: [Int]
    public let dtype: DType
    public let kind: Kind
    public let layout: Layout
    public let initializer: Initializer
    /// Current values (row-major, internal layout); nil until initialised or loaded.
    public var values: [Float]?

    public init(_ shape: [Int], dtype: DType = .f32, kind: Kind = .trainable, layout: Layout = .identity,
                initializer: Initializer) {
        self.shape = shape
        self.dtype = dtype
        self.kind = kind
        self.layout = layout
        self.initializer = initializer
    }

    public var type: TensorType { TensorType(dtype, shape) }
    public var count: Int { shape.reduce(1, *) }
    public var isTrainable: Bool { kind == .trainable }

    /// The PyTorch-layout shape (what checkpoints store).
    public var checkpointShape: [Int] {
        layout == .convolutionWeight ? [shape[0], shape[3], shape[1], shape[2]] : shape
    }

    /// Draws initial values (deterministic in `seed` and the parameter's `name`).
    public func initialize(seed: UInt64, name: String) {
        var rng = RandomStream(seed: seed, stream: Parameter.hash(name))
        values = initializer.sample(count: count, rng: &rng)
    }

    /// FNV-1a of the name: the per-parameter random stream id.
    static func hash(_ name: String) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in name.utf8 { h = (h ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return h
    }
}

/// How a parameter's initial values are drawn (PyTorch's `torch.nn.init` schemes).
public enum Initializer: Sendable {
    case zeros
    case ones
    case constant(Double)
    case uniform(low: Double, high: Double)
    case normal(mean: Double, std: Double)
    /// Standard-normal rows of `length`, each scaled to unit L2 norm (MoCo's random initial queue).
    case unitRows(length: Int)

    /// kaiming_normal_(mode="fan_out", nonlinearity="relu"): N(0, √(2 / fan_out)) — torchvision ResNet convolutions.
    public static func kaimingNormalFanOut(_ fanOut: Int) -> Initializer { .normal(mean: 0, std: (2 / Double(fanOut)).squareRoot()) }
    /// PyTorch's default for Linear/Conv weights and biases: kaiming_uniform_(a=√5) ⇒ U(−1/√fan_in, 1/√fan_in).
    public static func defaultUniform(fanIn: Int) -> Initializer {
        let bound = 1 / Double(Swift.max(fanIn, 1)).squareRoot()
        return .uniform(low: -bound, high: bound)
    }

    func sample(count: Int, rng: inout RandomStream) -> [Float] {
        switch self {
        case .zeros: return [Float](repeating: 0, count: count)
        case .ones: return [Float](repeating: 1, count: count)
        case .constant(let v): return [Float](repeating: Float(v), count: count)
        case .uniform(let lo, let hi): return (0..<count).map { _ in Float(rng.uniform(lo, hi)) }
        case .normal(let mean, let std): return (0..<count).map { _ in Float(rng.normal(mean: mean, std: std)) }
        case .unitRows(let length):
            var v = (0..<count).map { _ in rng.normal() }
            for start in stride(from: 0, to: count, by: Swift.max(length, 1)) {
                let end = Swift.min(start + length, count)
                let norm = Swift.max(v[start..<end].reduce(0) { $0 + $1 * $1 }.squareRoot(), 1e-12)
                for i in start..<end { v[i] /= norm }
            }
            return v.map(Float.init)
        }
    }
}
