// A ring buffer of K key embeddings (MoCo's memory bank): K × dim, rows initialised to random unit vectors, plus a
// pointer. Enqueueing writes the batch's keys at the pointer and advances it by the batch size, inside the step
// graph (dynamic_update_slice), so the queue is ordinary persistent state.

import Kiln

public final class KeyQueue: Module, ChildNaming {
    public let keys: Parameter
    public let pointer: Parameter
    public let size: Int
    public let dimension: Int

    public init(size: Int, dimension: Int) {
        self.size = size
        self.dimension = dimension
        keys = Parameter([size, dimension], kind: .buffer, initializer: .unitRows(length: dimension))
        pointer = Parameter([], dtype: .i64, kind: .buffer, initializer: .zeros)
    }

    /// MoCo's checkpoint names: `queue` and `queue_ptr`.
    public var namedChildren: [(String, Any)] { [("queue", keys), ("queue_ptr", pointer)] }

    /// The queued keys (K, dim), as they were before this step.
    public func negatives(_ t: Tracer) -> Tensor { t.value(of: keys) }

    /// Writes `batch` (n, dim; already detached) at the pointer and advances it by n, wrapping at K.
    public func enqueue(_ batch: Tensor) {
        let t = batch.tracer
        let n = batch.shape.first ?? 0
        guard n > 0, size % n == 0, batch.shape == [n, dimension] else {
            t.fail(ShapeError(op: "enqueue", inputs: [batch.type], message: "the queue size \(size) must be a multiple of the \(n) keys enqueued per step, each of dimension \(dimension)",
                              location: t.callSite))
            return
        }
        let ptr = t.value(of: pointer)
        let start = Tensor.concat([ptr.reshaped([1]), t.constant([0], TensorType(.i64, [1]))], axis: 0)
        t.update(keys, to: t.value(of: keys).updatingSlice(batch, start: start))
        let advanced = ptr + Double(n)
        let wrapped = Tensor.select(advanced.greaterEqual(t.constant([Double(size)], TensorType(.i64, []))), advanced - Double(size), advanced)
        t.update(pointer, to: wrapped)
    }
}
