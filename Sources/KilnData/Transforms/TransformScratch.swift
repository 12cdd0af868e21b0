// Reusable working memory for the augmentation kernels. One scratch per worker thread: transforms borrow
// buffers from it instead of allocating per image, so the loader's steady state allocates nothing per view.

/// Per-thread scratch buffers for transforms; not thread-safe (give each thread its own).
public final class TransformScratch {
    enum Slot: Int, CaseIterable {
        case resampleRows, blur, localCrop, tableX, tableY
    }

    private var floats: [UnsafeMutablePointer<Float>?]
    private var floatCapacity: [Int]
    private var ints: [UnsafeMutablePointer<Int32>?]
    private var intCapacity: [Int]

    public init() {
        floats = Array(repeating: nil, count: Slot.allCases.count)
        floatCapacity = Array(repeating: 0, count: Slot.allCases.count)
        ints = Array(repeating: nil, count: Slot.allCases.count)
        intCapacity = Array(repeating: 0, count: Slot.allCases.count)
    }

    deinit {
        for pointer in floats { pointer?.deallocate() }
        for pointer in ints { pointer?.deallocate() }
    }

    /// A Float buffer of at least `count` elements; contents are unspecified and valid until the next request
    /// for the same slot.
    func floats(_ slot: Slot, _ count: Int) -> UnsafeMutablePointer<Float> {
        let s = slot.rawValue
        if let buffer = floats[s], floatCapacity[s] >= count { return buffer }
        floats[s]?.deallocate()
        let buffer = UnsafeMutablePointer<Float>.allocate(capacity: max(count, 16))
        floats[s] = buffer
        floatCapacity[s] = max(count, 16)
        return buffer
    }

    /// An Int32 buffer of at least `count` elements (same contract as `floats`).
    func ints(_ slot: Slot, _ count: Int) -> UnsafeMutablePointer<Int32> {
        let s = slot.rawValue
        if let buffer = ints[s], intCapacity[s] >= count { return buffer }
        ints[s]?.deallocate()
        let buffer = UnsafeMutablePointer<Int32>.allocate(capacity: max(count, 16))
        ints[s] = buffer
        intCapacity[s] = max(count, 16)
        return buffer
    }
}
