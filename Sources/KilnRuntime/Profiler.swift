// Per-kernel timing of an executable: accumulates wall time per step across runs.

import Foundation

public final class Profiler {
    /// Accumulated nanoseconds and call counts per executable step.
    public private(set) var nanoseconds: [UInt64] = []
    public private(set) var calls: [Int] = []
    /// (step index, start ns, duration ns) of the most recent run, for traces.
    public private(set) var lastRun: [(Int, UInt64, UInt64)] = []
    public private(set) var runs = 0

    public init() {}

    func record(_ executable: Executable) {
        let n = executable.steps.count
        if nanoseconds.count != n {
            nanoseconds = [UInt64](repeating: 0, count: n)
            calls = [Int](repeating: 0, count: n)
        }
        lastRun.removeAll(keepingCapacity: true)
        for i in 0..<n {
            let start = DispatchTime.now().uptimeNanoseconds
            executable.runStep(i)
            let end = DispatchTime.now().uptimeNanoseconds
            nanoseconds[i] += end - start
            calls[i] += 1
            lastRun.append((i, start, end - start))
        }
        runs += 1
    }

    public func reset() {
        nanoseconds = []
        calls = []
        lastRun = []
        runs = 0
    }
}
