// Axis permutation against the naive reference: every rank-3 permutation, layout changes (NHWC ↔ NCHW), rank 6,
// size-1 and empty dimensions, blocked-path sizes not divisible by the tile, and the raw-bytes variant.

import KilnKernels
import Testing

struct PermuteCase: Sendable, CustomTestStringConvertible {
    var shape: [Int]
    var permutation: [Int]
    var testDescription: String { "\(shape) by \(permutation)" }
}

let permuteCases: [PermuteCase] = [
    [0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0],
].map { PermuteCase(shape: [3, 5, 17], permutation: $0) } + [
    PermuteCase(shape: [2, 5, 7, 19], permutation: [0, 3, 1, 2]),     // NHWC → NCHW
    PermuteCase(shape: [2, 19, 5, 7], permutation: [0, 2, 3, 1]),     // NCHW → NHWC
    PermuteCase(shape: [100, 37], permutation: [1, 0]),               // plain 2-D, ragged tiles
    PermuteCase(shape: [2, 3, 1, 4, 2, 3], permutation: [5, 2, 0, 4, 1, 3]),
    PermuteCase(shape: [1, 7, 1, 9], permutation: [3, 2, 1, 0]),      // size-1 dimensions
    PermuteCase(shape: [4, 6, 5], permutation: [1, 2, 0]),            // merges to a 2-D transpose
    PermuteCase(shape: [3, 0, 4], permutation: [2, 0, 1]),            // empty
]

@Suite("Transpose")
struct TransposeTests {
    @Test("permute matches the reference", arguments: permuteCases)
    func matchesNaive(c: PermuteCase) {
        let count = c.shape.reduce(1, *)
        let x = randomFloats(count, seed: 81)
        var y = poisoned(count), reference = poisoned(count)
        Transpose.permute(x: x, shape: c.shape, permutation: c.permutation, y: &y, pool: .shared)
        Transpose.naivePermute(x: x, shape: c.shape, permutation: c.permutation, y: &reference)
        #expect(y == reference)
    }

    @Test("raw bytes: 1-, 4- and 8-byte elements", arguments: [1, 4, 8])
    func rawBytes(elementSize: Int) {
        let shape = [3, 18, 5], permutation = [2, 0, 1], count = 3 * 18 * 5
        let values = (0..<count).map { Float(($0 * 37) % 251) }  // exact in every element type
        var reference = poisoned(count)
        Transpose.naivePermute(x: values, shape: shape, permutation: permutation, y: &reference)
        var result = [Float](repeating: -1, count: count)
        func run<T: BinaryInteger>(_: T.Type) {
            let x = values.map { T(Int($0)) }
            var y = [T](repeating: 0, count: count)
            x.withUnsafeBytes { xb in
                y.withUnsafeMutableBytes { yb in
                    Transpose.permuteBytes(x: xb.baseAddress!, elementSize: elementSize, shape: shape,
                                           permutation: permutation, y: yb.baseAddress!, pool: .shared)
                }
            }
            result = y.map { Float($0) }
        }
        switch elementSize {
        case 1: run(UInt8.self)
        case 4: run(Int32.self)
        default: run(Int64.self)
        }
        #expect(result == reference)
    }
}
