// Everything that defines a pre-training run; stored in checkpoints so `--resume` can refuse a mismatch.

import Foundation
import Kiln
import KilnData

public enum PretrainingMethod: String, Codable, Sendable, CaseIterable {
    case detco, mocov2
}

public struct PretrainingConfiguration: Codable, Equatable, Sendable {
    public var method: PretrainingMethod
    public var depth = 18
    /// Global view size; DetCo's local patches scale with it (64 at 224).
    public var size = 64
    public var batch = 32
    public var steps = 300
    /// Peak learning rate for a batch of 256, scaled linearly with the batch (MoCo's rule).
    public var baseLearningRate = 0.24
    public var warmupSteps = 20
    public var weightDecay = 1e-4
    public var sgdMomentum = 0.9
    public var keyMomentum = 0.99
    public var queueSize = 4096
    public var temperature = 0.2
    public var levelWeights = [0.1, 0.4, 0.7, 1.0]
    public var contrasts = ["g2g", "l2g", "l2l"]
    public var sharedGlobalQueue = false
    public var shareQueuesAcrossLevels = false
    public var batchNormSplits = 2
    /// ColorJitter hue strength of every view (MoCo v2: 0.1). The demo scenes tint each item with a uniformly
    /// random saturated hue, so at 0.1 an item's colour identifies its scene and pre-training learns colour
    /// (docs/zoo.md, "Choices"); 0.5 rotates hue uniformly and leaves shape as the cue.
    public var hueJitter = 0.5
    /// Probability that a view gets a background of its own (BackgroundSwap.swift); needs a source with foreground
    /// masks (the built-in scenes; the demo preset uses 1). nil: off — also what a checkpoint written before the
    /// option existed decodes to.
    public var backgroundSwap: Double?
    /// Smallest area fraction of a global view's RandomResizedCrop; nil means MoCo v2's 0.2.
    public var minimumCropScale: Double?
    public var seed: UInt64 = 0
    public var checkpointEvery = 100

    public init(method: PretrainingMethod) { self.method = method }

    /// The demo preset (ResNet-18, 64×64 fashion scenes, a few minutes on two cores).
    public static func demo(_ method: PretrainingMethod) -> PretrainingConfiguration {
        var c = PretrainingConfiguration(method: method)
        c.backgroundSwap = 1
        return c
    }

    public var learningRate: Double { baseLearningRate * Double(batch) / 256 }

    public var resnetDepth: ResNet.Depth? { ResNet.Depth(rawValue: depth) }

    /// Problems a user can fix, as messages; empty when the configuration is runnable.
    public func problems() -> [String] {
        var out: [String] = []
        if resnetDepth == nil { out.append("--depth must be 18, 34, 50 or 101") }
        if batch < 2 || batch % max(batchNormSplits, 1) != 0 { out.append("--batch must be ≥ 2 and divisible by the \(batchNormSplits) BN splits") }
        if size < 32 { out.append("--size must be at least 32") }
        if steps < 1 { out.append("--steps must be positive") }
        if queueSize % batch != 0 { out.append("the queue size \(queueSize) must be a multiple of the batch \(batch)") }
        if !(0...0.5).contains(hueJitter) { out.append("--hue-jitter must be in 0...0.5") }
        if let p = backgroundSwap, !(0...1).contains(p) { out.append("--background-swap must be a probability in 0...1") }
        if !(temperature > 0) { out.append("--temperature must be positive") }
        if let s = minimumCropScale, !(s > 0 && s <= 1) { out.append("--crop-scale must be in (0, 1]") }
        if levelWeights.count != 4 { out.append("level weights need 4 values (Res2..Res5)") }
        if contrasts.contains(where: { DetCoContrast(rawValue: $0) == nil }) { out.append("contrasts are g2g, l2g, l2l") }
        return out
    }

    /// The photometric augmentation of every view: MoCo v2's with this configuration's hue strength.
    public func photometric(_ base: PhotometricAugment) -> PhotometricAugment {
        var p = base
        p.jitter.hue = Float(hueJitter)
        return p
    }

    /// The global views' crop-scale range.
    public var cropScale: ClosedRange<Double> { (minimumCropScale ?? 0.2)...1.0 }

    /// The background augmentation of every view, if any.
    public var backgrounds: BackgroundSwap? { backgroundSwap.flatMap { $0 > 0 ? BackgroundSwap(probability: $0) : nil } }

    public var moco: MoCoConfiguration {
        var c = MoCoConfiguration()
        c.depth = resnetDepth ?? .resnet18
        c.queueSize = queueSize
        c.momentum = keyMomentum
        c.temperature = temperature
        c.batchNormSplits = batchNormSplits
        return c
    }

    public var detco: DetCoConfiguration {
        var c = DetCoConfiguration()
        c.depth = resnetDepth ?? .resnet18
        c.queueSize = queueSize
        c.momentum = keyMomentum
        c.levelWeights = levelWeights
        c.contrasts = Set(contrasts.compactMap(DetCoContrast.init(rawValue:)))
        c.queueLayout = sharedGlobalQueue ? .sharedGlobal : .perContrast
        c.shareQueuesAcrossLevels = shareQueuesAcrossLevels
        c.batchNormSplits = batchNormSplits
        c.temperatures[.g2g] = temperature
        c.temperatures[.l2l] = temperature
        return c
    }

    public func json() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return (try? encoder.encode(self)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }
}
