// Optimizers append their update to the train-step graph, so the update is fused and planned like everything
// else. Slots (momentum, Adam moments) are persistent states named `optimizer.<slot>.<parameter>`.

import KilnIR
import KilnOps

/// What an optimizer sees of one parameter while building the update.
public struct ParameterUpdate {
    public var name: String
    public var value: ValueID
    public var grad: ValueID
    public var type: TensorType
    /// The learning rate of this step (an f32 scalar input).
    public var learningRate: ValueID
    /// The 1-based number of this step (an i64 scalar).
    public var step: ValueID
    let slots: SlotRecorder

    /// A zero-initialised persistent slot for this parameter; `assign` its new value with `update`.
    public func slot(_ slotName: String, _ b: inout GraphBuilder) -> ValueID {
        let id = b.state("optimizer.\(slotName).\(name)", type)
        slots.created.append(id)
        return id
    }

    /// Records the slot's value after this step.
    public func update(_ slot: ValueID, to value: ValueID, _ b: inout GraphBuilder) { b.assign(slot, value) }
}

final class SlotRecorder { var created: [ValueID] = [] }

public protocol Optimizer {
    /// Appends the update of one parameter and returns its new value.
    func apply(_ p: ParameterUpdate, _ b: inout GraphBuilder) throws -> ValueID
}
