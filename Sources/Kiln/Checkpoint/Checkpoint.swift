// Model checkpoints in safetensors with PyTorch names and layouts: convolution weights are stored OIHW (PyTorch)
// and re-laid to OHWI on load. Loading is strict by default: a missing or mis-shaped tensor is an error naming
// the file and the tensor.

import Foundation
import KilnIR

public enum Checkpoint {
    /// The tensors of named parameters in PyTorch layout.
    public static func tensors(_ parameters: [(String, Parameter)]) throws -> [String: SafeTensor] {
        var out: [String: SafeTensor] = [:]
        for (name, p) in parameters {
            guard let values = p.values else { throw ModelError.uninitialized(name) }
            if p.dtype == .i64 {
                out[name] = SafeTensor(int64s: values.map { Int64($0) }, shape: p.checkpointShape)
            } else {
                out[name] = SafeTensor(floats: toCheckpointLayout(values, p), shape: p.checkpointShape)
            }
        }
        return out
    }

    /// Saves a model's parameters and buffers (plus any extra tensors) atomically.
    public static func save(_ model: any Module, extra: [String: SafeTensor] = [:], metadata: [String: String] = [:],
                            to url: URL) throws {
        var all = try tensors(try model.namedParameters())
        for (k, v) in extra { all[k] = v }
        try SafeTensors.write(all, metadata: metadata, to: url)
    }

    /// Loads tensors into a model's parameters. With `strict`, every parameter must be present; tensors not
    /// belonging to the model are returned (e.g. optimizer state).
    @discardableResult
    public static func load(_ url: URL, into model: any Module, strict: Bool = true, prefix: String = "") throws -> [String: SafeTensor] {
        let (tensors, _) = try SafeTensors.read(url)
        return try apply(tensors, file: url.path, to: model, strict: strict, prefix: prefix)
    }

    public static func apply(_ tensors: [String: SafeTensor], file: String, to model: any Module, strict: Bool = true,
                             prefix: String = "") throws -> [String: SafeTensor] {
        var rest = tensors
        for (name, p) in try model.namedParameters() {
            let key = prefix + name
            guard let t = rest.removeValue(forKey: key) else {
                if strict { throw SafeTensorsError(file: file, tensor: key, message: "is missing (the model has \(p.checkpointShape))") }
                continue
            }
            guard t.shape == p.checkpointShape else {
                throw SafeTensorsError(file: file, tensor: key, message: "has shape \(t.shape) but the model expects \(p.checkpointShape)")
            }
            p.values = fromCheckpointLayout(t.floats(), p)
        }
        return rest
    }

    static func toCheckpointLayout(_ v: [Float], _ p: Parameter) -> [Float] {
        guard p.layout == .convolutionWeight else { return v }
        return permute(v, shape: p.shape, permutation: [0, 3, 1, 2])   // OHWI → OIHW
    }

    static func fromCheckpointLayout(_ v: [Float], _ p: Parameter) -> [Float] {
        guard p.layout == .convolutionWeight else { return v }
        return permute(v, shape: p.checkpointShape, permutation: [0, 2, 3, 1])   // OIHW → OHWI
    }

    /// Row-major transpose of `v` (shape `shape`) so that output dimension i is input dimension permutation[i].
    static func permute(_ v: [Float], shape: [Int], permutation: [Int]) -> [Float] {
        let inStrides = Shape.strides(shape)
        let outShape = permutation.map { shape[$0] }
        let outStrides = Shape.strides(outShape)
        var out = [Float](repeating: 0, count: v.count)
        for i in 0..<v.count {
            var rest = i, src = 0
            for d in permutation.indices {
                let c = rest / outStrides[d]
                rest -= c * outStrides[d]
                src += c * inStrides[permutation[d]]
            }
            out[i] = v[src]
        }
        return out
    }
}
