// The job records of ThreadPool: how a `parallelFor` / `parallelChunks` call is handed to the workers without
// allocating, and the diagnostic that catches a kernel whose body would allocate.
//
// A call builds, on its own stack, a `Job` (its args and body) and a `JobRecord` (the job's address plus a
// capture-free, type-specialised entry point), and publishes the record's address. Workers call
// `record.invoke(record.context, index)`. Only a body that captures variables costs an allocation (the box
// `withoutActuallyEscaping` makes for it); `capturingJobCount` counts such jobs.

import Synchronization

extension ThreadPool {
    /// Diagnostic: how many `args`-form jobs had a body that captured variables (and so allocated). Kernels
    /// keep this at 0; a test checks it.
    public static var capturingJobCount: Int { capturingJobs.load(ordering: .relaxed) }
    @usableFromInline static let capturingJobs = Atomic<Int>(0)

    /// Counts a job in `capturingJobCount` when its body has a closure context. `job` points at a `Job` or
    /// `ChunkedJob`, whose `body` is stored after `args` (at the next 8-byte boundary) as a thick function
    /// value: (function pointer, context), the context null for capture-free closures. (Reading the stored
    /// value avoids copying the closure, which would itself allocate a thunk.)
    @inlinable
    static func noteIfCapturing(job: UnsafeRawPointer, bodyOffset argsSize: Int) {
        let contextOffset = ((argsSize + 7) & ~7) + 8
        if job.load(fromByteOffset: contextOffset, as: UInt.self) != 0 { capturingJobs.add(1, ordering: .relaxed) }
    }
}

/// A published job: a type-erased entry point and the address of its `Job` on the caller's stack. `invoke` is
/// a capture-free closure (specialised for the job's argument type), so building the record allocates nothing.
@usableFromInline
struct JobRecord {
    @usableFromInline let context: UnsafeRawPointer
    @usableFromInline let invoke: (UnsafeRawPointer, Int) -> Void

    @inlinable
    init(context: UnsafeRawPointer, invoke: @escaping (UnsafeRawPointer, Int) -> Void) {
        self.context = context
        self.invoke = invoke
    }
}

/// The arguments and body of one `parallelFor`.
@usableFromInline
struct Job<Args> {
    @usableFromInline let args: Args
    @usableFromInline let body: (Args, Int) -> Void

    @inlinable
    init(args: Args, body: @escaping (Args, Int) -> Void) {
        self.args = args
        self.body = body
    }
}

/// The arguments and body of one `parallelChunks`, with its split.
@usableFromInline
struct ChunkedJob<Args> {
    @usableFromInline let args: Args
    @usableFromInline let body: (Args, Range<Int>) -> Void
    @usableFromInline let count: Int
    @usableFromInline let chunks: Int

    @inlinable
    init(args: Args, body: @escaping (Args, Range<Int>) -> Void, count: Int, chunks: Int) {
        self.args = args
        self.body = body
        self.count = count
        self.chunks = chunks
    }
}

/// Closures carried as job arguments by the closure forms of the pool's methods. Concrete (not generic) so the
/// closure is stored as it is, without a reabstraction thunk (which would be a second allocation).
@usableFromInline
struct IndexClosureBox {
    @usableFromInline let body: (Int) -> Void
}

@usableFromInline
struct RangeClosureBox {
    @usableFromInline let body: (Range<Int>) -> Void
}
