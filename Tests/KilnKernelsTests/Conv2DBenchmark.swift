// Benchmark (tag .slow, runs only with KILN_SLOW=1): forward, backwardData and backwardWeights for every
// convolution shape of ResNet-18 at batch 32 (64×64 by default; KILN_BENCH_SIZE=112 for 112×112), printing
// GFLOP/s per shape (2 × multiply-adds, taps on padding counted, as in shared/bench/README.md) and the
// convolution time of one training step (each shape weighted by how often the network uses it).
//
// With KILN_BENCH_ALL=1 it also times every algorithm each shape supports (the data behind
// `ConvGeometry.algorithm(_:)`).
//
//   KILN_SLOW=1 swift test -c release --skip-build --filter Conv2DBenchmark

import Foundation
import KilnKernels
import Testing

/// One convolution of the network and how many times a forward pass uses it.
struct BenchConv {
    var name: String
    var g: ConvGeometry
    var uses: Int
}

/// ResNet-18's convolutions at batch `batch` and input size `size` (square).
func resnet18Convs(batch: Int, size: Int) -> [BenchConv] {
    func conv(_ name: String, _ hw: Int, _ cin: Int, _ cout: Int, _ k: Int, _ s: Int, _ uses: Int) -> BenchConv {
        let p = k / 2
        return BenchConv(name: name, g: ConvGeometry(
            batch: batch, inH: hw, inW: hw, inC: cin, outC: cout, kernelH: k, kernelW: k, strideH: s, strideW: s,
            padTop: p, padLeft: p, padBottom: p, padRight: p, dilationH: 1, dilationW: 1, groups: 1), uses: uses)
    }
    // Spatial sizes after the stem and max pool (stride 2 each, padded) and after each stride-2 stage.
    func half(_ n: Int) -> Int { (n - 1) / 2 + 1 }
    let s1 = half(half(size)), s2 = half(s1), s3 = half(s2), s4 = half(s3)
    return [
        conv("stem 7x7/2 3→64 @\(size)", size, 3, 64, 7, 2, 1),
        conv("3x3 64→64 @\(s1)", s1, 64, 64, 3, 1, 4),
        conv("3x3/2 64→128 @\(s1)", s1, 64, 128, 3, 2, 1),
        conv("1x1/2 64→128 @\(s1)", s1, 64, 128, 1, 2, 1),
        conv("3x3 128→128 @\(s2)", s2, 128, 128, 3, 1, 3),
        conv("3x3/2 128→256 @\(s2)", s2, 128, 256, 3, 2, 1),
        conv("1x1/2 128→256 @\(s2)", s2, 128, 256, 1, 2, 1),
        conv("3x3 256→256 @\(s3)", s3, 256, 256, 3, 1, 3),
        conv("3x3/2 256→512 @\(s3)", s3, 256, 512, 3, 2, 1),
        conv("1x1/2 256→512 @\(s3)", s3, 256, 512, 1, 2, 1),
        conv("3x3 512→512 @\(s4)", s4, 512, 512, 3, 1, 3),
    ]
}

extension ConvGeometry {
    /// 1×1 convolutions have a single sensible algorithm family; the comparison skips them.
    var isPointwise1x1: Bool { kernelH == 1 && kernelW == 1 }
}

/// Median and best wall time of `body` over `repeats` runs after one warm-up, in seconds.
func timings(repeats: Int, _ body: () -> Void) -> (median: Double, best: Double) {
    body()
    var times: [Double] = []
    for _ in 0..<repeats {
        let start = DispatchTime.now().uptimeNanoseconds
        body()
        times.append(Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9)
    }
    times.sort()
    return (times[times.count / 2], times[0])
}

@Suite("Conv2DBenchmark", .tags(.slow), .enabled(if: slowTestsEnabled))
struct Conv2DBenchmark {
    @Test("ResNet-18 convolution shapes, batch 32")
    func resnet18() {
        let size = Int(ProcessInfo.processInfo.environment["KILN_BENCH_SIZE"] ?? "") ?? 64
        let pool = ThreadPool.shared
        print("ResNet-18 convolutions, batch 32, \(size)×\(size), \(pool.threadCount) threads, BLAS \(BLASThreads.count)")
        printGemmCalibration()
        print("shape".padding(toLength: 26, withPad: " ", startingAt: 0)
              + "  GFLOP  median ms (GF/s): fwd      bwdData         bwdW        algorithm")
        var stepSeconds = 0.0, bestStepSeconds = 0.0, stepFlops = 0.0
        for conv in resnet18Convs(batch: 32, size: size) {
            let g = conv.g
            let x = randomFloats(g.inputCount, seed: 1), w = randomFloats(g.weightCount, seed: 2)
            let dy = randomFloats(g.outputCount, seed: 3)
            var y = [Float](repeating: 0, count: g.outputCount), dx = [Float](repeating: 0, count: g.inputCount)
            var dw = [Float](repeating: 0, count: g.weightCount)
            let scratchCount = max(g.scratchFloats(.forward), g.scratchFloats(.backwardData),
                                   g.scratchFloats(.backwardWeights), 1)
            var scratch = [Float](repeating: 0, count: scratchCount)
            let flops = 2.0 * Double(g.forwardMACs)
            let times = scratch.withUnsafeMutableBufferPointer { s in
                let sp = s.baseAddress
                let repeats = flops < 1e9 ? 9 : 5
                let forward = timings(repeats: repeats) {
                    Conv2D.forward(x: x, w: w, y: &y, geometry: g, scratch: sp, pool: pool)
                }
                let data = timings(repeats: repeats) {
                    Conv2D.backwardData(dy: dy, w: w, dx: &dx, geometry: g, scratch: sp, pool: pool)
                }
                let weights = timings(repeats: repeats) {
                    Conv2D.backwardWeights(x: x, dy: dy, dw: &dw, geometry: g, scratch: sp, pool: pool)
                }
                return [forward, data, weights]
            }
            func cell(_ t: Double) -> String {
                String(format: "%7.2f (%5.1f)", t * 1e3, flops / t * 1e-9)
            }
            print(conv.name.padding(toLength: 26, withPad: " ", startingAt: 0)
                  + String(format: " %6.3f ", flops * 1e-9) + cell(times[0].median) + " " + cell(times[1].median)
                  + " " + cell(times[2].median) + "  ×\(conv.uses) \(g.algorithm(.forward))")
            // The stem's input gradient is not needed in training.
            let needsData = !conv.name.hasPrefix("stem")
            stepSeconds += Double(conv.uses)
                * (times[0].median + times[2].median + (needsData ? times[1].median : 0))
            bestStepSeconds += Double(conv.uses) * (times[0].best + times[2].best + (needsData ? times[1].best : 0))
            stepFlops += flops * Double(conv.uses) * (needsData ? 3 : 2)
        }
        print(String(format: "convolutions per training step: %.1f ms median (%.1f ms best), %.2f GFLOP, %.1f GFLOP/s",
                     stepSeconds * 1e3, bestStepSeconds * 1e3, stepFlops * 1e-9, stepFlops / stepSeconds * 1e-9))
        #expect(stepSeconds > 0)
        if ProcessInfo.processInfo.environment["KILN_BENCH_ALL"] == "1" { compareAlgorithms(size: size) }
    }

    /// sgemm rates right now, to read the table against: the machine is shared and its speed drifts.
    func printGemmCalibration() {
        for (m, n, k) in [(8192, 64, 576), (1024, 1024, 1024)] {
            let a = randomFloats(m * k, seed: 7), b = randomFloats(n * k, seed: 8)
            var c = [Float](repeating: 0, count: m * n)
            let t = timings(repeats: 7) {
                Gemm.sgemm(transA: false, transB: true, m: m, n: n, k: k, alpha: 1, a: a, lda: k, b: b, ldb: k,
                           beta: 0, c: &c, ldc: n)
            }
            print(String(format: "calibration: sgemm %d×%d×%d %.1f GFLOP/s median, %.1f best", m, n, k,
                         2.0 * Double(m * n * k) / t.median * 1e-9, 2.0 * Double(m * n * k) / t.best * 1e-9))
        }
    }

    /// Best-of-7 times of every supported algorithm, interleaved so machine load affects all alike.
    func compareAlgorithms(size: Int) {
        print("algorithms (ms fwd / bwdData / bwdWeights, best of 7; * = default)")
        let candidates: [(String, ConvAlgorithm)] = [("im2col", .im2col), ("wino2", .winograd(tile: 2)),
                                                     ("wino4", .winograd(tile: 4)), ("perPixel", .perPixel)]
        for conv in resnet18Convs(batch: 32, size: size) where !conv.g.isPointwise1x1 {
            let g = conv.g
            let algorithms = candidates.filter { g.supports($0.1) }
            let x = randomFloats(g.inputCount, seed: 1), w = randomFloats(g.weightCount, seed: 2)
            let dy = randomFloats(g.outputCount, seed: 3)
            var y = [Float](repeating: 0, count: g.outputCount), dx = [Float](repeating: 0, count: g.inputCount)
            var dw = [Float](repeating: 0, count: g.weightCount)
            let scratchCount = algorithms.map { a in
                [ConvPass.forward, .backwardData, .backwardWeights].map { g.scratchFloats($0, algorithm: a.1) }.max() ?? 0
            }.max() ?? 0
            var scratch = [Float](repeating: 0, count: max(scratchCount, 1))
            var best = [[Double]](repeating: [.infinity, .infinity, .infinity], count: algorithms.count)
            scratch.withUnsafeMutableBufferPointer { s in
                let sp = s.baseAddress
                func time(_ body: () -> Void) -> Double {
                    let start = DispatchTime.now().uptimeNanoseconds
                    body()
                    return Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
                }
                for _ in 0..<7 {
                    for (j, (_, a)) in algorithms.enumerated() {
                        best[j][0] = min(best[j][0], time {
                            Conv2D.forward(x: x, w: w, y: &y, geometry: g, algorithm: a, scratch: sp, pool: .shared)
                        })
                        best[j][1] = min(best[j][1], time {
                            Conv2D.backwardData(dy: dy, w: w, dx: &dx, geometry: g, algorithm: a, scratch: sp,
                                                pool: .shared)
                        })
                        best[j][2] = min(best[j][2], time {
                            Conv2D.backwardWeights(x: x, dy: dy, dw: &dw, geometry: g, algorithm: a, scratch: sp,
                                                   pool: .shared)
                        })
                    }
                }
            }
            var line = conv.name.padding(toLength: 26, withPad: " ", startingAt: 0)
            for (j, (name, a)) in algorithms.enumerated() {
                let mark = a == g.algorithm(.forward) ? "*" : " "
                line += String(format: " %@%@ %.2f/%.2f/%.2f", mark, name, best[j][0] * 1e3, best[j][1] * 1e3,
                               best[j][2] * 1e3)
            }
            print(line)
        }
    }
}
