// `TensorBuffer`: a fixed-size, manually allocated array that worker threads fill in disjoint slices (one
// sample each) without Swift's copy-on-write or exclusivity machinery getting in the way. Batches are made
// of these and reused, so the loader allocates nothing per batch in its steady state.

/// A row-major buffer with a shape, filled concurrently through raw pointers to disjoint slices.
public final class TensorBuffer<Element>: @unchecked Sendable {
    public let shape: [Int]
    public let storage: UnsafeMutableBufferPointer<Element>
    private let base: UnsafeMutablePointer<Element>

    /// A buffer of `shape` filled with `initial`.
    public init(shape: [Int], initial: Element) {
        precondition(shape.allSatisfy { $0 >= 0 }, "TensorBuffer: negative dimension in \(shape)")
        let count = shape.reduce(1, *)
        self.shape = shape
        base = .allocate(capacity: max(count, 1))
        base.initialize(repeating: initial, count: count)
        storage = UnsafeMutableBufferPointer(start: base, count: count)
    }

    deinit {
        base.deinitialize(count: storage.count)
        base.deallocate()
    }

    /// Elements per entry along the first dimension.
    public var stride: Int { shape.dropFirst().reduce(1, *) }

    /// Pointer to entry `index` along the first dimension.
    public func entry(_ index: Int) -> UnsafeMutablePointer<Element> {
        precondition(index >= 0 && index < (shape.first ?? 0), "TensorBuffer: entry \(index) outside \(shape)")
        return base + index * stride
    }

    /// A copy of the contents.
    public var array: [Element] { Array(storage) }
}
