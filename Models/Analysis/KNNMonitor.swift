// A kNN monitor for pre-training runs, as in InstDisc and MoCo's CIFAR-10 demo: every N steps the query trunk's
// current weights and BN statistics are evaluated with `zoo eval knn`'s protocol (FrozenEvaluation: Fashion-MNIST
// items rendered at the run's view size, GAP(Res5) in eval mode, weighted cosine kNN, k 200, τ 0.07). A smaller
// gallery and query set keep each evaluation to seconds (5,000 / 1,000 by default, against the command's 10,000 /
// 2,000). The run logs the result as `knn_top1`. Step 0 is the initial trunk, the run's own random baseline.
// Why: a loss curve alone cannot say whether pre-training is learning features that classify (docs/zoo.md,
// findings 4–10). The monitor only reads the training states, so a monitored run's losses equal an unmonitored one's.

import Foundation
import Kiln
import KilnData

public struct KNNMonitorSettings: Sendable {
    /// Evaluate after every `every` steps (and after the last one).
    public var every: Int
    public var galleryCount = 5_000
    public var queryCount = 1_000
    public var k = 200
    public var temperature = 0.07
    public var directory = FashionMNIST.defaultDirectory

    public init(every: Int) { self.every = every }
}

public final class KNNMonitor {
    public let settings: KNNMonitorSettings
    private let backbone: ResNet
    private let prefix: String
    private let setup: FrozenEvaluationSetup

    /// A monitor of `backbone`, whose parameters appear in a compiled step's states under `prefix`
    /// (e.g. "encoder_q."), evaluated at input size `size`. Fails early when Fashion-MNIST cannot be read.
    public init(_ settings: KNNMonitorSettings, backbone: ResNet, parameterPrefix prefix: String, size: Int) throws {
        guard settings.every > 0 else { throw AnalysisError("the kNN monitor period must be positive, got \(settings.every)") }
        guard settings.galleryCount > 0, settings.queryCount > 0, settings.k > 0 else {
            throw AnalysisError("the kNN monitor needs a positive gallery, query count and k")
        }
        self.settings = settings
        self.backbone = backbone
        self.prefix = prefix
        var setup = FrozenEvaluationSetup()
        setup.size = size
        setup.trainCount = settings.galleryCount
        setup.testCount = settings.queryCount
        setup.directory = settings.directory
        self.setup = setup
        _ = try FashionMNIST.load(split: .test, directory: settings.directory)
    }

    /// Whether the monitor evaluates after `step` of a `total`-step run.
    public func isDue(after step: Int, of total: Int) -> Bool {
        step == 0 || step % settings.every == 0 || step == total
    }

    /// Top-1 (in [0, 1]) of the trunk as it stands in `compiled`'s states.
    public func evaluate(_ compiled: CompiledGraph) throws -> Double {
        let exe = compiled.executable
        for (name, p) in try backbone.namedParameters() {
            guard let value = exe.state(prefix + name) else {
                throw AnalysisError("the compiled step has no state '\(prefix + name)' for the monitored trunk")
            }
            p.values = value.data.map(Float.init)
        }
        let features = try FrozenEvaluation.features(backbone, setup)
        return try FrozenEvaluation.knn(features, k: settings.k, temperature: settings.temperature)
    }
}
