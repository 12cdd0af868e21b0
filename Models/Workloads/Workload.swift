// Named workloads shared by `zoo graph`, `zoo bench` and `zoo profile`: each builds a traced graph (and, for
// benchmarking, a runnable step) at a given batch size and image size.

import Foundation
import Kiln
import KilnIR

public enum Workload: String, CaseIterable, Sendable {
    case resnet18
    case resnet50
    case resnet18Train = "resnet18-train"

    public var defaultBatch: Int { self == .resnet18Train ? 32 : 1 }
    public var defaultSize: Int { self == .resnet18Train ? 64 : 224 }

    /// The workload with this command-line name, or an error listing the known names.
    public static func named(_ name: String) throws -> Workload {
        guard let w = Workload(rawValue: name) else { throw UnknownWorkload(name: name, known: allCases.map(\.rawValue)) }
        return w
    }

    /// The traced graph (before passes).
    public func graph(batch: Int? = nil, size: Int? = nil) throws -> Graph {
        let batch = batch ?? defaultBatch, size = size ?? defaultSize
        switch self {
        case .resnet18, .resnet50:
            let model = ResNet(self == .resnet18 ? .resnet18 : .resnet50)
            let (g, _) = try Tracer.trace(name: rawValue.replacingOccurrences(of: "-", with: "_"), training: false, models: [model]) { t in
                let x = t.input("images", TensorType(.f32, [batch, size, size, 3]))
                t.output("logits", model(x).logits!)
            }
            return g
        case .resnet18Train:
            return try ResNetTraining.trace(depth: .resnet18, classes: 10, batch: batch, size: size,
                                            optimizer: SGD(momentum: 0.9, weightDecay: 1e-4)).step.graph
        }
    }
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
