// Named workloads shared by `zoo graph`, `zoo stats`, `zoo profile` and `zoo bench`: each traces its graph and can
// compile a runnable step at a given batch size and image size. The benchmark workloads match the peer scripts in
// shared/bench (same models, batch and sizes).

import Foundation
import Kiln
import KilnIR

public enum Workload: String, CaseIterable, Sendable {
    case resnet18
    case resnet50
    case resnet18Train = "resnet18-train"
    case resnet50Infer = "resnet50-infer"
    case mocov2Train = "mocov2-train"
    case detcoTrain = "detco-train"
    case retinanetTrain = "retinanet-train"
    case maskrcnnFPNTrain = "maskrcnn-fpn-train"

    public var defaultBatch: Int {
        switch self {
        case .resnet18, .resnet50: 1
        case .resnet50Infer: 8
        case .resnet18Train, .mocov2Train, .detcoTrain: 32
        case .retinanetTrain, .maskrcnnFPNTrain: 4
        }
    }

    public var defaultSize: Int {
        switch self {
        case .resnet18, .resnet50, .resnet50Infer: 224
        case .resnet18Train, .mocov2Train, .detcoTrain: 64
        case .retinanetTrain, .maskrcnnFPNTrain: 128
        }
    }

    /// Whether a step includes backward and update.
    public var isTraining: Bool {
        [.resnet18Train, .mocov2Train, .detcoTrain, .retinanetTrain, .maskrcnnFPNTrain].contains(self)
    }

    /// The workload with this command-line name, or an error listing the known names.
    public static func named(_ name: String) throws -> Workload {
        guard let w = Workload(rawValue: name) else { throw UnknownWorkload(name: name, known: allCases.map(\.rawValue)) }
        return w
    }

    /// A traced workload: its models (parameters not initialised) and either an inference graph or a train step.
    public struct Traced {
        public var models: [any Module]
        public var graph: Graph
        public var step: TrainStep.TracedStep?
        /// Initialises the models' parameters (MoCo/DetCo also copy the query encoder into the key encoder).
        public var initialize: (UInt64) throws -> Void
    }

    /// Queue size of the contrastive workloads (the peer benchmark's MoCo uses 4,096).
    public static let benchmarkQueue = 4096

    /// Traces the workload.
    public func trace(batch: Int? = nil, size: Int? = nil) throws -> Traced {
        let batch = batch ?? defaultBatch, size = size ?? defaultSize
        let sgd = SGD(momentum: 0.9, weightDecay: 1e-4)
        switch self {
        case .resnet18, .resnet50, .resnet50Infer:
            let model = ResNet(self == .resnet18 ? .resnet18 : .resnet50)
            let (g, _) = try Tracer.trace(name: rawValue.replacingOccurrences(of: "-", with: "_"), training: false, models: [model]) { t in
                let x = t.input(ResNetTraining.imagesInput, TensorType(.f32, [batch, size, size, 3]))
                t.output("logits", model(x).logits!)
            }
            return Traced(models: [model], graph: g, step: nil) { try model.initialize(seed: $0) }
        case .resnet18Train:
            let (model, step) = try ResNetTraining.trace(depth: .resnet18, classes: 10, batch: batch, size: size, optimizer: sgd)
            return Traced(models: [model], graph: step.graph, step: step) { try model.initialize(seed: $0) }
        case .mocov2Train:
            var c = MoCoConfiguration()
            c.queueSize = Workload.benchmarkQueue
            let model = MoCoV2(c)
            let step = try Pretraining.moco(model, batch: batch, size: size, optimizer: sgd)
            return Traced(models: [model], graph: step.graph, step: step) { try model.initialize(seed: $0) }
        case .detcoTrain:
            var c = DetCoConfiguration()
            c.queueSize = Workload.benchmarkQueue
            let model = DetCo(c)
            let step = try Pretraining.detco(model, batch: batch, size: size, patch: DetCoPatch.size(for: size), optimizer: sgd)
            return Traced(models: [model], graph: step.graph, step: step) { try model.initialize(seed: $0) }
        case .retinanetTrain, .maskrcnnFPNTrain:
            let kind: DetectorKind = self == .retinanetTrain ? .retinanet : .maskrcnnFPN
            let c = Workload.detectionConfiguration(kind, batch: batch, size: size)
            let detector = try DetectorFactory.make(c)
            let step = try FineTuneRun.trace(detector, c)
            return Traced(models: [detector], graph: step.graph, step: step) { try detector.initialize(seed: $0) }
        }
    }

    /// The fine-tuning configuration of a detection workload: the demo defaults on a `size` canvas, 10 classes,
    /// `batch` images of up to 8 instances.
    public static func detectionConfiguration(_ kind: DetectorKind, batch: Int, size: Int) -> FineTuneConfiguration {
        var c = FineTuneConfiguration(kind: kind)
        c.batch = batch
        c.canvas = size
        c.shortSides = [size]
        return c
    }

    /// The traced graph (before passes).
    public func graph(batch: Int? = nil, size: Int? = nil) throws -> Graph { try trace(batch: batch, size: size).graph }
}

/// DetCo's local patch size for a global view size (64 at 224; the demo data pipeline uses the same rule).
public enum DetCoPatch {
    public static func size(for globalSize: Int) -> Int { max(8, Int((64.0 * Double(globalSize) / 224).rounded())) }
}

public struct UnknownWorkload: Error, CustomStringConvertible {
    public var name: String
    public var known: [String]
    public var description: String { "unknown workload '\(name)' (known: \(known.joined(separator: ", ")))" }
}

/// Supervised ResNet training: cross-entropy on logits, one compiled step.
public enum ResNetTraining {
    public static let imagesInput = "images"
    public static let labelsInput = "labels"

    /// The traced train step and its model (parameters not yet initialised).
    public static func trace(depth: ResNet.Depth, classes: Int, batch: Int, size: Int,
                             optimizer: any Optimizer) throws -> (model: ResNet, step: TrainStep.TracedStep) {
        let model = ResNet(depth, classes: classes)
        let step = try TrainStep.trace(models: [model],
                                       inputs: [(imagesInput, TensorType(.f32, [batch, size, size, 3])),
                                                (labelsInput, TensorType(.i32, [batch]))],
                                       optimizer: optimizer) { _, x in
            let logits = model(x[imagesInput]!).logits!
            return ["loss": crossEntropy(logits, labels: x[labelsInput]!)]
        }
        return (model, step)
    }
}
