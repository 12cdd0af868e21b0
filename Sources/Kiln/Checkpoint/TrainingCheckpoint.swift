// Training checkpoints: every persistent state of a compiled step — parameters (in PyTorch layout and names),
// optimizer slots, BN statistics, queues, counters — plus string metadata, so a run resumes bit-exactly. Written
// atomically as safetensors; loading checks that every state is present with the expected shape.

import Foundation
import KilnIR
import KilnRuntime

public enum TrainingCheckpoint {
    /// The model parameter that decides a state's layout: itself, or the parameter an optimizer slot belongs to
    /// (`optimizer.<slot>.<parameter>`).
    static func owner(of state: String, in parameters: [String: Parameter]) -> Parameter? {
        if let p = parameters[state] { return p }
        guard state.hasPrefix("optimizer.") else { return nil }
        let parts = state.split(separator: ".", maxSplits: 2)
        return parts.count == 3 ? parameters[String(parts[2])] : nil
    }

    /// Saves every state of `compiled` with `metadata`.
    public static func save(_ compiled: CompiledGraph, metadata: [String: String], to url: URL) throws {
        let exe = compiled.executable
        var tensors: [String: SafeTensor] = [:]
        for name in exe.stateNames {
            guard let type = exe.stateType(name), let p = exe.stateBuffer(name) else { continue }
            let owner = owner(of: name, in: compiled.parameters)
            switch type.dtype {
            case .f32:
                let values = Array(UnsafeBufferPointer(start: p.assumingMemoryBound(to: Float.self), count: type.count))
                let conv = owner?.layout == .convolutionWeight && type.shape == owner?.shape
                tensors[name] = conv
                    ? SafeTensor(floats: Checkpoint.permute(values, shape: type.shape, permutation: [0, 3, 1, 2]),
                                 shape: [type.shape[0], type.shape[3], type.shape[1], type.shape[2]])
                    : SafeTensor(floats: values, shape: type.shape)
            case .i64:
                let values = Array(UnsafeBufferPointer(start: p.assumingMemoryBound(to: Int64.self), count: type.count))
                tensors[name] = SafeTensor(int64s: values, shape: type.shape)
            case .i32:
                let values = Array(UnsafeBufferPointer(start: p.assumingMemoryBound(to: Int32.self), count: type.count))
                tensors[name] = SafeTensor(int64s: values.map(Int64.init), shape: type.shape)
            case .f64, .bool:
                let value = exe.state(name)!
                tensors[name] = SafeTensor(floats: value.data.map(Float.init), shape: type.shape)
            }
        }
        try SafeTensors.write(tensors, metadata: metadata, to: url)
    }

    /// Restores every state of `compiled` from `url` and copies the parameters back into the model; returns the
    /// checkpoint's metadata. Missing or mis-shaped states are errors naming the file and tensor.
    @discardableResult
    public static func restore(_ compiled: CompiledGraph, from url: URL) throws -> [String: String] {
        let (tensors, metadata) = try SafeTensors.read(url)
        let exe = compiled.executable
        for name in exe.stateNames {
            guard let type = exe.stateType(name), let p = exe.stateBuffer(name) else { continue }
            guard let t = tensors[name] else {
                throw SafeTensorsError(file: url.path, tensor: name, message: "is missing (the step has \(type))")
            }
            let owner = owner(of: name, in: compiled.parameters)
            let conv = owner?.layout == .convolutionWeight && type.shape == owner?.shape
            let expected = conv ? [type.shape[0], type.shape[3], type.shape[1], type.shape[2]] : type.shape
            guard t.shape == expected else {
                throw SafeTensorsError(file: url.path, tensor: name, message: "has shape \(t.shape) but the step expects \(expected)")
            }
            switch type.dtype {
            case .f32:
                var values = t.floats()
                if conv { values = Checkpoint.permute(values, shape: expected, permutation: [0, 2, 3, 1]) }
                values.withUnsafeBytes { p.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
            case .i64, .i32:
                guard t.dtype == .I64 || t.dtype == .I32 else {
                    throw SafeTensorsError(file: url.path, tensor: name, message: "must be an integer tensor, found \(t.dtype.rawValue)")
                }
                let ints: [Int64] = t.bytes.withUnsafeBytes { raw in
                    (0..<t.count).map { i in
                        t.dtype == .I64 ? Int64(littleEndian: raw.loadUnaligned(fromByteOffset: 8 * i, as: Int64.self))
                            : Int64(Int32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * i, as: Int32.self)))
                    }
                }
                if type.dtype == .i64 { ints.withUnsafeBytes { p.copyMemory(from: $0.baseAddress!, byteCount: $0.count) } }
                else { ints.map { Int32(truncatingIfNeeded: $0) }.withUnsafeBytes { p.copyMemory(from: $0.baseAddress!, byteCount: $0.count) } }
            case .f64, .bool:
                try exe.setState(name, HostTensor(type, t.floats().map(Double.init)))
            }
        }
        compiled.syncParameters()
        return metadata
    }
}
