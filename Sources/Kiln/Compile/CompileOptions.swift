// Options shared by compiled train steps and inference functions.

import KilnKernels
import KilnPasses

public struct CompileOptions {
    /// The pass pipeline; nil runs the standard one (`StandardPipeline`).
    public var passes: [any Pass]?
    /// Which used trainable parameters the optimizer updates (by dotted name); nil trains all of them.
    public var trainable: ((String) -> Bool)?
    /// The thread pool kernels run on.
    public var pool: ThreadPool
    /// Called with the graph after each pass (for dumps).
    public var observer: ((String, KilnIR.Graph) -> Void)?

    public init(passes: [any Pass]? = nil, trainable: ((String) -> Bool)? = nil, pool: ThreadPool = .shared,
                observer: ((String, KilnIR.Graph) -> Void)? = nil) {
        self.passes = passes
        self.trainable = trainable
        self.pool = pool
        self.observer = observer
    }
}

import KilnIR
