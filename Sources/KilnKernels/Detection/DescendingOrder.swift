// Indices of the largest values of a float row in descending order, ties by lower index (a stable order, like
// `torch.sort(descending=True, stable=True)`); NaN counts as larger than +inf (torch.topk's rule) and −0 equals +0.
// Used by top_k (RPN pre-NMS selection) and NMS (score order).
//
// Algorithm: floats map to order-preserving 32-bit keys (inverted, so ascending keys mean descending values).
// A histogram of the top key byte finds the bucket holding the k-th value; only the candidates up to that bucket
// (gathered in index order) are radix-sorted, least significant byte first, skipping bytes every candidate shares.
// Each pass is a stable counting sort, so equal values keep index order. No allocation: the caller passes
// `scratchBytes(count:)` bytes.

/// Stable descending order of float rows.
public enum DescendingOrder {
    /// Scratch bytes `largest` needs for a row of `count` values.
    public static func scratchBytes(count: Int) -> Int { 16 * count + 256 * MemoryLayout<Int32>.stride }

    /// The sort key of `x`: ascending keys are descending values; NaN first, −0 as +0.
    @inline(__always)
    public static func key(_ x: Float) -> UInt32 {
        let v = x.isNaN ? Float.nan : x + 0  // canonical quiet NaN (positive); −0 + 0 = +0
        let bits = v.bitPattern
        let ascending = bits & 0x8000_0000 != 0 ? ~bits : bits | 0x8000_0000
        return ~ascending
    }

    /// Writes the indices of the `k` largest of x[0..<count] (descending, ties by lower index) to order[0..<k].
    /// - Parameters:
    ///   - x: (count,)
    ///   - order: (k,), 0 < k ≤ count
    ///   - scratch: `scratchBytes(count:)` bytes
    public static func largest(_ x: UnsafePointer<Float>, count: Int, k: Int, into order: UnsafeMutablePointer<Int32>,
                               scratch: UnsafeMutableRawPointer) {
        precondition(k >= 0 && k <= count, "DescendingOrder.largest: k \(k) for \(count) values")
        if k == 0 { return }
        let keysA = scratch.bindMemory(to: UInt32.self, capacity: count)
        let keysB = (scratch + 4 * count).bindMemory(to: UInt32.self, capacity: count)
        let indexA = (scratch + 8 * count).bindMemory(to: Int32.self, capacity: count)
        let indexB = (scratch + 12 * count).bindMemory(to: Int32.self, capacity: count)
        let histogram = (scratch + 16 * count).bindMemory(to: Int32.self, capacity: 256)

        // The top byte's bucket that holds the k-th key: everything in lower buckets is certainly selected.
        histogram.update(repeating: 0, count: 256)
        for i in 0..<count {
            let sortKey = key(x[i])
            keysA[i] = sortKey
            histogram[Int(sortKey >> 24)] += 1
        }
        var cutoff = 0, seen = 0
        while cutoff < 255 {
            seen += Int(histogram[cutoff])
            if seen >= k { break }
            cutoff += 1
        }
        var m = 0
        for i in 0..<count where Int(keysA[i] >> 24) <= cutoff {
            keysB[m] = keysA[i]
            indexB[m] = Int32(truncatingIfNeeded: i)
            m += 1
        }

        // LSD radix sort of the m candidates, ping-ponging between the B and A buffers.
        var srcKeys = keysB, srcIndex = indexB, dstKeys = keysA, dstIndex = indexA
        for shift in stride(from: 0, through: 24, by: 8) {
            histogram.update(repeating: 0, count: 256)
            for i in 0..<m { histogram[Int((srcKeys[i] >> UInt32(shift)) & 0xFF)] += 1 }
            if Int(histogram[Int((srcKeys[0] >> UInt32(shift)) & 0xFF)]) == m { continue }  // byte shared by all
            var start: Int32 = 0
            for b in 0..<256 {
                let c = histogram[b]
                histogram[b] = start
                start += c
            }
            for i in 0..<m {
                let bucket = Int((srcKeys[i] >> UInt32(shift)) & 0xFF)
                let to = Int(histogram[bucket])
                histogram[bucket] += 1
                dstKeys[to] = srcKeys[i]
                dstIndex[to] = srcIndex[i]
            }
            swap(&srcKeys, &dstKeys)
            swap(&srcIndex, &dstIndex)
        }
        order.update(from: srcIndex, count: k)
    }

    /// Naive reference: a comparison sort of all values with the same rule (NaN largest, ties by lower index).
    public static func naiveLargest<T: BinaryFloatingPoint>(_ values: [T], k: Int) -> [Int] {
        Array(values.indices.sorted { precedes(values[$0], $0, values[$1], $1) }.prefix(k))
    }

    /// Whether (a at index i) comes before (b at index j) in descending order.
    public static func precedes<T: BinaryFloatingPoint>(_ a: T, _ i: Int, _ b: T, _ j: Int) -> Bool {
        if a.isNaN || b.isNaN {
            if a.isNaN && b.isNaN { return i < j }
            return a.isNaN
        }
        return a > b || (a == b && i < j)
    }
}
