// MoCo v2 (Chen et al. 2020; detco-spec §1): a query encoder and a momentum key encoder (ResNet + 2-layer MLP to a
// 128-d L2-normalised embedding), InfoNCE against a queue of keys at τ = 0.2, the momentum update applied before
// the key forward pass, and shuffle-BN emulated on one machine by split-BN sub-batches with keys permuted across
// them. One step — both encoders, loss, backward, SGD, momentum update and enqueue — is one compiled graph.

import Kiln

public struct MoCoConfiguration: Sendable {
    public var depth: ResNet.Depth = .resnet18
    public var dimension = 128
    public var queueSize = 65_536
    public var momentum = 0.999
    public var temperature = 0.2
    /// Sub-batches with their own BN statistics (the per-GPU batches of the reference implementation).
    public var batchNormSplits = 2

    public init() {}
}

/// A ResNet trunk with a projection MLP on the pooled Res5 feature; names follow MoCo (`conv1.weight`, `fc.0.weight`).
public final class MoCoEncoder: Layer, ChildNaming {
    public let backbone: ResNet
    public let fc: Sequential

    public init(depth: ResNet.Depth, dimension: Int) {
        backbone = ResNet(depth, classes: nil)
        fc = Contrastive.mlp(depth.channels[3], hidden: depth.channels[3], output: dimension)
    }

    public var namedChildren: [(String, Any)] { [("", backbone), ("fc", fc)] }

    /// The L2-normalised embedding of each image.
    public func forward(_ x: Tensor) -> Tensor {
        fc(backbone(x).res5.globalAvgPool()).l2Normalized(axis: 1)
    }
}

public final class MoCoV2: Layer, ChildNaming {
    /// One step's inputs: the two augmented views and the key-batch permutation (and its inverse).
    public struct Inputs {
        public var query: Tensor
        public var key: Tensor
        public var shuffle: Tensor
        public var unshuffle: Tensor
    }

    public let configuration: MoCoConfiguration
    public let encoderQ: MoCoEncoder
    public let encoderK: MoCoEncoder
    public let queue: KeyQueue

    public init(_ configuration: MoCoConfiguration = MoCoConfiguration()) {
        self.configuration = configuration
        encoderQ = MoCoEncoder(depth: configuration.depth, dimension: configuration.dimension)
        encoderK = MoCoEncoder(depth: configuration.depth, dimension: configuration.dimension)
        queue = KeyQueue(size: configuration.queueSize, dimension: configuration.dimension)
    }

    public var namedChildren: [(String, Any)] { [("encoder_q", encoderQ), ("encoder_k", encoderK), ("", queue)] }

    /// Initialises the query encoder from `seed`, copies it into the key encoder, and draws the queue.
    public func initialize(seed: UInt64) throws {
        try (self as any Module).initialize(seed: seed, force: true)
        try Contrastive.copyParameters(from: encoderQ, to: encoderK)
    }

    public func forward(_ x: Inputs) -> [String: Tensor] {
        let t = x.query.tracer
        do { try Contrastive.momentumUpdate(key: encoderK, query: encoderQ, momentum: configuration.momentum, t) } catch { t.fail(error) }
        let groups = configuration.batchNormSplits
        let q = t.withBatchNormGroups(groups) { encoderQ(x.query) }
        let shuffled = Contrastive.permute(x.key, x.shuffle)
        let k = t.withBatchNormGroups(groups) { encoderK(shuffled) }.gather(x.unshuffle, axis: 0).detached()
        let loss = Contrastive.infoNCE(query: q, positive: k, negatives: queue.negatives(t), temperature: configuration.temperature)
        queue.enqueue(k)
        return ["loss": loss]
    }

    /// Names of parameters the optimizer trains (the key encoder follows by momentum).
    public static func isTrained(_ name: String) -> Bool { name.hasPrefix("encoder_q.") }
}
