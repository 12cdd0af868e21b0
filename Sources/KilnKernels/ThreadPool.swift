// A persistent pool of worker threads for data-parallel kernels.
//
// Contract:
// - `parallelFor(count, body)` runs `body(i)` exactly once for every i in 0..<count and returns when all have run.
//   The calling thread takes part in the work. Indices are claimed dynamically, so a core that is briefly taken
//   by another process slows the loop down instead of stalling it.
// - The job is published to the workers as the address of a record on the caller's stack plus three atomics.
//   The form `parallelFor(count, args) { args, i in … }` allocates nothing when the body captures nothing (it
//   gets what it needs through `args`): kernels use it. The plain closure form `parallelFor(count) { i in … }`
//   costs one small heap allocation per call when its closure captures variables — `withoutActuallyEscaping`
//   boxes a capturing closure, and Swift has no allocation-free way to hand a non-escaping closure to another
//   thread. Measured by counting glibc malloc calls with a uprobe (`perf probe -x libc.so.6 malloc`, then
//   `perf stat -e probe_libc:malloc` over N and N + 100 calls): 1 per call for a capturing closure, 0 for the
//   args form, and 0 per call for every kernel in this module. `capturingJobCount` catches a kernel whose
//   args-form body captures by mistake.
// - One job at a time. A call made while a job is running (a nested call from inside a body, or a concurrent
//   call from another thread) runs serially on its own thread, so the pool can never deadlock.
// - Idle workers spin briefly (yielding the core) and then block on a condition variable, so an idle pool
//   costs nothing and leaves the cores to other processes. GEMMs run on this pool too (see `BLASThreads`).

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

    @usableFromInline let workerCount: Int

    // The current job. `ticket` packs (generation << 32) | nextIndex; workers claim an index with a
    // compare-and-swap that also checks the generation, so a late worker can never run a finished job's body.
    private let ticket = Atomic<UInt64>(0)
    private let jobCount = Atomic<Int>(0)
    private let jobBody = Atomic<UInt>(0)  // address of the job's `JobRecord` on the caller's stack
    private let completed = Atomic<Int>(0)
    @usableFromInline let busy = Atomic<Bool>(false)
    private let stopping = Atomic<Bool>(false)

    // Sleeping workers wait on `wake`; `sleepers` is guarded by `mutex`.
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let wake: UnsafeMutablePointer<pthread_cond_t>
    private var sleepers = 0
    @usableFromInline var threads: [pthread_t] = []

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
    /// Allocates one small box per call if `body` captures variables (see the file header); kernels use the
    /// `args` form instead.
    public func parallelFor(_ count: Int, _ body: (Int) -> Void) {
        withoutActuallyEscaping(body) { escapable in
            parallelFor(count, IndexClosureBox(body: escapable)) { box, i in box.body(i) }
        }
    }

    /// Runs `body(args, i)` once for each i in 0..<count in parallel. Allocation-free when `body` captures
    /// nothing: pass everything it needs in `args` (a tuple of pointers and sizes, typically).
    @inlinable
    public func parallelFor<Args>(_ count: Int, _ args: Args, _ body: (Args, Int) -> Void) {
        if count <= 0 { return }
        if !beginJob(count) {
            for i in 0..<count { body(args, i) }
            return
        }
        withoutActuallyEscaping(body) { escapable in
            withUnsafePointer(to: Job(args: args, body: escapable)) { job in
                Self.noteIfCapturing(job: UnsafeRawPointer(job), bodyOffset: MemoryLayout<Args>.size)
                let record = JobRecord(context: UnsafeRawPointer(job)) { context, index in
                    let job = context.assumingMemoryBound(to: Job<Args>.self)
                    job.pointee.body(job.pointee.args, index)
                }
                withUnsafePointer(to: record) { run(count: count, record: UInt(bitPattern: $0)) }
            }
        }
        endJob()
    }

    /// Splits 0..<count into contiguous ranges of at least `minChunk` indices (one range if count < 2·minChunk)
    /// and runs `body` on each range in parallel. Allocates like the closure form of `parallelFor`.
    public func parallelChunks(_ count: Int, minChunk: Int, _ body: (Range<Int>) -> Void) {
        withoutActuallyEscaping(body) { escapable in
            parallelChunks(count, minChunk: minChunk, RangeClosureBox(body: escapable)) { box, range in box.body(range) }
        }
    }

    /// `parallelChunks` with the body's inputs passed in `args`; allocation-free when `body` captures nothing.
    @inlinable
    public func parallelChunks<Args>(
        _ count: Int, minChunk: Int, _ args: Args, _ body: (Args, Range<Int>) -> Void
    ) {
        if count <= 0 { return }
        let chunks = chunkCount(count, minChunk: minChunk)
        if chunks == 1 {
            body(args, 0..<count)
            return
        }
        if !beginJob(chunks) {
            for c in 0..<chunks { body(args, count * c / chunks ..< count * (c + 1) / chunks) }
            return
        }
        withoutActuallyEscaping(body) { escapable in
            withUnsafePointer(to: ChunkedJob(args: args, body: escapable, count: count, chunks: chunks)) { job in
                Self.noteIfCapturing(job: UnsafeRawPointer(job), bodyOffset: MemoryLayout<Args>.size)
                let record = JobRecord(context: UnsafeRawPointer(job)) { context, c in
                    let job = context.assumingMemoryBound(to: ChunkedJob<Args>.self)
                    let count = job.pointee.count, chunks = job.pointee.chunks
                    job.pointee.body(job.pointee.args, count * c / chunks ..< count * (c + 1) / chunks)
                }
                withUnsafePointer(to: record) { run(count: chunks, record: UInt(bitPattern: $0)) }
            }
        }
        endJob()
    }

    /// Number of ranges `parallelChunks` uses: up to 4 per thread, each at least minChunk long.
    @inlinable
    func chunkCount(_ count: Int, minChunk: Int) -> Int {
        Swift.min(Swift.max(count / Swift.max(minChunk, 1), 1), threadCount * 4)
    }

    // MARK: - Job protocol

    /// Takes the pool for a job of `count` indices; false means "run it serially on the calling thread"
    /// (a single index, no workers, or the pool already busy — a nested or concurrent call).
    @usableFromInline
    func beginJob(_ count: Int) -> Bool {
        if count == 1 || workerCount == 0 || threads.isEmpty { return false }
        return busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged
    }

    @usableFromInline
    func endJob() {
        busy.store(false, ordering: .releasing)
    }

    /// Publishes the job whose `JobRecord` is at address `record`, works on it, and waits for it to finish.
    @usableFromInline
    func run(count: Int, record: UInt) {
        let generation = ticket.load(ordering: .relaxed) >> 32
        // Close the previous (finished) job before rewriting the fields, so a late worker that read the old
        // generation cannot pair it with the new fields.
        ticket.store(generation << 32 | Self.closedIndex, ordering: .releasing)
        completed.store(0, ordering: .relaxed)
        jobBody.store(record, ordering: .releasing)
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

    /// Calls the published job. Not inlined so that any retain of a closure context taken for the call is
    /// released before the index is reported complete (`withoutActuallyEscaping` checks that on return).
    @inline(never)
    private static func invoke(_ raw: UnsafeRawPointer, _ index: Int) {
        let record = raw.assumingMemoryBound(to: JobRecord.self)
        record.pointee.invoke(record.pointee.context, index)
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
