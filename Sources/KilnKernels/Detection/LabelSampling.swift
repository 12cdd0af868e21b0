// detectron2's `subsample_labels` for 1 (foreground) / 0 (background) / −1 (ignore) labels, counter-based:
// - positives are labels ≥ 1, negatives labels == 0, anything else is ignored;
// - numPos = min(#positives, Int(num · positiveFraction)), numNeg = min(#negatives, num − numPos);
// - a uniformly random subset of each kind is taken: every element gets the key
//   SplitMix64.hash(seed, stream, globalIndex) and the subset is the elements with the smallest (key, index),
//   which is a uniformly random subset like `randperm(n)[:k]`. The stream is the step counter, so a step's draw
//   is fixed by (seed, counter) whatever the threading, and repeats on resume;
// - the output is 1 for sampled positives, 0 for sampled negatives and −1 elsewhere.
// The fast kernel keeps the best `need` keys of each kind in a bounded max-heap (O(n log need)); the naive
// reference sorts all keys.

/// Random fixed-size subsets of foreground and background labels.
public enum LabelSampling {
    /// The selection key of the element at `index` (its position across the whole labels tensor).
    @inline(__always)
    public static func key(seed: UInt64, stream: UInt64, index: Int) -> UInt64 {
        SplitMix64.hash(seed: seed, stream: stream, index: UInt64(truncatingIfNeeded: index))
    }

    /// How many positives and negatives a row with `positives` and `negatives` candidates keeps.
    @inline(__always)
    public static func quota(num: Int, positiveFraction: Double, positives: Int, negatives: Int) -> (pos: Int, neg: Int) {
        let wanted = Double(num) * positiveFraction
        let pos = Swift.min(positives, wanted.isFinite && wanted > 0 ? Int(Swift.min(wanted, Double(num))) : 0)
        return (pos, Swift.min(negatives, Swift.max(num - pos, 0)))
    }

    /// Scratch bytes `sample` needs for a quota of `num`.
    public static func scratchBytes(num: Int) -> Int { Swift.max(num, 1) * (MemoryLayout<UInt64>.stride + MemoryLayout<Int32>.stride) }

    /// Samples one row of `count` labels whose first element has global index `base`.
    /// - Parameters:
    ///   - labels: (count,)
    ///   - out: (count,)
    ///   - scratch: `scratchBytes(num:)` bytes
    public static func sample(labels: UnsafePointer<Int32>, out: UnsafeMutablePointer<Int32>, count: Int, base: Int,
                              num: Int, positiveFraction: Double, seed: UInt64, stream: UInt64,
                              scratch: UnsafeMutableRawPointer) {
        var positives = 0, negatives = 0
        for i in 0..<count {
            if labels[i] >= 1 { positives += 1 } else if labels[i] == 0 { negatives += 1 }
        }
        let (pos, neg) = quota(num: num, positiveFraction: positiveFraction, positives: positives, negatives: negatives)
        out.update(repeating: -1, count: count)
        let capacity = Swift.max(num, 1)
        let heapKeys = scratch.bindMemory(to: UInt64.self, capacity: capacity)
        let heapIndex = (scratch + capacity * 8).bindMemory(to: Int32.self, capacity: capacity)
        for pass in 0..<2 {
            let positive = pass == 0
            let need = positive ? pos : neg, available = positive ? positives : negatives, kind: Int32 = positive ? 1 : 0
            if need == 0 { continue }
            @inline(__always) func isCandidate(_ label: Int32) -> Bool { positive ? label >= 1 : label == 0 }
            if need == available {
                for i in 0..<count where isCandidate(labels[i]) { out[i] = kind }
                continue
            }
            var size = 0
            for i in 0..<count where isCandidate(labels[i]) {
                let k = key(seed: seed, stream: stream, index: base + i), index = Int32(truncatingIfNeeded: i)
                if size < need {
                    heapPush(heapKeys, heapIndex, &size, k, index)
                } else if k < heapKeys[0] || (k == heapKeys[0] && index < heapIndex[0]) {
                    heapReplaceTop(heapKeys, heapIndex, size, k, index)
                }
            }
            for s in 0..<size { out[Int(heapIndex[s])] = kind }
        }
    }

    @inline(__always)
    static func above(_ keys: UnsafeMutablePointer<UInt64>, _ index: UnsafeMutablePointer<Int32>, _ a: Int, _ b: Int) -> Bool {
        keys[a] > keys[b] || (keys[a] == keys[b] && index[a] > index[b])
    }

    @inline(__always)
    static func swapAt(_ keys: UnsafeMutablePointer<UInt64>, _ index: UnsafeMutablePointer<Int32>, _ a: Int, _ b: Int) {
        (keys[a], keys[b]) = (keys[b], keys[a])
        (index[a], index[b]) = (index[b], index[a])
    }

    /// Adds (key, i) to a max-heap of `size` entries.
    static func heapPush(_ keys: UnsafeMutablePointer<UInt64>, _ index: UnsafeMutablePointer<Int32>, _ size: inout Int,
                         _ key: UInt64, _ i: Int32) {
        var c = size
        keys[c] = key
        index[c] = i
        size += 1
        while c > 0 {
            let parent = (c - 1) / 2
            guard above(keys, index, c, parent) else { break }
            swapAt(keys, index, c, parent)
            c = parent
        }
    }

    /// Replaces the heap's largest entry with (key, i).
    static func heapReplaceTop(_ keys: UnsafeMutablePointer<UInt64>, _ index: UnsafeMutablePointer<Int32>, _ size: Int,
                               _ key: UInt64, _ i: Int32) {
        keys[0] = key
        index[0] = i
        var c = 0
        while true {
            let l = 2 * c + 1, r = l + 1
            var largest = c
            if l < size && above(keys, index, l, largest) { largest = l }
            if r < size && above(keys, index, r, largest) { largest = r }
            if largest == c { return }
            swapAt(keys, index, c, largest)
            c = largest
        }
    }

    /// Naive reference: sorts each kind's candidates by (key, index) and keeps the first ones.
    public static func naive(labels: [Int], base: Int, num: Int, positiveFraction: Double, seed: UInt64,
                             stream: UInt64) -> [Int] {
        let positives = labels.indices.filter { labels[$0] >= 1 }, negatives = labels.indices.filter { labels[$0] == 0 }
        let (pos, neg) = quota(num: num, positiveFraction: positiveFraction, positives: positives.count,
                               negatives: negatives.count)
        var out = [Int](repeating: -1, count: labels.count)
        for (kind, candidates, need) in [(1, positives, pos), (0, negatives, neg)] {
            let ranked = candidates.sorted {
                let a = key(seed: seed, stream: stream, index: base + $0), b = key(seed: seed, stream: stream, index: base + $1)
                return a < b || (a == b && $0 < $1)
            }
            for i in ranked.prefix(need) { out[i] = kind }
        }
        return out
    }
}
