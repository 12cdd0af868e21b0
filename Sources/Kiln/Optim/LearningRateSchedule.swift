// Learning-rate schedules evaluated on the host each step (the rate is a scalar input of the step graph, so a
// schedule never forces a recompile).

import Foundation

public protocol LearningRateSchedule {
    /// The rate for 0-based step `step`.
    func rate(at step: Int) -> Double
}

/// Linear warm-up from `warmupFactor · base` to `base` over `warmupSteps`, then half-cosine decay to `minimum`
/// at `totalSteps` (MoCo's cosine schedule when warmupSteps is 0).
public struct CosineSchedule: LearningRateSchedule {
    public var base: Double
    public var totalSteps: Int
    public var warmupSteps: Int
    public var warmupFactor: Double
    public var minimum: Double

    public init(base: Double, totalSteps: Int, warmupSteps: Int = 0, warmupFactor: Double = 0.001, minimum: Double = 0) {
        self.base = base
        self.totalSteps = totalSteps
        self.warmupSteps = warmupSteps
        self.warmupFactor = warmupFactor
        self.minimum = minimum
    }

    public func rate(at step: Int) -> Double {
        if step < warmupSteps {
            let alpha = Double(step) / Double(max(warmupSteps, 1))
            return base * (warmupFactor * (1 - alpha) + alpha)
        }
        let span = max(totalSteps - warmupSteps, 1)
        let progress = min(Double(step - warmupSteps) / Double(span), 1)
        return minimum + (base - minimum) * 0.5 * (1 + cos(Double.pi * progress))
    }
}

/// A constant rate.
public struct ConstantSchedule: LearningRateSchedule {
    public var value: Double
    public init(_ value: Double) { self.value = value }
    public func rate(at step: Int) -> Double { value }
}

/// Linear warm-up then ×gamma at each milestone (detectron2's WarmupMultiStepLR).
public struct MultiStepSchedule: LearningRateSchedule {
    public var base: Double
    public var milestones: [Int]
    public var gamma: Double
    public var warmupSteps: Int
    public var warmupFactor: Double

    public init(base: Double, milestones: [Int], gamma: Double = 0.1, warmupSteps: Int = 0, warmupFactor: Double = 0.001) {
        self.base = base
        self.milestones = milestones
        self.gamma = gamma
        self.warmupSteps = warmupSteps
        self.warmupFactor = warmupFactor
    }

    public func rate(at step: Int) -> Double {
        let decay = pow(gamma, Double(milestones.filter { step >= $0 }.count))
        guard step < warmupSteps else { return base * decay }
        let alpha = Double(step) / Double(max(warmupSteps, 1))
        return base * decay * (warmupFactor * (1 - alpha) + alpha)
    }
}
