// Axis permutation of a contiguous tensor (numpy `transpose` semantics): y.shape[i] = x.shape[permutation[i]].
//
// The shape is coalesced first (size-1 dimensions dropped; input dimensions that stay adjacent and in order in
// the output merged), so e.g. NHWC→NCHW becomes a batch of 2-D transposes (N, H·W, C) → (N, C, H·W). Then:
// - identity: one copy;
// - innermost dimension kept innermost: contiguous runs copied along an odometer;
// - otherwise: 16×16 blocked 2-D transposes between x's innermost dimension and y's innermost dimension,
//   along an odometer over the remaining dimensions, parallel over (outer index, strip of 16 rows).
// Works for element sizes 1, 2, 4 and 8 bytes (the blocked path is generic over the element type).

/// Permutation of tensor axes for rank ≤ 6.
public enum Transpose {
    /// Highest supported rank.
    public static let maxRank = 6

    /// y = x permuted: y[i_0, …, i_{r−1}] = x[j] with j_{permutation[k]} = i_k. f32 elements.
    public static func permute(
        x: UnsafePointer<Float>, shape: [Int], permutation: [Int], y: UnsafeMutablePointer<Float>, pool: ThreadPool
    ) {
        permuteBytes(x: x, elementSize: 4, shape: shape, permutation: permutation, y: y, pool: pool)
    }

    /// Raw-bytes variant for elements of 1, 2, 4 or 8 bytes (e.g. Int64 indices, UInt8 images).
    public static func permuteBytes(
        x: UnsafeRawPointer, elementSize: Int, shape: [Int], permutation: [Int], y: UnsafeMutableRawPointer,
        pool: ThreadPool
    ) {
        precondition(elementSize == 1 || elementSize == 2 || elementSize == 4 || elementSize == 8,
                     "Transpose.permuteBytes: element size \(elementSize) is not 1, 2, 4 or 8")
        let p = PermutationLayout(shape: shape, permutation: permutation)
        if p.count == 0 { return }  // an empty tensor
        let rank = p.rank, size = elementSize
        if rank <= 1 || p.isIdentity {
            pool.parallelChunks(p.count, minChunk: 1 << 16, (x, y, size)) { args, range in
                let (x, y, size) = args
                (y + range.lowerBound * size).copyMemory(from: x + range.lowerBound * size,
                                                         byteCount: range.count * size)
            }
            return
        }
        let a = rank - 1                 // x's innermost dimension (stride 1 in x)
        let b = p.permutation[rank - 1]  // the x dimension that is innermost in y (stride 1 in y)
        if b == a {
            // Contiguous runs of the innermost extent.
            let run = p.extents[a], runs = p.count / run
            pool.parallelChunks(runs, minChunk: Swift.max(1, 16_384 / run), (x, y, p, run, size)) { args, range in
                let (x, y, p, run, size) = args
                for r in range {
                    (y + r * run * size).copyMemory(from: x + p.inputOffset(ofOutputRun: r) * size,
                                                    byteCount: run * size)
                }
            }
            return
        }
        let na = p.extents[a], nb = p.extents[b]
        let outer = p.count / (na * nb), strips = (nb + tile - 1) / tile
        pool.parallelChunks(outer * strips, minChunk: Swift.max(1, 4096 / (tile * na)),
                            (x, y, p, a, b, size)) { args, jobs in
            let (x, y, p, a, b, size) = args
            // The body is not generic (generic metadata would be captured); it picks the element type here.
            switch size {
            case 1: Transpose.transposeStrips(UInt8.self, x, y, p, a, b, jobs)
            case 2: Transpose.transposeStrips(UInt16.self, x, y, p, a, b, jobs)
            case 4: Transpose.transposeStrips(UInt32.self, x, y, p, a, b, jobs)
            default: Transpose.transposeStrips(UInt64.self, x, y, p, a, b, jobs)
            }
        }
    }

    static let tile = 16

    /// Jobs of the blocked path: job = (outer index, strip of 16 values of y's innermost dimension b), each
    /// transposed against x's innermost dimension a in 16×16 tiles.
    @inline(__always)
    static func transposeStrips<T>(
        _: T.Type, _ rawX: UnsafeRawPointer, _ rawY: UnsafeMutableRawPointer, _ p: PermutationLayout, _ a: Int,
        _ b: Int, _ jobs: Range<Int>
    ) {
        let x = rawX.assumingMemoryBound(to: T.self), y = rawY.assumingMemoryBound(to: T.self)
        let na = p.extents[a], nb = p.extents[b]
        let strides = (nb + tile - 1) / tile
        let strideXB = p.inputStrides[b], strideYA = p.outputStrides[a]
        for job in jobs {
            let o = job / strides, b0 = (job % strides) * tile, b1 = Swift.min(b0 + tile, nb)
            let (xBase, yBase) = p.offsets(ofOuter: o, excluding: a, and: b)
            var a0 = 0
            while a0 < na {
                let a1 = Swift.min(a0 + tile, na)
                for bi in b0..<b1 {
                    let src = x + xBase + bi * strideXB
                    let dst = y + yBase + bi
                    for ai in a0..<a1 { dst[ai * strideYA] = src[ai] }
                }
                a0 = a1
            }
        }
    }

    /// Reference: for every output element, decompose its index and read the input element.
    public static func naivePermute(
        x: UnsafePointer<Float>, shape: [Int], permutation: [Int], y: UnsafeMutablePointer<Float>
    ) {
        let rank = shape.count
        var inputStrides = [Int](repeating: 1, count: rank)
        for d in stride(from: rank - 2, through: 0, by: -1) { inputStrides[d] = inputStrides[d + 1] * shape[d + 1] }
        let outputShape = permutation.map { shape[$0] }
        let total = shape.reduce(1, *)
        for flat in 0..<total {
            var rest = flat, source = 0
            for i in stride(from: rank - 1, through: 0, by: -1) {
                source += (rest % outputShape[i]) * inputStrides[permutation[i]]
                rest /= outputShape[i]
            }
            y[flat] = x[source]
        }
    }
}

/// A permutation coalesced to its essential dimensions, with the strides the kernels walk.
struct PermutationLayout {
    /// Coalesced input extents (in x order) and the permutation over them (y dimension i = x dimension perm[i]).
    var extents = InlineArray<6, Int>(repeating: 1)
    var permutation = InlineArray<6, Int>(repeating: 0)
    /// inputStrides[d]: stride of x dimension d in x; outputStrides[d]: stride of x dimension d in y.
    var inputStrides = InlineArray<6, Int>(repeating: 0)
    var outputStrides = InlineArray<6, Int>(repeating: 0)
    var rank = 0
    var count = 1

    init(shape: [Int], permutation rawPermutation: [Int]) {
        precondition(shape.count <= Transpose.maxRank && rawPermutation.count == shape.count,
                     "Transpose: shape \(shape) and permutation \(rawPermutation) must have equal rank ≤ 6")
        var seen = InlineArray<6, Bool>(repeating: false)
        for d in rawPermutation {
            precondition(d >= 0 && d < shape.count && !seen[d], "Transpose: \(rawPermutation) is not a permutation")
            seen[d] = true
        }
        for e in shape { count *= e }
        // Keep the dimensions of extent > 1, renumbered in x order.
        var newIndex = InlineArray<6, Int>(repeating: -1)
        var kept = 0
        for d in 0..<shape.count where shape[d] != 1 {
            newIndex[d] = kept
            extents[kept] = shape[d]
            kept += 1
        }
        var order = InlineArray<6, Int>(repeating: 0)  // y order of kept x dimensions
        var n = 0
        for d in rawPermutation where newIndex[d] >= 0 {
            order[n] = newIndex[d]
            n += 1
        }
        // Merge x dimensions d−1, d when d directly follows d−1 in y as well.
        var position = InlineArray<6, Int>(repeating: 0)  // y position of each kept x dimension
        for i in 0..<n { position[order[i]] = i }
        var startsGroup = InlineArray<6, Bool>(repeating: false)
        var group = InlineArray<6, Int>(repeating: 0)     // merged dimension of each kept x dimension
        var groupExtents = InlineArray<6, Int>(repeating: 1)
        var groups = 0
        for d in 0..<kept {
            startsGroup[d] = d == 0 || position[d] != position[d - 1] + 1
            if startsGroup[d] { groups += 1 }
            group[d] = groups - 1
            groupExtents[groups - 1] *= extents[d]
        }
        rank = groups
        for g in 0..<groups { extents[g] = groupExtents[g] }
        var m = 0
        for i in 0..<n where startsGroup[order[i]] {
            permutation[m] = group[order[i]]
            m += 1
        }
        var running = 1
        for d in stride(from: rank - 1, through: 0, by: -1) {
            inputStrides[d] = running
            running *= extents[d]
        }
        running = 1
        for i in stride(from: rank - 1, through: 0, by: -1) {
            outputStrides[permutation[i]] = running
            running *= extents[permutation[i]]
        }
    }

    var isIdentity: Bool {
        for i in 0..<rank where permutation[i] != i { return false }
        return true
    }

    /// x offset of the r-th contiguous run of y when the innermost x dimension `a` stays innermost.
    @inline(__always)
    func inputOffset(ofOutputRun r: Int) -> Int {
        var rest = r, offset = 0
        for i in stride(from: rank - 2, through: 0, by: -1) {
            let d = permutation[i]
            offset += (rest % extents[d]) * inputStrides[d]
            rest /= extents[d]
        }
        return offset
    }

    /// (x offset, y offset) of outer index o over all dimensions except a and b, enumerated in y order.
    @inline(__always)
    func offsets(ofOuter o: Int, excluding a: Int, and b: Int) -> (Int, Int) {
        var rest = o, xOffset = 0, yOffset = 0
        for i in stride(from: rank - 1, through: 0, by: -1) {
            let d = permutation[i]
            if d == a || d == b { continue }
            let index = rest % extents[d]
            rest /= extents[d]
            xOffset += index * inputStrides[d]
            yOffset += index * outputStrides[d]
        }
        return (xOffset, yOffset)
    }
}
