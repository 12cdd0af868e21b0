// Pieces shared by MoCo v2 and DetCo: the projection MLP, InfoNCE, the momentum update of a key encoder, and the
// shuffle used to emulate MoCo's shuffle-BN on one machine.

import Kiln

public enum Contrastive {
    /// Linear(in, hidden) → ReLU → Linear(hidden, out), named like MoCo's head (`fc.0`, `fc.2`).
    public static func mlp(_ input: Int, hidden: Int, output: Int) -> Sequential {
        Sequential {
            Linear(input, hidden)
            ReLU()
            Linear(hidden, output)
        }
    }

    /// InfoNCE: logits [q·k₊, q·Queueᵀ] / τ with the positive in column 0; cross-entropy averaged over the batch.
    /// `query` (N, d) and `positive` (N, d) are L2-normalised; `positive` and `negatives` (K, d) carry no gradient.
    public static func infoNCE(query: Tensor, positive: Tensor, negatives: Tensor, temperature: Double) -> Tensor {
        let lpos = (query * positive).sum(axes: [1], keepdims: true)
        let lneg = query.matmul(negatives, transposeB: true)
        return crossEntropyFirstClass(Tensor.concat([lpos, lneg], axis: 1) / temperature)
    }

    /// θk ← m·θk + (1−m)·θq for every trainable parameter of the key model, before the key forward pass; the new
    /// values are used for the rest of the step and persist after it. Buffers (BN statistics) are not averaged,
    /// as in MoCo.
    public static func momentumUpdate(key: any Module, query: any Module, momentum: Double, _ t: Tracer) throws {
        let k = try key.namedParameters(), q = try query.namedParameters()
        guard k.count == q.count else {
            throw ModelError.duplicateName("key and query encoders differ in structure (\(k.count) vs \(q.count) tensors)")
        }
        for ((name, pk), (_, pq)) in zip(k, q) where pk.isTrainable {
            guard pk.shape == pq.shape else { throw ModelError.duplicateName("shape mismatch at \(name)") }
            let mixed = (t.value(of: pk) * momentum + t.value(of: pq) * (1 - momentum)).detached()
            t.rebind(pk, to: mixed)
        }
    }

    /// Copies the query model's values into the key model (MoCo's initialisation θk = θq).
    public static func copyParameters(from query: any Module, to key: any Module) throws {
        for ((_, pk), (_, pq)) in zip(try key.namedParameters(), try query.namedParameters()) { pk.values = pq.values }
    }

    /// Reorders the first axis by `indices` (N,), treating each group of `group` consecutive rows as one sample
    /// (DetCo's 9 patches of an image move together).
    public static func permute(_ x: Tensor, _ indices: Tensor, group: Int = 1) -> Tensor {
        guard group > 1 else { return x.gather(indices, axis: 0) }
        let rows = x.shape[0] / group
        let grouped = x.reshaped([rows, group] + Array(x.shape.dropFirst()))
        return grouped.gather(indices, axis: 0).reshaped(x.shape)
    }
}

/// A random permutation of 0..<n and its inverse for step `step` (deterministic in seed and step).
public func shufflePermutation(_ n: Int, seed: UInt64, step: Int) -> (forward: [Int32], inverse: [Int32]) {
    var rng = RandomStream(seed: seed, stream: UInt64(step) &+ 0x5EED)
    var order = Array(0..<n)
    rng.shuffle(&order)
    var inverse = [Int32](repeating: 0, count: n)
    for (i, p) in order.enumerated() { inverse[p] = Int32(i) }
    return (order.map(Int32.init), inverse)
}
