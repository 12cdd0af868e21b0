// `DataLoader`: batches filled by worker threads with prefetch, identical whatever the thread count.
//
// Contract:
// - Epoch e visits the samples in a permutation drawn from (seed, e) (or in order without shuffling), cut into
//   `batchesPerEpoch` batches of `batchSize` (a short last batch is dropped unless `dropLast` is false, in
//   which case the final batch repeats the epoch's first samples to stay full: batch shapes never change).
// - The sample at epoch position p is filled with a RandomStream seeded by (seed, e, sample index, attempt),
//   so every value in every batch depends only on the seed, never on threads or timing.
// - Batches live in a ring of `prefetch + 1` preallocated batch objects. A batch returned by `next()` stays
//   valid until the following call to `next()` or `start(epoch:)`, which hands it back to the workers.
// - A sample whose fill throws fails the batch (`next()` rethrows, the epoch ends), unless `skipBadSamples`:
//   then a replacement sample drawn from (seed, e, position, attempt) takes its slot and the skip is counted.

import Foundation
import KilnKernels

/// Settings of a `DataLoader`.
public struct DataLoaderConfiguration: Sendable {
    public var sampleCount: Int
    public var batchSize: Int
    public var seed: UInt64
    public var shuffle = true
    public var dropLast = true
    /// Worker threads; 0 fills batches on the caller's thread inside `next()`.
    public var threads = 2
    /// Batches prepared ahead of the consumer.
    public var prefetch = 2
    public var skipBadSamples = false
    /// Replacement tries per failing position before the batch fails anyway.
    public var maxReplacements = 16

    public init(sampleCount: Int, batchSize: Int, seed: UInt64) {
        self.sampleCount = sampleCount
        self.batchSize = batchSize
        self.seed = seed
    }
}

/// Fills `slot` of `batch` with sample `index`; runs concurrently for different slots.
public typealias BatchFill<Batch> = @Sendable (_ batch: Batch, _ slot: Int, _ index: Int,
                                               _ rng: inout RandomStream, _ scratch: TransformScratch) throws -> Void

/// A multi-threaded, deterministic batch loader (see the file header for the contract).
public final class DataLoader<Batch: AnyObject> {
    public let configuration: DataLoaderConfiguration
    private let state: LoaderState<Batch>
    private let callerScratch = TransformScratch()

    /// Creates the loader, its batch ring (`makeBatch` is called `prefetch + 1` times) and its worker threads.
    public init(_ configuration: DataLoaderConfiguration, makeBatch: () -> Batch, fill: @escaping BatchFill<Batch>) throws {
        guard configuration.threads >= 0 else {
            throw DataError(.invalid, file: "<loader>", "thread count must not be negative, got \(configuration.threads)")
        }
        guard configuration.sampleCount > 0, configuration.batchSize > 0 else {
            throw DataError(.invalid, file: "<loader>", "need at least one sample and a positive batch size "
                            + "(samples \(configuration.sampleCount), batch \(configuration.batchSize))")
        }
        guard !configuration.dropLast || configuration.sampleCount >= configuration.batchSize else {
            throw DataError(.invalid, file: "<loader>", "batch size \(configuration.batchSize) exceeds the "
                            + "\(configuration.sampleCount) samples and dropLast is set")
        }
        self.configuration = configuration
        let ring = (0...max(configuration.prefetch, 0)).map { _ in makeBatch() }
        state = LoaderState(configuration: configuration, ring: ring, fill: fill)
        for _ in 0..<configuration.threads {
            let thread = Thread { [state] in state.workerLoop() }
            thread.name = "kiln-data-worker"
            thread.start()
        }
    }

    deinit { state.stop() }

    /// Batches per epoch.
    public var batchesPerEpoch: Int { state.batchesPerEpoch }

    /// Samples replaced because they failed (`skipBadSamples`), since the loader was created.
    public var skippedSamples: Int { state.locked { state.skipped } }

    /// The first few skip reasons (file and error).
    public var skipMessages: [String] { state.locked { state.skipMessages } }

    /// Starts (or restarts) epoch `epoch`; any prefetched batches of a previous epoch are discarded.
    public func start(epoch: Int) { state.start(epoch: epoch) }

    /// The next batch of the current epoch, or nil when the epoch is complete.
    public func next() throws -> Batch? {
        try state.next(fillInline: configuration.threads == 0 ? callerScratch : nil)
    }

    /// Sample indices that fill the batches of `epoch`, batch after batch (for labels or debugging).
    public func sampleOrder(epoch: Int) -> [Int] { state.order(epoch: epoch) }
}

/// Shared state of a loader and its workers; every field is guarded by `condition`.
final class LoaderState<Batch: AnyObject>: @unchecked Sendable {
    let configuration: DataLoaderConfiguration
    let ring: [Batch]
    let fill: BatchFill<Batch>
    let batchesPerEpoch: Int
    private let condition = NSCondition()

    private var stopped = false
    private var generation = 0
    private var epoch = 0
    private var positions: [Int] = []  // sample index of each epoch position
    private var active = false
    private var nextJob = 0            // job j fills slot j % batchSize of batch j / batchSize
    private var released = 0           // batches handed back by the consumer
    private var nextToReturn = 0
    private var handedOut = false
    private var inFlight = 0           // jobs being filled outside the lock
    private var ringBatch: [Int]       // which batch each ring entry currently holds
    private var remaining: [Int]       // unfinished jobs per ring entry
    private var failure: [DataError?]  // first failure per ring entry
    var skipped = 0
    var skipMessages: [String] = []

    init(configuration: DataLoaderConfiguration, ring: [Batch], fill: @escaping BatchFill<Batch>) {
        self.configuration = configuration
        self.ring = ring
        self.fill = fill
        let (full, rest) = configuration.sampleCount.quotientAndRemainder(dividingBy: configuration.batchSize)
        batchesPerEpoch = full + (configuration.dropLast || rest == 0 ? 0 : 1)
        ringBatch = Array(repeating: -1, count: ring.count)
        remaining = Array(repeating: 0, count: ring.count)
        failure = Array(repeating: nil, count: ring.count)
    }

    func locked<T>(_ body: () -> T) -> T {
        condition.lock()
        defer { condition.unlock() }
        return body()
    }

    func order(epoch: Int) -> [Int] {
        var order = Array(0..<configuration.sampleCount)
        if configuration.shuffle {
            var rng = RandomStream(seed: configuration.seed, stream: SplitMix64.mix(UInt64(bitPattern: Int64(epoch)) ^ 0x5EED_0F_E90C))
            rng.shuffle(&order)
        }
        let needed = batchesPerEpoch * configuration.batchSize
        while order.count < needed { order += order.prefix(needed - order.count) }
        return Array(order.prefix(needed))
    }

    func start(epoch: Int) {
        let newOrder = order(epoch: epoch)
        condition.lock()
        // Jobs of the previous epoch still running would write into reused batches: let them finish first.
        active = false
        while inFlight > 0 { condition.wait() }
        generation += 1
        self.epoch = epoch
        positions = newOrder
        active = true
        nextJob = 0
        released = 0
        nextToReturn = 0
        handedOut = false
        for i in ring.indices { ringBatch[i] = -1; remaining[i] = 0; failure[i] = nil }
        condition.broadcast()
        condition.unlock()
    }

    func stop() {
        condition.lock()
        stopped = true
        condition.broadcast()
        condition.unlock()
    }

    private var totalJobs: Int { batchesPerEpoch * configuration.batchSize }

    /// Claims the next job if its ring entry is free; call with the lock held.
    private func claimJob() -> (generation: Int, batch: Int, slot: Int, ringIndex: Int, position: Int)? {
        guard active, nextJob < totalJobs else { return nil }
        let batch = nextJob / configuration.batchSize
        guard batch < released + ring.count else { return nil }
        let slot = nextJob % configuration.batchSize
        let ringIndex = batch % ring.count
        if slot == 0 { ringBatch[ringIndex] = batch; remaining[ringIndex] = configuration.batchSize; failure[ringIndex] = nil }
        nextJob += 1
        inFlight += 1
        return (generation, batch, slot, ringIndex, batch * configuration.batchSize + slot)
    }

    func workerLoop() {
        let scratch = TransformScratch()
        condition.lock()
        while !stopped {
            guard let job = claimJob() else { condition.wait(); continue }
            let epochNow = epoch, sample = positions[job.position]
            condition.unlock()
            let outcome = runJob(ringIndex: job.ringIndex, slot: job.slot, position: job.position, sample: sample,
                                 epoch: epochNow, scratch: scratch)
            condition.lock()
            finish(job.generation, ringIndex: job.ringIndex, outcome: outcome)
        }
        condition.unlock()
    }

    private func finish(_ jobGeneration: Int, ringIndex: Int, outcome: JobOutcome) {
        inFlight -= 1
        if inFlight == 0 { condition.broadcast() }
        guard jobGeneration == generation else { return }  // the epoch was restarted meanwhile
        skipped += outcome.skips.count
        for message in outcome.skips where skipMessages.count < 10 { skipMessages.append(message) }
        if let error = outcome.error, failure[ringIndex] == nil { failure[ringIndex] = error }
        remaining[ringIndex] -= 1
        if remaining[ringIndex] == 0 { condition.broadcast() }
    }

    private struct JobOutcome {
        var skips: [String] = []
        var error: DataError?
    }

    /// Fills one slot, trying replacements in skip mode. Runs without the lock.
    private func runJob(ringIndex: Int, slot: Int, position: Int, sample: Int, epoch: Int,
                        scratch: TransformScratch) -> JobOutcome {
        var outcome = JobOutcome()
        var index = sample
        let seedEpoch = UInt64(bitPattern: Int64(epoch))
        for attempt in 0...max(configuration.maxReplacements, 0) {
            var rng = RandomStream(seed: configuration.seed,
                                   stream: SplitMix64.hash(seed: seedEpoch, stream: UInt64(index), index: UInt64(attempt)))
            do {
                try fill(ring[ringIndex], slot, index, &rng, scratch)
                return outcome
            } catch {
                let dataError = error as? DataError ?? DataError(.invalid, file: "<sample \(index)>", "\(error)")
                guard configuration.skipBadSamples else { outcome.error = dataError; return outcome }
                outcome.skips.append(dataError.description)
                let draw = SplitMix64.hash(seed: configuration.seed ^ seedEpoch, stream: UInt64(position), index: UInt64(attempt))
                index = Int(draw % UInt64(configuration.sampleCount))
            }
        }
        outcome.error = DataError(.invalid, file: "<loader>", "position \(position): \(configuration.maxReplacements) "
                                  + "replacement samples failed too; last: \(outcome.skips.last ?? "")")
        return outcome
    }

    func next(fillInline scratch: TransformScratch?) throws -> Batch? {
        condition.lock()
        defer { condition.unlock() }
        guard active else { return nil }
        if handedOut { released += 1; handedOut = false; condition.broadcast() }
        guard nextToReturn < batchesPerEpoch else { active = false; return nil }
        let batch = nextToReturn
        let ringIndex = batch % ring.count
        if let scratch {
            // Synchronous mode: run this batch's jobs right here.
            while let job = claimJob() {
                let epochNow = epoch, sample = positions[job.position]
                condition.unlock()
                let outcome = runJob(ringIndex: job.ringIndex, slot: job.slot, position: job.position, sample: sample,
                                     epoch: epochNow, scratch: scratch)
                condition.lock()
                finish(job.generation, ringIndex: job.ringIndex, outcome: outcome)
                if job.batch == batch && job.slot == configuration.batchSize - 1 { break }
            }
        }
        while !(ringBatch[ringIndex] == batch && remaining[ringIndex] == 0) && !stopped { condition.wait() }
        if let error = failure[ringIndex] {
            active = false
            throw error
        }
        nextToReturn += 1
        handedOut = true
        return ring[ringIndex]
    }
}
