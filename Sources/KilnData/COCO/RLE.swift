// COCO run-length encoding of binary masks, compatible with pycocotools' `mask.encode/decode/area/toBbox/merge`.
// Runs are taken over the mask in column-major (Fortran) order and alternate 0-runs and 1-runs, starting with a
// (possibly empty) 0-run. The compressed string form is pycocotools' LEB128-like text: each count (from the
// fourth on, as the difference to the count two places earlier) in 5-bit groups, 0x20 = "more follows", 0x10 of
// the last group = sign, plus 48 to make printable ASCII.

/// A run-length encoded mask of `height × width` pixels.
public struct RLE: Equatable, Sendable {
    public var height: Int
    public var width: Int
    /// Alternating 0-run and 1-run lengths in column-major order; they sum to `height * width`.
    public var counts: [UInt32]

    /// Wraps counts that are known to sum to `height * width` (library-internal invariant).
    public init(height: Int, width: Int, counts: [UInt32]) {
        self.height = height
        self.width = width
        self.counts = counts
    }

    /// Checked construction from untrusted counts (JSON): the counts must sum to `height * width`.
    public init(height: Int, width: Int, checkedCounts counts: [UInt32], file: String, field: String) throws {
        guard height >= 0, width >= 0 else {
            throw DataError(.invalid, file: file, field: field, "negative mask size \(height)x\(width)")
        }
        let total = counts.reduce(0) { $0 + Int($1) }
        guard total == height * width else {
            throw DataError(.invalid, file: file, field: field,
                            "RLE counts sum to \(total) but the mask has \(height)x\(width) = \(height * width) pixels")
        }
        self.init(height: height, width: width, counts: counts)
    }

    /// Encodes a row-major mask.
    public init(mask: BinaryMask) {
        self.init(mask.bits, value: 1, height: mask.height, width: mask.width)
    }

    /// Encodes the pixels of a row-major label map that equal `value` (one instance of a label image).
    init(_ labels: [UInt8], value: UInt8, height: Int, width: Int) {
        precondition(labels.count == height * width, "RLE: label map size differs")
        var counts: [UInt32] = []
        var current = false
        var run: UInt32 = 0
        labels.withUnsafeBufferPointer { map in
            for x in 0..<width {
                var index = x
                for _ in 0..<height {
                    let bit = map[index] == value
                    if bit != current { counts.append(run); run = 0; current = bit }
                    run += 1
                    index += width
                }
            }
        }
        counts.append(run)
        self.init(height: height, width: width, counts: counts)
    }

    /// The row-major mask.
    public func decode() -> BinaryMask {
        var bits = [UInt8](repeating: 0, count: width * height)
        var position = 0  // column-major index
        for (i, count) in counts.enumerated() {
            if i % 2 == 1 {
                for p in position..<(position + Int(count)) {
                    bits[(p % height) * width + p / height] = 1
                }
            }
            position += Int(count)
        }
        return BinaryMask(width: width, height: height, bits: bits)
    }

    /// Number of set pixels (pycocotools `area`).
    public var area: Int {
        var total = 0
        var i = 1
        while i < counts.count { total += Int(counts[i]); i += 2 }
        return total
    }

    /// Tight box `[x, y, w, h]` of the set pixels (pycocotools `toBbox`); [0, 0, 0, 0] when empty.
    public var boundingBox: [Double] {
        guard height > 0 else { return [0, 0, 0, 0] }
        var minX = Int.max, maxX = -1, minY = Int.max, maxY = -1
        var position = 0
        for (i, count) in counts.enumerated() {
            let start = position
            position += Int(count)
            guard i % 2 == 1, count > 0 else { continue }
            let end = position - 1
            let (x0, y0) = (start / height, start % height)
            let (x1, y1) = (end / height, end % height)
            minX = min(minX, x0); maxX = max(maxX, x1)
            if x0 == x1 {
                minY = min(minY, y0); maxY = max(maxY, y1)
            } else {
                // A run crossing a column boundary covers the bottom of one column and the top of the next.
                minY = 0; maxY = height - 1
            }
        }
        guard maxX >= 0 else { return [0, 0, 0, 0] }
        return [Double(minX), Double(minY), Double(maxX - minX + 1), Double(maxY - minY + 1)]
    }
}

// MARK: - Compressed string form

extension RLE {
    /// pycocotools' compressed `counts` string.
    public var compressedCounts: String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(counts.count * 2)
        for i in counts.indices {
            var x = Int64(counts[i])
            if i > 2 { x -= Int64(counts[i - 2]) }
            var more = true
            while more {
                var c = UInt8(truncatingIfNeeded: x & 0x1F)
                x >>= 5  // arithmetic shift keeps the sign
                more = (c & 0x10) != 0 ? x != -1 : x != 0
                if more { c |= 0x20 }
                bytes.append(c + 48)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Decodes pycocotools' compressed `counts` string; `file`/`field` name the source in errors.
    public init(height: Int, width: Int, compressed: String, file: String = "<memory>", field: String = "counts") throws {
        var counts: [UInt32] = []
        var value: Int64 = 0
        var shift: Int64 = 0
        var position = 0
        for byte in compressed.utf8 {
            position += 1
            guard byte >= 48, byte < 48 + 64 else {
                throw DataError(.invalid, file: file, field: field,
                                "invalid character '\(Character(Unicode.Scalar(byte)))' at position \(position) of the RLE string")
            }
            let c = Int64(byte - 48)
            guard shift < 35 else {
                throw DataError(.invalid, file: file, field: field, "RLE count too long at position \(position)")
            }
            value |= (c & 0x1F) << shift
            shift += 5
            if c & 0x20 != 0 { continue }
            if c & 0x10 != 0 { value |= -1 << shift }  // sign-extend
            if counts.count > 2 { value += Int64(counts[counts.count - 2]) }
            guard value >= 0, value <= Int64(UInt32.max) else {
                throw DataError(.invalid, file: file, field: field,
                                "RLE count \(counts.count) decodes to \(value), outside 0...\(UInt32.max)")
            }
            counts.append(UInt32(value))
            value = 0
            shift = 0
        }
        guard shift == 0 else {
            throw DataError(.invalid, file: file, field: field, "RLE string ends inside a count")
        }
        try self.init(height: height, width: width, checkedCounts: counts, file: file, field: field)
    }
}

// MARK: - Set operations and IoU

extension RLE {
    /// Union (or intersection) of masks of equal size (pycocotools `merge`).
    public static func merge(_ masks: [RLE], intersect: Bool = false) -> RLE {
        guard var result = masks.first else { return RLE(height: 0, width: 0, counts: [0]) }
        for other in masks.dropFirst() {
            precondition(other.height == result.height && other.width == result.width, "RLE.merge: sizes differ")
            result = combine(result, other) { intersect ? ($0 && $1) : ($0 || $1) }
        }
        return result
    }

    /// Number of pixels set in both masks.
    public static func intersectionArea(_ a: RLE, _ b: RLE) -> Int {
        precondition(a.height == b.height && a.width == b.width, "RLE.intersectionArea: sizes differ")
        var total = 0
        walkRuns(a, b) { bitA, bitB, length in if bitA && bitB { total += length } }
        return total
    }

    /// Runs of `a` and `b` walked together: calls `body(bitA, bitB, length)` for each maximal common segment.
    private static func walkRuns(_ a: RLE, _ b: RLE, _ body: (Bool, Bool, Int) -> Void) {
        var ia = 0, ib = 0
        var leftA = a.counts.first.map(Int.init) ?? 0, leftB = b.counts.first.map(Int.init) ?? 0
        var remaining = a.height * a.width
        while remaining > 0 {
            while leftA == 0 && ia + 1 < a.counts.count { ia += 1; leftA = Int(a.counts[ia]) }
            while leftB == 0 && ib + 1 < b.counts.count { ib += 1; leftB = Int(b.counts[ib]) }
            let step = min(leftA, leftB)
            guard step > 0 else { return }
            body(ia % 2 == 1, ib % 2 == 1, step)
            leftA -= step; leftB -= step; remaining -= step
        }
    }

    private static func combine(_ a: RLE, _ b: RLE, _ op: (Bool, Bool) -> Bool) -> RLE {
        var counts: [UInt32] = []
        var current = false
        var run = 0
        walkRuns(a, b) { bitA, bitB, length in
            let bit = op(bitA, bitB)
            if bit != current {
                counts.append(UInt32(run))
                run = 0
                current = bit
            }
            run += length
        }
        counts.append(UInt32(run))
        return RLE(height: a.height, width: a.width, counts: counts)
    }
}
