// Tracing the MoCo v2 and DetCo pre-training steps (one graph each) with their named inputs.

import Kiln

public enum Pretraining {
    public static let x1 = "x1", x2 = "x2", x3 = "x3", x4 = "x4", shuffle = "shuffle", unshuffle = "unshuffle"

    /// The MoCo v2 step on views of `size`×`size` (inputs x1, x2, shuffle, unshuffle).
    public static func moco(_ model: MoCoV2, batch: Int, size: Int, optimizer: any Optimizer) throws -> TrainStep.TracedStep {
        let image = TensorType(.f32, [batch, size, size, 3]), perm = TensorType(.i32, [batch])
        return try TrainStep.trace(models: [model], inputs: [(x1, image), (x2, image), (shuffle, perm), (unshuffle, perm)],
                                   optimizer: optimizer, trainable: MoCoV2.isTrained) { _, x in
            model(MoCoV2.Inputs(query: x[x1]!, key: x[x2]!, shuffle: x[shuffle]!, unshuffle: x[unshuffle]!))
        }
    }

    /// The DetCo step: global views `size`², local patch sets of `patch`² (inputs x1..x4, shuffle, unshuffle).
    public static func detco(_ model: DetCo, batch: Int, size: Int, patch: Int, optimizer: any Optimizer) throws -> TrainStep.TracedStep {
        let image = TensorType(.f32, [batch, size, size, 3]), patches = TensorType(.f32, [batch * 9, patch, patch, 3])
        let perm = TensorType(.i32, [batch])
        return try TrainStep.trace(models: [model],
                                   inputs: [(x1, image), (x2, image), (x3, patches), (x4, patches), (shuffle, perm), (unshuffle, perm)],
                                   optimizer: optimizer, trainable: DetCo.isTrained) { _, x in
            model(DetCo.Inputs(globalQuery: x[x1]!, globalKey: x[x2]!, localQuery: x[x3]!, localKey: x[x4]!,
                               shuffle: x[shuffle]!, unshuffle: x[unshuffle]!))
        }
    }

    /// Writes this step's shuffle permutation and its inverse into the executable's inputs.
    public static func feedShuffle(_ exe: Executable, batch: Int, seed: UInt64, step: Int) {
        let (forward, inverse) = shufflePermutation(batch, seed: seed, step: step)
        if let p = exe.inputBuffer(shuffle) { forward.withUnsafeBytes { p.copyMemory(from: $0.baseAddress!, byteCount: $0.count) } }
        if let p = exe.inputBuffer(unshuffle) { inverse.withUnsafeBytes { p.copyMemory(from: $0.baseAddress!, byteCount: $0.count) } }
    }
}
