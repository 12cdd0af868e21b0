// Everything that defines a detection fine-tuning run (detco-spec §3: detectron2's protocol from the MoCo configs,
// scaled down for the demo scenes); stored in checkpoints so `--resume` can refuse a mismatch.

import Foundation

public enum DetectorKind: String, Codable, Sendable, CaseIterable {
    case retinanet
    case maskrcnnFPN = "maskrcnn-fpn"
    case maskrcnnC4 = "maskrcnn-c4"

    public var predictsMasks: Bool { self != .retinanet }
}

public struct FineTuneConfiguration: Codable, Equatable, Sendable {
    public var kind: DetectorKind
    public var depth = 18
    /// Foreground classes (10 for the fashion scenes).
    public var classes = 10
    /// Class names in label order (the dataset's categories by ascending id), kept for drawing detections.
    public var classNames: [String] = []
    /// The square canvas images are resized into and padded to (a multiple of 32).
    public var canvas = 128
    /// Training short sides (one is drawn per image; detectron2's multi-scale training); test uses the last.
    public var shortSides = [112, 128]
    public var maxInstances = 8
    /// RetinaNet's base anchor size of P3…P7 in canvas pixels (detectron2: 32…512 at 800 px; see RetinaNetSettings).
    public var retinaNetAnchorSizes = RetinaNetSettings.demoAnchorSizes
    public var batch = 4
    public var iterations = 600
    /// Learning-rate decay points (×0.1 each), as iterations.
    public var milestones = [450, 550]
    public var warmupIterations = 50
    /// Base learning rate per 16 images (detectron2: 0.02 for Mask R-CNN, 0.01 for RetinaNet), scaled linearly.
    public var baseLearningRate: Double
    public var weightDecay = 1e-4
    public var momentum = 0.9
    /// Fraction of the training images whose labels are used (1%, 2%, 5%, 10% experiments).
    public var fraction = 1.0
    public var seed: UInt64 = 0
    public var checkpointEvery = 200

    public init(kind: DetectorKind) {
        self.kind = kind
        baseLearningRate = kind == .retinanet ? 0.01 : 0.02
    }

    public var learningRate: Double { baseLearningRate * Double(batch) / 16 }
    public var testShortSide: Int { shortSides.last ?? canvas }

    /// detectron2's schedules (12k, 1x, 2x) multiplied by `scale` (e.g. 0.01 for a quick run).
    public mutating func apply(schedule: String, scale: Double) throws {
        let (iters, steps): (Int, [Int])
        switch schedule {
        case "12k": (iters, steps) = (12_000, [9_000, 11_000])
        case "1x": (iters, steps) = (90_000, [60_000, 80_000])
        case "2x": (iters, steps) = (180_000, [120_000, 160_000])
        default: throw FineTuneError("unknown schedule '\(schedule)' (12k, 1x or 2x)")
        }
        guard scale > 0 else { throw FineTuneError("--scale must be positive") }
        iterations = max(1, Int((Double(iters) * scale).rounded()))
        milestones = steps.map { max(1, Int((Double($0) * scale).rounded())) }
        warmupIterations = min(max(1, Int((1000 * scale).rounded())), iterations)
    }

    /// Total iterations set directly; milestones keep their relative positions (at 2/3 and 8/9 of 1x's shape).
    public mutating func set(iterations n: Int) {
        let old = Double(max(iterations, 1))
        milestones = milestones.map { max(1, Int((Double($0) / old * Double(n)).rounded())) }
        warmupIterations = min(warmupIterations, max(1, n / 10))
        iterations = n
    }

    public func problems() -> [String] {
        var out: [String] = []
        if ![18, 34, 50, 101].contains(depth) { out.append("--depth must be 18, 34, 50 or 101") }
        if canvas % 32 != 0 || canvas < 64 { out.append("the canvas must be a multiple of 32, at least 64") }
        if batch < 1 { out.append("--batch must be positive") }
        if iterations < 1 { out.append("--iters must be positive") }
        if !(fraction > 0 && fraction <= 1) { out.append("--fraction must be in (0, 1]") }
        if shortSides.contains(where: { $0 > canvas }) { out.append("short sides must fit the canvas") }
        return out
    }

    public func json() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return (try? encoder.encode(self)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }
}

public struct FineTuneError: Error, CustomStringConvertible {
    public var description: String
    public init(_ message: String) { description = message }
}
