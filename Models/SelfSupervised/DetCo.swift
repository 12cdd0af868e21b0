// DetCo (Xie et al. 2021; detco-spec §2): MoCo-style contrastive pre-training with multi-level heads on Res2..Res5
// and global/local (jigsaw) views. Per level three contrasts — global↔global (τ 0.2), local query → global key
// against the global bank (τ 0.5), local↔local (τ 0.2) — weighted by level (0.1, 0.4, 0.7, 1.0) and summed.
// Local views are 9 patches per image; their per-level features are pooled, concatenated along channels (9C) and
// projected by a 9C → C → 128 MLP. Choices where the paper is silent are listed in docs/zoo.md.

import Kiln

public enum DetCoContrast: String, CaseIterable, Sendable {
    case g2g, l2g, l2l
}

public struct DetCoConfiguration: Sendable {
    public enum QueueLayout: String, Sendable {
        /// One bank per (level, contrast): 12 banks (the appendix's "12 memory banks").
        case perContrast
        /// local→global reads the global↔global bank: 8 banks (both unofficial re-implementations).
        case sharedGlobal
    }

    public var depth: ResNet.Depth = .resnet18
    public var dimension = 128
    public var queueSize = 65_536
    public var momentum = 0.999
    public var temperatures: [DetCoContrast: Double] = [.g2g: 0.2, .l2g: 0.5, .l2l: 0.2]
    /// Loss weight of Res2..Res5; a level with weight 0 is not computed at all.
    public var levelWeights: [Double] = [0.1, 0.4, 0.7, 1.0]
    public var contrasts: Set<DetCoContrast> = Set(DetCoContrast.allCases)
    public var queueLayout: QueueLayout = .perContrast
    /// One bank per contrast shared by all levels (each level enqueues its keys) instead of one per level.
    public var shareQueuesAcrossLevels = false
    public var batchNormSplits = 2

    public init() {}

    /// The levels (0 = Res2 ... 3 = Res5) that contribute to the loss.
    public var activeLevels: [Int] { levelWeights.indices.filter { levelWeights[$0] != 0 } }
}

/// A ResNet trunk with a global and a local projection head per level.
public final class DetCoEncoder: Layer, ChildNaming {
    public let backbone: ResNet
    public let globalHeads: [Sequential]
    public let localHeads: [Sequential]

    public init(depth: ResNet.Depth, dimension: Int) {
        backbone = ResNet(depth, classes: nil)
        globalHeads = depth.channels.map { Contrastive.mlp($0, hidden: $0, output: dimension) }
        localHeads = depth.channels.map { Contrastive.mlp(9 * $0, hidden: $0, output: dimension) }
    }

    public var namedChildren: [(String, Any)] {
        [("", backbone), ("global_heads", globalHeads), ("local_heads", localHeads)]
    }

    /// Normalised global embeddings of images (N, S, S, 3) at the given levels.
    public func global(_ x: Tensor, levels: [Int]) -> [Int: Tensor] {
        let features = backbone(x).levels
        var out: [Int: Tensor] = [:]
        for l in levels { out[l] = globalHeads[l](features[l].globalAvgPool()).l2Normalized(axis: 1) }
        return out
    }

    /// Normalised local embeddings of patch sets (N·9, P, P, 3): per level the 9 pooled patch features of an
    /// image are concatenated along channels (9C) and projected.
    public func local(_ patches: Tensor, levels: [Int]) -> [Int: Tensor] {
        let features = backbone(patches).levels
        let images = patches.shape[0] / 9
        var out: [Int: Tensor] = [:]
        for l in levels {
            let pooled = features[l].globalAvgPool()              // (N·9, C)
            let joined = pooled.reshaped([images, 9 * pooled.shape[1]])
            out[l] = localHeads[l](joined).l2Normalized(axis: 1)
        }
        return out
    }

    public func forward(_ x: Tensor) -> Tensor { global(x, levels: [3])[3]! }
}

public final class DetCo: Layer, ChildNaming {
    public struct Inputs {
        public var globalQuery: Tensor    // X1 (N, S, S, 3)
        public var globalKey: Tensor      // X2
        public var localQuery: Tensor     // X3 (N·9, P, P, 3)
        public var localKey: Tensor       // X4
        public var shuffle: Tensor
        public var unshuffle: Tensor
    }

    public let configuration: DetCoConfiguration
    public let encoderQ: DetCoEncoder
    public let encoderK: DetCoEncoder
    /// Banks by name: "<contrast>.<level>" (or "<contrast>" when shared across levels).
    public let queues: [String: KeyQueue]

    public init(_ configuration: DetCoConfiguration = DetCoConfiguration()) {
        self.configuration = configuration
        encoderQ = DetCoEncoder(depth: configuration.depth, dimension: configuration.dimension)
        encoderK = DetCoEncoder(depth: configuration.depth, dimension: configuration.dimension)
        var queues: [String: KeyQueue] = [:]
        for contrast in configuration.contrasts {
            guard DetCo.bank(of: contrast, configuration) == contrast else { continue }
            for name in DetCo.bankNames(contrast, configuration) {
                queues[name] = KeyQueue(size: configuration.queueSize, dimension: configuration.dimension)
            }
        }
        self.queues = queues
    }

    public var namedChildren: [(String, Any)] {
        [("encoder_q", encoderQ), ("encoder_k", encoderK)] + queues.keys.sorted().map { ("queues.\($0)", queues[$0]! as Any) }
    }

    /// Which contrast's bank a contrast reads (l2g reads g2g's in the shared layout, when g2g is on).
    static func bank(of contrast: DetCoContrast, _ c: DetCoConfiguration) -> DetCoContrast {
        contrast == .l2g && c.queueLayout == .sharedGlobal && c.contrasts.contains(.g2g) ? .g2g : contrast
    }

    static func bankNames(_ contrast: DetCoContrast, _ c: DetCoConfiguration) -> [String] {
        c.shareQueuesAcrossLevels ? [contrast.rawValue] : c.activeLevels.map { "\(contrast.rawValue).\($0)" }
    }

    func queue(_ contrast: DetCoContrast, level: Int) -> KeyQueue? {
        let b = DetCo.bank(of: contrast, configuration)
        return queues[configuration.shareQueuesAcrossLevels ? b.rawValue : "\(b.rawValue).\(level)"]
    }

    public func initialize(seed: UInt64) throws {
        try (self as any Module).initialize(seed: seed, force: true)
        try Contrastive.copyParameters(from: encoderQ, to: encoderK)
    }

    public func forward(_ x: Inputs) -> [String: Tensor] {
        let t = x.globalQuery.tracer
        let c = configuration
        do { try Contrastive.momentumUpdate(key: encoderK, query: encoderQ, momentum: c.momentum, t) } catch { t.fail(error) }
        let levels = c.activeLevels
        let needGlobalQuery = c.contrasts.contains(.g2g)
        let needLocalQuery = c.contrasts.contains(.l2g) || c.contrasts.contains(.l2l)
        let needGlobalKey = c.contrasts.contains(.g2g) || c.contrasts.contains(.l2g)
        let needLocalKey = c.contrasts.contains(.l2l)
        let g = c.batchNormSplits

        let qg = needGlobalQuery ? t.withBatchNormGroups(g) { encoderQ.global(x.globalQuery, levels: levels) } : [:]
        let ql = needLocalQuery ? t.withBatchNormGroups(g) { encoderQ.local(x.localQuery, levels: levels) } : [:]
        func keys(_ embeddings: [Int: Tensor]) -> [Int: Tensor] {
            embeddings.mapValues { $0.gather(x.unshuffle, axis: 0).detached() }
        }
        let kg = needGlobalKey ? keys(t.withBatchNormGroups(g) {
            encoderK.global(Contrastive.permute(x.globalKey, x.shuffle), levels: levels) }) : [:]
        let kl = needLocalKey ? keys(t.withBatchNormGroups(g) {
            encoderK.local(Contrastive.permute(x.localKey, x.shuffle, group: 9), levels: levels) }) : [:]

        var terms: [DetCoContrast: Tensor] = [:]
        for level in levels {
            let w = c.levelWeights[level]
            for contrast in DetCoContrast.allCases where c.contrasts.contains(contrast) {
                let (query, key) = contrast == .g2g ? (qg[level], kg[level]) : contrast == .l2g ? (ql[level], kg[level]) : (ql[level], kl[level])
                guard let query, let key, let bank = queue(contrast, level: level), let tau = c.temperatures[contrast] else { continue }
                let term = Contrastive.infoNCE(query: query, positive: key, negatives: bank.negatives(t), temperature: tau) * w
                terms[contrast] = terms[contrast].map { $0 + term } ?? term
            }
        }
        // Enqueue after every loss has read the pre-update banks.
        for contrast in DetCoContrast.allCases where c.contrasts.contains(contrast) && DetCo.bank(of: contrast, c) == contrast {
            let source = contrast == .l2l ? kl : kg
            if c.shareQueuesAcrossLevels {
                let all = levels.compactMap { source[$0] }
                if let bank = queues[contrast.rawValue], !all.isEmpty { bank.enqueue(all.count == 1 ? all[0] : Tensor.concat(all, axis: 0)) }
            } else {
                for level in levels { if let key = source[level], let bank = queues["\(contrast.rawValue).\(level)"] { bank.enqueue(key) } }
            }
        }
        var out: [String: Tensor] = [:]
        for (contrast, term) in terms { out["loss_\(contrast.rawValue)"] = term }
        if let total = terms.values.sorted(by: { $0.id < $1.id }).reduce(nil, { (acc: Tensor?, v) in acc.map { $0 + v } ?? v }) {
            out["loss"] = total
        } else {
            t.fail(ShapeError(op: "detco", inputs: [], message: "no contrast is enabled at any level with non-zero weight"))
        }
        return out
    }

    public static func isTrained(_ name: String) -> Bool { name.hasPrefix("encoder_q.") }
}
