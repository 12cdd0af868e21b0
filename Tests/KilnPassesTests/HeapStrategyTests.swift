// Heap simulation and strategies on hand-made buffers: the exact event list (XLA's HeapCallRecorder idea), exact
// placements of a small case, and the no-overlap invariant on random buffer sets.

import KilnKernels
import KilnPasses
import Testing

@Suite("Heap strategies")
struct HeapStrategyTests {
    // A: 128 bytes over [0, 2]; B: 64 over [2, 3]; C: 256 over [1, 1].
    let buffers = [HeapBuffer(size: 128, live: .init(0, 2)), HeapBuffer(size: 64, live: .init(2, 3)),
                   HeapBuffer(size: 256, live: .init(1, 1))]

    @Test("events are in time order, allocations before frees at the same time")
    func events() {
        #expect(HeapSimulator.events(buffers) == [.alloc(0), .alloc(2), .free(2), .alloc(1), .free(0), .free(1)])
        #expect(HeapSimulator.peakLiveBytes(buffers, events: HeapSimulator.events(buffers)) == 384)
    }

    @Test("greedy by size and best fit place the small case exactly")
    func exactPlacements() {
        let events = HeapSimulator.events(buffers)
        // Greedy by size: C at 0, A above C (both live at 1), B at 0 (it only meets A).
        #expect(GreedyBySize().place(buffers, events: events) == [256, 0, 0])
        // Best fit: A at 0, C on top, C's freed block then best fits B.
        #expect(BestFit().place(buffers, events: events) == [0, 128, 128])
        #expect(PerturbedGreedyBySize().place(buffers, events: events) == [256, 0, 0])
        #expect(HeapSimulator.firstConflict(buffers, offsets: [0, 64, 128]).map { [$0.0, $0.1] } == [0, 1])
    }

    @Test("best fit coalesces freed neighbours and grows from a free block at the top")
    func bestFitCoalesces() {
        // X and Y die at 1; Z (needs both of their bytes) starts at 2 and must reuse them.
        let b = [HeapBuffer(size: 64, live: .init(0, 1)), HeapBuffer(size: 64, live: .init(0, 1)),
                 HeapBuffer(size: 128, live: .init(2, 3)), HeapBuffer(size: 64, live: .init(0, 3))]
        let offsets = BestFit().place(b, events: HeapSimulator.events(b))
        #expect(offsets == [0, 64, 0, 128])
        // Growing: a free block at the top is extended rather than skipped.
        let g = [HeapBuffer(size: 64, live: .init(0, 0)), HeapBuffer(size: 192, live: .init(1, 1))]
        #expect(BestFit().place(g, events: HeapSimulator.events(g)) == [0, 0])
    }

    @Test("every strategy keeps live buffers apart on 500 random buffer sets")
    func randomSets() {
        var rng = RandomStream(seed: 11)
        let strategies: [any HeapStrategy] = [GreedyBySize(), BestFit(), PerturbedGreedyBySize(trials: 4)]
        for _ in 0..<500 {
            let count = 1 + rng.below(40)
            let buffers = (0..<count).map { _ -> HeapBuffer in
                let start = rng.below(30)
                return HeapBuffer(size: 64 * (1 + rng.below(20)), live: .init(start, start + rng.below(10)))
            }
            let events = HeapSimulator.events(buffers)
            let bound = HeapSimulator.peakLiveBytes(buffers, events: events)
            var arenas: [Int] = []
            for s in strategies {
                let offsets = s.place(buffers, events: events)
                #expect(HeapSimulator.firstConflict(buffers, offsets: offsets) == nil, "\(s.name)")
                #expect(offsets.allSatisfy { $0 % 64 == 0 && $0 >= 0 })
                arenas.append(HeapSimulator.arenaBytes(buffers, offsets: offsets))
                #expect(arenas.last! >= bound)
            }
            #expect(arenas[2] <= arenas[0], "perturbed trials include plain greedy by size")
        }
    }
}
