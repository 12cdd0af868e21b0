// A persistent pool of worker threads for data-parallel kernels.
//
// Contract:
// - `parallelFor(count, body)` runs `body(i)` exactly once for every i in 0..<count and returns when all have run.
//   The calling thread takes part in the work. Indices are claimed dynamically, so a core that is briefly taken
//   by another process slows the loop down instead of stalling it.
// - Nothing is heap-allocated per call: the (non-escaping) body is published to the workers as a pointer to a
//   closure value on the caller's stack, and the job is described by three atomics.
// - One job at a time. A call made while a job is running (a nested call from inside a body, or a concurrent
//   call from another thread) runs serially on its own thread, so the pool can never deadlock.
// - Idle workers spin briefly (yielding the core) and then block on a condition variable, so they do not take
//   cores from OpenBLAS's own threads between our jobs. See `BLASThreads` for the division of labour.

import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A fixed set of worker threads that run data-parallel loops. Use `ThreadPool.shared`.
public final class ThreadPool: @unchecked Sendable {
    /// The process-wide pool: `KILN_THREADS` threads if set (≥ 1), else the active processor count.
    public static let shared = ThreadPool(threadCount: ThreadPool.defaultThreadCount())

    /// The number of threads that run a job, the calling thread included.
    public var threadCount: Int { workerCount + 1 }

    private let workerCount: Int

    // The current job. `ticket` packs (generation << 32) | nextIndex; workers claim an index with a
    // compare-and-swap that also checks the generation, so a late worker can never run a finished job's body.
    private let ticket = Atomic<UInt64>(0)
    private let jobCount = Atomic<Int>(0)
    private let jobBody = Atomic<UInt>(0)  // address of a `(Int) -> Void` value on the caller's stack
    private let completed = Atomic<Int>(0)
    private let busy = Atomic<Bool>(false)
    private let stopping = Atomic<Bool>(false)

    // Sleeping workers wait on `wake`; `sleepers` is guarded by `mutex`.
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let wake: UnsafeMutablePointer<pthread_cond_t>
    private var sleepers = 0
    private var threads: [pthread_t] = []

    private static let closedIndex: UInt64 = 0xFFFF_FFFF
    /// Polls of the ticket before an idle worker goes to sleep (each poll that finds nothing yields the core).
    private static let idleSpins = 256

    /// A pool that runs jobs on `threadCount` threads (the caller plus `threadCount - 1` workers).
    public init(threadCount: Int) {
        workerCount = max(threadCount, 1) - 1
        mutex = .allocate(capacity: 1)
        wake = .allocate(capacity: 1)
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(wake, nil)
        for _ in 0..<workerCount {
            let context = Unmanaged.passRetained(self).toOpaque()
            var thread = pthread_t()
            let rc = pthread_create(&thread, nil, { raw in
                guard let raw else { return nil }
                let pool = Unmanaged<ThreadPool>.fromOpaque(raw).takeRetainedValue()
                pool.workerLoop()
                return nil
            }, context)
            if rc == 0 {
                threads.append(thread)
            } else {
                Unmanaged<ThreadPool>.fromOpaque(context).release()
            }
        }
    }

    deinit {
        pthread_cond_destroy(wake)
        pthread_mutex_destroy(mutex)
        wake.deallocate()
        mutex.deallocate()
    }

    /// Stops and joins the workers. Only for pools created by tests; `shared` lives for the whole process.
    public func shutdown() {
        stopping.store(true, ordering: .sequentiallyConsistent)
        pthread_mutex_lock(mutex)
        pthread_cond_broadcast(wake)
        pthread_mutex_unlock(mutex)
        for thread in threads { pthread_join(thread, nil) }
        threads.removeAll()
    }

    static func defaultThreadCount() -> Int {
        if let text = getenv("KILN_THREADS"), let n = Int(String(cString: text)), n >= 1 { return n }
        return max(ProcessInfo.processInfo.activeProcessorCount, 1)
    }

    /// Runs `body(i)` once for each i in 0..<count, spread over the pool's threads; returns when all are done.
    public func parallelFor(_ count: Int, _ body: (Int) -> Void) {
        if count <= 0 { return }
        if count == 1 || workerCount == 0 || threads.isEmpty
            || !busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged {
            for i in 0..<count { body(i) }
            return
        }
        withoutActuallyEscaping(body) { escapable in
            var closure = escapable
            withUnsafeMutablePointer(to: &closure) { pointer in
                run(count: count, body: UInt(bitPattern: UnsafeMutableRawPointer(pointer)))
            }
        }
        busy.store(false, ordering: .releasing)
    }

    /// Splits 0..<count into contiguous ranges of at least `minChunk` indices (one range if count < 2·minChunk)
    /// and runs `body` on each range in parallel.
    public func parallelChunks(_ count: Int, minChunk: Int, _ body: (Range<Int>) -> Void) {
        if count <= 0 { return }
        let chunks = Swift.min(Swift.max(count / Swift.max(minChunk, 1), 1), threadCount * 4)
        if chunks == 1 { body(0..<count); return }
        parallelFor(chunks) { c in
            body(count * c / chunks ..< count * (c + 1) / chunks)
        }
    }

    // MARK: - Job protocol

    private func run(count: Int, body: UInt) {
        let generation = ticket.load(ordering: .relaxed) >> 32
        // Close the previous (finished) job before rewriting the fields, so a late worker that read the old
        // generation cannot pair it with the new fields.
        ticket.store(generation << 32 | Self.closedIndex, ordering: .releasing)
        completed.store(0, ordering: .relaxed)
        jobBody.store(body, ordering: .releasing)
        jobCount.store(count, ordering: .releasing)
        let newGeneration = (generation + 1) & 0xFFFF_FFFF
        ticket.store(newGeneration << 32, ordering: .sequentiallyConsistent)

        pthread_mutex_lock(mutex)
        if sleepers > 0 { pthread_cond_broadcast(wake) }
        pthread_mutex_unlock(mutex)

        claimAndRun(generation: newGeneration)
        var polls = 0
        while completed.load(ordering: .acquiring) < count {
            polls += 1
            if polls & 15 == 0 { sched_yield() }
        }
    }

    /// Claims indices of job `generation` until none are left; returns immediately if that job is over.
    private func claimAndRun(generation: UInt64) {
        let count = UInt64(jobCount.load(ordering: .acquiring))
        let address = jobBody.load(ordering: .acquiring)
        var current = ticket.load(ordering: .acquiring)
        while current >> 32 == generation && current & 0xFFFF_FFFF < count {
            let (exchanged, original) = ticket.compareExchange(
                expected: current, desired: current + 1, ordering: .acquiringAndReleasing)
            if !exchanged { current = original; continue }
            // The claim succeeded while `generation` was live, so the fields read above belong to it and
            // the caller is waiting for this index: its stack frame (and the closure) are alive.
            guard let raw = UnsafeRawPointer(bitPattern: address) else { return }
            Self.invoke(raw, Int(current & 0xFFFF_FFFF))
            completed.add(1, ordering: .releasing)
            current = ticket.load(ordering: .acquiring)
        }
    }

    /// Calls the published body. Not inlined so that any retain of the closure context taken for the call is
    /// released before the index is reported complete (`withoutActuallyEscaping` checks that on return).
    @inline(never)
    private static func invoke(_ raw: UnsafeRawPointer, _ index: Int) {
        raw.assumingMemoryBound(to: ((Int) -> Void).self).pointee(index)
    }

    private func workerLoop() {
        // Generation 0 is the pool's initial state; a worker that starts late still joins job 1.
        var seen: UInt64 = 0
        while true {
            var current = ticket.load(ordering: .acquiring)
            var polls = 0
            while current >> 32 == seen && polls < Self.idleSpins && !stopping.load(ordering: .relaxed) {
                sched_yield()
                polls += 1
                current = ticket.load(ordering: .acquiring)
            }
            if current >> 32 == seen {
                pthread_mutex_lock(mutex)
                sleepers += 1
                while ticket.load(ordering: .sequentiallyConsistent) >> 32 == seen
                    && !stopping.load(ordering: .relaxed) {
                    pthread_cond_wait(wake, mutex)
                }
                sleepers -= 1
                pthread_mutex_unlock(mutex)
                if stopping.load(ordering: .relaxed) { return }
                current = ticket.load(ordering: .acquiring)
            }
            if stopping.load(ordering: .relaxed) { return }
            seen = current >> 32
            claimAndRun(generation: seen)
        }
    }
}
