// Benchmark (tag .slow, runs only with KILN_SLOW=1): every convolution shape of ResNet-50 inference at batch 8,
// 224×224 (KILN_BENCH_BATCH / KILN_BENCH_SIZE to change), timed three ways: the convolution alone, the convolution
// followed by its BN/residual/ReLU epilogue as a separate pass over the output (what the unfused graph runs), and
// the convolution with the epilogue fused. Times are the calling thread's CPU time on a one-thread pool (best of
// 9 interleaved rounds), so that the other load of the shared 2-core machine does not decide; KILN_BENCH_THREADS=2 times wall clock
// on the shared pool instead.
//
//   KILN_SLOW=1 swift test -c release --skip-build --filter ConvEpilogueBenchmark
//
// `gemms` times the forward GEMMs alone on Kiln's PackedGemm and on OpenBLAS, the data behind
// `ConvGeometry.forwardUsesPackedGemm`.

import Foundation
import KilnKernels
import Testing

/// ResNet-50's convolutions (torchvision v1.5: stride on the 3×3), with how many times a forward pass uses each
/// and whether its epilogue has a residual and a ReLU.
func resnet50Convs(batch: Int, size: Int) -> [(conv: BenchConv, residual: Bool, relu: Bool)] {
    func conv(_ name: String, _ hw: Int, _ cin: Int, _ cout: Int, _ k: Int, _ s: Int, _ uses: Int,
              residual: Bool = false, relu: Bool = true) -> (BenchConv, Bool, Bool) {
        let p = k / 2
        let g = ConvGeometry(batch: batch, inH: hw, inW: hw, inC: cin, outC: cout, kernelH: k, kernelW: k,
                             strideH: s, strideW: s, padTop: p, padLeft: p, padBottom: p, padRight: p,
                             dilationH: 1, dilationW: 1, groups: 1)
        return (BenchConv(name: name, g: g, uses: uses), residual, relu)
    }
    func half(_ n: Int) -> Int { (n - 1) / 2 + 1 }
    let s1 = half(half(size)), s2 = half(s1), s3 = half(s2), s4 = half(s3)
    var list = [conv("stem 7x7/2 3→64", size, 3, 64, 7, 2, 1)]
    let stages = [(s1, 64, 3, 1), (s2, 128, 4, 2), (s3, 256, 6, 2), (s4, 512, 3, 2)]
    var inC = 64, inHW = s1
    for (hw, width, blocks, stride) in stages {
        let out = width * 4
        list.append(conv("1x1 \(inC)→\(width) @\(inHW)", inHW, inC, width, 1, 1, 1))
        list.append(conv("3x3/\(stride) \(width)→\(width) @\(inHW)", inHW, width, width, 3, stride, 1))
        list.append(conv("down 1x1/\(stride) \(inC)→\(out) @\(inHW)", inHW, inC, out, 1, stride, 1, relu: false))
        list.append(conv("1x1 \(width)→\(out) +res @\(hw)", hw, width, out, 1, 1, blocks, residual: true))
        if blocks > 1 {
            list.append(conv("1x1 \(out)→\(width) @\(hw)", hw, out, width, 1, 1, blocks - 1))
            list.append(conv("3x3 \(width)→\(width) @\(hw)", hw, width, width, 3, 1, blocks - 1))
        }
        inC = out
        inHW = hw
    }
    return list
}

/// The knobs every benchmark here reads: KILN_BENCH_BATCH (8), KILN_BENCH_SIZE (224) and KILN_BENCH_THREADS (1). With
/// one thread the benchmark runs on its own one-thread pool and times CPU time; with more, on the shared pool in wall
/// time. Call `finish()` when done.
struct BenchSettings {
    let batch, size, threads: Int
    let pool: ThreadPool

    init() {
        let env = ProcessInfo.processInfo.environment
        batch = Int(env["KILN_BENCH_BATCH"] ?? "") ?? 8
        size = Int(env["KILN_BENCH_SIZE"] ?? "") ?? 224
        threads = Int(env["KILN_BENCH_THREADS"] ?? "") ?? 1
        pool = threads == 1 ? ThreadPool(threadCount: 1) : ThreadPool.shared
    }

    /// How times are taken, for the header line.
    var timing: String { threads == 1 ? "1 thread, CPU time" : "\(pool.threadCount) threads, wall time" }

    /// Stops the benchmark's own pool (the shared one lives on).
    func finish() { if threads == 1 { pool.shutdown() } }
}

@Suite("ConvEpilogueBenchmark", .tags(.slow), .enabled(if: slowTestsEnabled))
struct ConvEpilogueBenchmark {
    @Test("ResNet-50 inference convolutions: separate vs fused epilogue")
    func resnet50() {
        let bench = BenchSettings()
        defer { bench.finish() }
        let (batch, size, threads, pool) = (bench.batch, bench.size, bench.threads, bench.pool)
        print("ResNet-50 inference convolutions, batch \(batch), \(size)×\(size), "
              + bench.timing)
        print("shape".padding(toLength: 30, withPad: " ", startingAt: 0)
              + " uses  GFLOP   conv ms (GF/s)   +separate ms   fused ms   saved  algorithm")
        var totals = [0.0, 0.0, 0.0]
        for (conv, residual, relu) in resnet50Convs(batch: batch, size: size) {
            let g = conv.g
            let x = randomFloats(g.inputCount, seed: 1), w = randomFloats(g.weightCount, seed: 2, low: -0.1, high: 0.1)
            let scale = randomFloats(g.outC, seed: 3, low: 0.5, high: 1.5), shift = randomFloats(g.outC, seed: 4)
            let skip = randomFloats(g.outputCount, seed: 5)
            var y = [Float](repeating: 0, count: g.outputCount)
            var scratch = [Float](repeating: 0, count: max(g.scratchFloats(.forward), 1))
            let times: [Double] = scale.withUnsafeBufferPointer { s in
                shift.withUnsafeBufferPointer { b in
                    skip.withUnsafeBufferPointer { r in
                        y.withUnsafeMutableBufferPointer { out in
                            scratch.withUnsafeMutableBufferPointer { sp in
                                let yp = out.baseAddress!, scratchPointer = sp.baseAddress
                                let epilogue = GemmEpilogue(output: yp, channels: g.outC, scale: s.baseAddress,
                                                            shift: b.baseAddress,
                                                            residual: residual ? r.baseAddress : nil, relu: relu)
                                let variants: [() -> Void] = [{
                                    Conv2D.forward(x: x, w: w, y: yp, geometry: g, scratch: scratchPointer, pool: pool)
                                }, {
                                    Conv2D.forward(x: x, w: w, y: yp, geometry: g, scratch: scratchPointer, pool: pool)
                                    pool.parallelChunks(g.outPixels, minChunk: 64, (epilogue, yp, g.outC)) { a, rows in
                                        a.0.apply(a.1 + rows.lowerBound * a.2, ldc: a.2, rows: rows.count, columns: a.2)
                                    }
                                }, {
                                    Conv2D.forward(x: x, w: w, y: yp, geometry: g, scratch: scratchPointer, pool: pool,
                                                   epilogue: epilogue)
                                }]
                                return Self.best(threads, variants)
                            }
                        }
                    }
                }
            }
            let flops = 2.0 * Double(g.forwardMACs)
            for i in 0..<3 { totals[i] += times[i] * Double(conv.uses) }
            print(conv.name.padding(toLength: 30, withPad: " ", startingAt: 0)
                  + String(format: " ×%-3d %6.3f %7.2f (%5.1f) %10.2f %10.2f %6.1f%%  ", conv.uses, flops * 1e-9,
                           times[0] * 1e3, flops / times[0] * 1e-9, times[1] * 1e3, times[2] * 1e3,
                           (1 - times[2] / times[1]) * 100)
                  + "\(g.algorithm(.forward))")
        }
        print(String(format: "per forward pass: conv %.1f ms, conv + separate epilogue %.1f ms, fused %.1f ms (%.1f%% saved)",
                     totals[0] * 1e3, totals[1] * 1e3, totals[2] * 1e3, (1 - totals[2] / totals[1]) * 100))
        #expect(totals[2] > 0)
    }

    @Test("ResNet-50 inference convolutions: every algorithm (KILN_BENCH_PASS=data or weights for the backward passes)")
    func algorithms() {
        let bench = BenchSettings()
        defer { bench.finish() }
        let (batch, size, threads, pool) = (bench.batch, bench.size, bench.threads, bench.pool)
        let passName = ProcessInfo.processInfo.environment["KILN_BENCH_PASS"]
        let pass: ConvPass = passName == "data" ? .backwardData : passName == "weights" ? .backwardWeights : .forward
        print("\(pass) ms per algorithm (best of 9 interleaved; * = default), batch \(batch), \(size)×\(size), "
              + bench.timing)
        let candidates: [(String, ConvAlgorithm)] = [("pointwise", .pointwise), ("im2col", .im2col),
                                                     ("wino2", .winograd(tile: 2)), ("wino4", .winograd(tile: 4)),
                                                     ("perPixel", .perPixel)]
        for (conv, _, _) in resnet50Convs(batch: batch, size: size) {
            let g = conv.g
            let algorithms = candidates.filter { g.supports($0.1) }
            if algorithms.count < 2 { continue }
            let x = randomFloats(g.inputCount, seed: 1), w = randomFloats(g.weightCount, seed: 2)
            let dy = randomFloats(g.outputCount, seed: 3)
            var y = [Float](repeating: 0, count: g.outputCount), dx = [Float](repeating: 0, count: g.inputCount)
            var dw = [Float](repeating: 0, count: g.weightCount)
            let scratchCount = algorithms.map { g.scratchFloats(pass, algorithm: $0.1) }.max() ?? 0
            var scratch = [Float](repeating: 0, count: max(scratchCount, 1))
            let times: [Double] = scratch.withUnsafeMutableBufferPointer { sp in
                let s = sp.baseAddress
                return Self.best(threads, algorithms.map { _, a in {
                    switch pass {
                    case .forward:
                        Conv2D.forward(x: x, w: w, y: &y, geometry: g, algorithm: a, scratch: s, pool: pool)
                    case .backwardData:
                        Conv2D.backwardData(dy: dy, w: w, dx: &dx, geometry: g, algorithm: a, scratch: s, pool: pool)
                    case .backwardWeights:
                        Conv2D.backwardWeights(x: x, dy: dy, dw: &dw, geometry: g, algorithm: a, scratch: s, pool: pool)
                    }
                } })
            }
            let flops = 2.0 * Double(g.forwardMACs)
            var line = conv.name.padding(toLength: 30, withPad: " ", startingAt: 0) + String(format: " %6.3f", flops * 1e-9)
            for (j, (name, a)) in algorithms.enumerated() {
                line += String(format: " %@%@ %.2f", a == g.algorithm(pass) ? "*" : " ", name, times[j] * 1e3)
            }
            print(line)
        }
    }

    @Test("ResNet-50 inference GEMMs: PackedGemm against OpenBLAS, each with the epilogue")
    func gemms() {
        let bench = BenchSettings()
        defer { bench.finish() }
        let (batch, size, threads, pool) = (bench.batch, bench.size, bench.threads, bench.pool)
        print("forward GEMM (one im2col tile for k×k layers) with BN scale/shift, residual and ReLU, ms (best of 11 "
              + "interleaved), batch \(batch), \(size)×\(size), "
              + bench.timing
              + "; * = the kernel Conv2D uses (ConvGeometry.forwardUsesPackedGemm)")
        var totals = [0.0, 0.0]
        for (conv, residual, relu) in resnet50Convs(batch: batch, size: size) {
            let g = conv.g
            if g.algorithm(.forward) != .pointwise && g.algorithm(.forward) != .im2col { continue }
            let m = g.forwardGEMMRows
            let n = g.outC, k = g.patchSize
            let a = randomFloats(m * k, seed: 1), w = randomFloats(n * k, seed: 2, low: -0.1, high: 0.1)
            let scale = randomFloats(n, seed: 3, low: 0.5, high: 1.5), shift = randomFloats(n, seed: 4)
            let skip = randomFloats(m * n, seed: 5)
            var c = [Float](repeating: 0, count: m * n), packed = [Float](repeating: 0, count: PackedGemm.packedFloats(n: n, k: k))
            let times: [Double] = scale.withUnsafeBufferPointer { s in shift.withUnsafeBufferPointer { b in
                skip.withUnsafeBufferPointer { r in c.withUnsafeMutableBufferPointer { out in
                    packed.withUnsafeMutableBufferPointer { p in
                        let cp = out.baseAddress!, pp = p.baseAddress!
                        let epilogue = GemmEpilogue(output: cp, channels: n, scale: s.baseAddress, shift: b.baseAddress,
                                                    residual: residual ? r.baseAddress : nil, relu: relu)
                        return Self.best(threads, rounds: 11, [{
                            PackedGemm.pack(transB: true, n: n, k: k, b: w, ldb: k, into: pp, pool: pool)
                            PackedGemm.multiply(m: m, n: n, k: k, a: a, lda: k, packed: pp, c: cp, ldc: n, pool: pool,
                                                epilogue: epilogue)
                        }, {
                            Gemm.sgemm(transA: false, transB: true, m: m, n: n, k: k, alpha: 1, a: a, lda: k, b: w,
                                       ldb: k, beta: 0, c: cp, ldc: n, pool: pool, epilogue: epilogue)
                        }])
                    } } } } }
            // An im2col layer runs one such GEMM per tile (the last one shorter).
            let usesPacked = g.forwardUsesPackedGemm, perPass = Double(conv.uses * g.outPixels) / Double(m)
            totals[0] += (usesPacked ? times[0] : times[1]) * perPass
            totals[1] += times[1] * perPass
            print(conv.name.padding(toLength: 30, withPad: " ", startingAt: 0)
                  + String(format: " %5d×%4d×%4d  %@PackedGemm %7.2f  %@OpenBLAS %7.2f  ratio %.2f", m, n, k,
                           usesPacked ? "*" : " ", times[0] * 1e3, usesPacked ? " " : "*", times[1] * 1e3,
                           times[0] / times[1]))
        }
        print(String(format: "per forward pass (× uses × tiles): the chosen kernels %.1f ms, OpenBLAS everywhere %.1f ms (%.3f×)",
                     totals[0] * 1e3, totals[1] * 1e3, totals[0] / totals[1]))
        #expect(totals[1] > 0)
    }

    /// Best time of each variant over `rounds` rounds that run the variants one after the other (so that a change
    /// in the machine's load affects all alike), after one warm-up run each: CPU time of the calling thread with
    /// one thread, else wall time.
    static func best(_ threads: Int, rounds: Int = 9, _ variants: [() -> Void]) -> [Double] {
        func now() -> Double {
            if threads == 1 {
                var t = timespec()
                clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
                return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
            }
            return Double(DispatchTime.now().uptimeNanoseconds) * 1e-9
        }
        for body in variants { body() }
        var best = [Double](repeating: .infinity, count: variants.count)
        for _ in 0..<rounds {
            for (i, body) in variants.enumerated() {
                let start = now()
                body()
                best[i] = min(best[i], now() - start)
            }
        }
        return best
    }
}
