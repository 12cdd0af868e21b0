// ThreadPool: coverage of every index exactly once, nested and concurrent calls, chunking, many calls in a
// loop without heap allocation, and the BLAS thread-count wrapper.

import Foundation
import KilnKernels
import Synchronization
import Testing

@Suite("ThreadPool")
struct ThreadPoolTests {
    @Test("every index runs exactly once", arguments: [1, 2, 3, 5])
    func everyIndexOnce(threads: Int) {
        let pool = ThreadPool(threadCount: threads)
        defer { pool.shutdown() }
        #expect(pool.threadCount == threads)
        for count in [0, 1, 2, 7, 64, 1000, 4097] {
            var visits = [Int](repeating: 0, count: count)
            let total = Atomic<Int>(0)
            visits.withUnsafeMutableBufferPointer { v in
                pool.parallelFor(count) { i in
                    v[i] += 1
                    total.add(1, ordering: .relaxed)
                }
            }
            #expect(visits.allSatisfy { $0 == 1 }, "count \(count)")
            let ran = total.load(ordering: .relaxed)
            #expect(ran == count)
        }
    }

    @Test("the caller and a worker both take part")
    func usesSeveralThreads() {
        let pool = ThreadPool(threadCount: 2)
        defer { pool.shutdown() }
        // Whichever thread runs index 0 waits until another thread has run index 1: only possible with two.
        let seenOne = Atomic<Bool>(false)
        let finished = Atomic<Int>(0)
        pool.parallelFor(2) { i in
            if i == 1 {
                seenOne.store(true, ordering: .releasing)
            } else {
                let deadline = Date().addingTimeInterval(5)
                while !seenOne.load(ordering: .acquiring) && Date() < deadline { sched_yield() }
            }
            finished.add(1, ordering: .relaxed)
        }
        let sawOne = seenOne.load(ordering: .relaxed), ran = finished.load(ordering: .relaxed)
        #expect(sawOne)
        #expect(ran == 2)
    }

    @Test("nested calls run serially inside a body")
    func nested() {
        let pool = ThreadPool(threadCount: 3)
        defer { pool.shutdown() }
        var grid = [Int](repeating: 0, count: 13 * 11)
        grid.withUnsafeMutableBufferPointer { g in
            pool.parallelFor(13) { i in
                pool.parallelFor(11) { j in g[i * 11 + j] += 1 }
            }
        }
        #expect(grid.allSatisfy { $0 == 1 })
    }

    @Test("concurrent callers each get a complete job")
    func concurrentCallers() {
        let pool = ThreadPool(threadCount: 2)
        defer { pool.shutdown() }
        let sums = UnsafeMutablePointer<Int>.allocate(capacity: 4)
        defer { sums.deallocate() }
        sums.initialize(repeating: 0, count: 4)
        DispatchQueue.concurrentPerform(iterations: 4) { caller in
            for _ in 0..<200 {
                let sum = Atomic<Int>(0)
                pool.parallelFor(100) { i in sum.add(i, ordering: .relaxed) }
                let jobSum = sum.load(ordering: .relaxed)
                sums[caller] += jobSum
            }
        }
        for caller in 0..<4 { #expect(sums[caller] == 200 * 4950) }
    }

    @Test("parallelChunks covers the range with chunks of at least minChunk")
    func chunks() {
        let pool = ThreadPool(threadCount: 2)
        defer { pool.shutdown() }
        for (count, minChunk) in [(0, 4), (3, 4), (10, 4), (1000, 7), (100_003, 1000)] {
            var visits = [Int](repeating: 0, count: count)
            let smallest = Atomic<Int>(Int.max)
            visits.withUnsafeMutableBufferPointer { v in
                pool.parallelChunks(count, minChunk: minChunk) { range in
                    smallest.min(range.count, ordering: .relaxed)
                    for i in range { v[i] += 1 }
                }
            }
            #expect(visits.allSatisfy { $0 == 1 })
            let smallestChunk = smallest.load(ordering: .relaxed)
            if count >= minChunk { #expect(smallestChunk >= minChunk) }
        }
    }

    @Test("10k calls in a loop: correct sums and no retained memory")
    func manyCalls() throws {
        let pool = ThreadPool(threadCount: 2)
        defer { pool.shutdown() }
        let buffer = UnsafeMutablePointer<Int>.allocate(capacity: 64)
        defer { buffer.deallocate() }
        buffer.initialize(repeating: 0, count: 64)
        for _ in 0..<10_000 {
            pool.parallelFor(64, buffer) { buffer, i in buffer[i] += i }
        }
        for i in 0..<64 { #expect(buffer[i] == 10_000 * i) }

        // No memory is retained per call. (mallinfo2 cannot see transient small allocations, which glibc serves
        // from its thread cache; those were measured with a malloc uprobe instead — see ThreadPool.swift.)
        try #require(mallocBytesInUse() != nil, "mallinfo2 unavailable: cannot measure the heap")
        var smallestGrowth = Int.max
        for _ in 0..<20 {
            let before = mallocBytesInUse() ?? 0
            for _ in 0..<500 { pool.parallelFor(8, buffer) { buffer, i in buffer[i] += 1 } }
            smallestGrowth = min(smallestGrowth, (mallocBytesInUse() ?? 0) - before)
        }
        #expect(smallestGrowth <= 0, "500 calls grew the heap by \(smallestGrowth) bytes")
    }

    @Test("shared pool and BLAS thread count")
    func sharedAndBLAS() {
        #expect(ThreadPool.shared.threadCount >= 1)
        let original = BLASThreads.count
        #expect(original >= 1)
        BLASThreads.set(1)
        #expect(BLASThreads.count == 1)
        BLASThreads.set(original)
        #expect(BLASThreads.count == original)
    }
}

/// Serialized: `detectsCapture` raises the process-wide counter that the other test checks.
@Suite("Kernel jobs", .serialized)
struct KernelJobTests {
    /// Every kernel hands the pool capture-free bodies (inputs go through `args`), which is what keeps its
    /// calls allocation-free; a body that captured a variable would be counted here.
    @Test("kernels never give the pool a capturing body")
    func captureFree() {
        let before = ThreadPool.capturingJobCount
        let g = ConvGeometry(batch: 4, inH: 12, inW: 12, inC: 16, outC: 16, kernelH: 3, kernelW: 3, strideH: 1,
                             strideW: 1, padTop: 1, padLeft: 1, padBottom: 1, padRight: 1, dilationH: 1,
                             dilationW: 1, groups: 1)
        let x = randomFloats(g.inputCount, seed: 1), w = randomFloats(g.weightCount, seed: 2)
        let dy = randomFloats(g.outputCount, seed: 3)
        for algorithm in [ConvAlgorithm.im2col, .winograd(tile: 4), .winograd(tile: 2), .perPixel] {
            _ = runFastConv(g, x: x, w: w, dy: dy, algorithm: algorithm)
        }
        let big = randomFloats(1 << 16, seed: 4)
        var out = [Float](repeating: 0, count: 1 << 16)
        var indices = [Int64](repeating: 0, count: 1 << 12)
        Reduce.sum(x: big, shape: [16, 64, 64], axes: [0, 1], y: &out, pool: .shared)
        Reduce.sum(x: big, shape: [1 << 16], axes: [0], y: &out, pool: .shared)
        Reduce.max(x: big, shape: [16, 64, 64], axes: [0, 2], y: &out, pool: .shared)
        Reduce.argmax(x: big, shape: [16, 4096], axis: 1, y: &indices)
        Transpose.permute(x: big, shape: [4, 16, 16, 64], permutation: [0, 3, 1, 2], y: &out, pool: .shared)
        let pg = Pool2DGeometry(batch: 4, inH: 16, inW: 16, channels: 64, kernelH: 3, kernelW: 3, strideH: 2,
                                strideW: 2, padTop: 1, padLeft: 1, padBottom: 1, padRight: 1)
        var pooled = [Float](repeating: 0, count: pg.outputCount), grad = [Float](repeating: 0, count: pg.inputCount)
        Pooling.maxPoolForward(x: big, y: &pooled, geometry: pg, pool: .shared)
        Pooling.maxPoolBackward(x: big, dy: pooled, dx: &grad, geometry: pg, pool: .shared)
        Pooling.maxPoolGather(x: big, g: big, out: &pooled, geometry: pg, pool: .shared)
        Pooling.avgPoolForward(x: big, y: &pooled, geometry: pg, countIncludePad: true, pool: .shared)
        Pooling.avgPoolBackward(dy: pooled, dx: &grad, geometry: pg, countIncludePad: true, pool: .shared)
        let ug = UpsampleGeometry(batch: 2, inH: 8, inW: 8, channels: 32, outH: 16, outW: 16)
        Upsample.nearestForward(x: big, y: &out, geometry: ug, pool: .shared)
        Upsample.nearestBackward(dy: big, dx: &out, geometry: ug, pool: .shared)
        Upsample.bilinearForward(x: big, y: &out, geometry: ug, pool: .shared)
        Upsample.bilinearBackward(dy: big, dx: &out, geometry: ug, pool: .shared)
        RowKernels.softmaxRows(x: big, y: &out, rows: 64, cols: 1000, pool: .shared)
        RowKernels.logSoftmaxRows(x: big, y: &out, rows: 64, cols: 1000, pool: .shared)
        var stats = [Float](repeating: 0, count: 128)
        stats.withUnsafeMutableBufferPointer { s in
            BatchNormKernels.channelMeanVar(x: big, rows: 1024, channels: 64, mean: s.baseAddress!,
                                            variance: s.baseAddress! + 64, pool: .shared)
        }
        BatchNormKernels.scaleShift(x: big, rows: 1024, channels: 64, scale: big, shift: big, y: &out, relu: true,
                                    pool: .shared)
        Gemm.sgemm(transA: false, transB: false, m: 200, n: 150, k: 300, alpha: 1, a: big, lda: 300, b: big,
                   ldb: 150, beta: 0, c: &out, ldc: 150)
        let after = ThreadPool.capturingJobCount
        #expect(after == before)
    }

    @Test("the args form counts a capturing body")
    func detectsCapture() {
        let pool = ThreadPool(threadCount: 2)
        defer { pool.shutdown() }
        let before = ThreadPool.capturingJobCount
        let sum = Atomic<Int>(0)
        var offset = 3
        offset += 1
        pool.parallelFor(8, 0) { _, i in sum.add(i + offset, ordering: .relaxed) }
        let total = sum.load(ordering: .relaxed), after = ThreadPool.capturingJobCount
        #expect(total == 28 + 8 * 4)
        #expect(after > before)
    }
}
