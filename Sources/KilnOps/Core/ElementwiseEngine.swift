// The tile evaluator behind every elementwise and fused kernel (architecture brief §6): the iteration domain is
// cut into L1-sized tiles; for each tile the operands are loaded (directly when contiguous f32, else through a
// broadcasting, converting loader), every instruction runs vectorised over the tile, and the result is stored once.
// Memory is streamed once whatever the length of the chain. Work is split across the thread pool in contiguous
// chunks, each with its own scratch tiles.

import KilnIR
import KilnKernels

public enum ElementwiseEngine {
    /// Elements per tile: operand + temporaries of a typical chain stay in L1/L2.
    public static let tileSize = 1024

    /// The loaders keep coordinates for at most this many dimensions (ops fall back to their reference beyond).
    public static let maxRank = 16

    /// An elementwise kernel: evaluates `program` over the output's elements and stores them.
    public static func kernel(_ program: TileProgram, inputTypes: [TensorType], outputType: TensorType,
                              buffers: KernelBuffers, pool: ThreadPool) -> KernelThunk {
        let count = outputType.count
        let tiles = (count + tileSize - 1) / tileSize
        let chunks = max(1, min(pool.threadCount, tiles, max(1, count / 4096)))
        let job = ElementwiseJob(evaluator: TileEvaluator(program: program, inputTypes: inputTypes, domain: outputType.shape,
                                                          buffers: buffers.inputs, workers: chunks),
                                 output: buffers.output, dtype: outputType.dtype, count: count, tiles: tiles, chunks: chunks)
        // The job is passed as the body's argument (the body captures nothing), so a step allocates nothing here.
        return { [job, pool] in
            if job.chunks <= 1 { job.run(0) } else { pool.parallelFor(job.chunks, job) { job, chunk in job.run(chunk) } }
        }
    }

    /// Converts a Float tile to `dtype` at output element `start`.
    static func store(_ tile: UnsafePointer<Float>, dtype: DType, to output: UnsafeMutableRawPointer, start: Int, count n: Int) {
        switch dtype {
        case .f32: (output.assumingMemoryBound(to: Float.self) + start).update(from: tile, count: n)
        case .f64: let o = output.assumingMemoryBound(to: Double.self) + start; for j in 0..<n { o[j] = Double(tile[j]) }
        case .i32: let o = output.assumingMemoryBound(to: Int32.self) + start; for j in 0..<n { o[j] = Int32(truncating: tile[j]) }
        case .i64: let o = output.assumingMemoryBound(to: Int64.self) + start; for j in 0..<n { o[j] = Int64(truncating: tile[j]) }
        case .bool: let o = output.assumingMemoryBound(to: UInt8.self) + start; for j in 0..<n { o[j] = tile[j] != 0 ? 1 : 0 }
        }
    }
}

/// One bound elementwise kernel: chunk c evaluates and stores tiles [tiles·c/chunks, tiles·(c+1)/chunks).
final class ElementwiseJob {
    let evaluator: TileEvaluator
    let output: UnsafeMutableRawPointer
    let dtype: DType
    let count: Int
    let tiles: Int
    let chunks: Int

    init(evaluator: TileEvaluator, output: UnsafeMutableRawPointer, dtype: DType, count: Int, tiles: Int, chunks: Int) {
        self.evaluator = evaluator
        self.output = output
        self.dtype = dtype
        self.count = count
        self.tiles = tiles
        self.chunks = chunks
    }

    func run(_ chunk: Int) {
        let t = ElementwiseEngine.tileSize
        var tile = tiles * chunk / chunks
        let end = tiles * (chunk + 1) / chunks
        while tile < end {
            let start = tile * t
            let n = min(t, count - start)
            let direct = dtype == .f32 ? output.assumingMemoryBound(to: Float.self) + start : nil
            let result = evaluator.evaluate(start: start, count: n, worker: chunk, into: direct)
            if dtype != .f32 { ElementwiseEngine.store(result, dtype: dtype, to: output, start: start, count: n) }
            tile += 1
        }
    }
}

/// How one operand is read into a tile.
enum OperandAccess {
    /// Contiguous f32 with the output's shape: read in place.
    case direct(UnsafePointer<Float>)
    /// Anything else: gathered (broadcast and/or converted) into a scratch tile.
    case gather(BroadcastLoader)
}

/// Reads a broadcast operand of any dtype into Float tiles. Dimensions are coalesced so that a per-channel vector
/// broadcast over NHWC becomes a 2-D (rows, C) walk.
struct BroadcastLoader {
    let base: UnsafeMutableRawPointer
    let dtype: DType
    let dims: [Int]
    let outStrides: [Int]
    let inStrides: [Int]

    init(base: UnsafeMutableRawPointer, dtype: DType, shape: [Int], outShape: [Int]) {
        self.base = base
        self.dtype = dtype
        let offset = outShape.count - shape.count
        let own = Shape.strides(shape)
        var dims: [Int] = []
        var strides: [Int] = []
        for d in outShape.indices where outShape[d] != 1 {
            let s = d < offset || shape[d - offset] == 1 ? 0 : own[d - offset]
            if let lastDim = dims.last, let lastStride = strides.last,
               (lastStride == 0 && s == 0) || (s != 0 && lastStride == s * outShape[d]) {
                dims[dims.count - 1] = lastDim * outShape[d]
                strides[strides.count - 1] = s
            } else {
                dims.append(outShape[d])
                strides.append(s)
            }
        }
        if dims.isEmpty { dims = [1]; strides = [0] }
        self.dims = dims
        self.inStrides = strides
        self.outStrides = Shape.strides(dims)
    }

    @inline(__always)
    func value(_ index: Int) -> Float {
        switch dtype {
        case .f32: return base.assumingMemoryBound(to: Float.self)[index]
        case .f64: return Float(base.assumingMemoryBound(to: Double.self)[index])
        case .i32: return Float(base.assumingMemoryBound(to: Int32.self)[index])
        case .i64: return Float(base.assumingMemoryBound(to: Int64.self)[index])
        case .bool: return base.assumingMemoryBound(to: UInt8.self)[index] != 0 ? 1 : 0
        }
    }

    /// Fills tile[0..<n] with output elements start..<start+n. `coords` is scratch for `dims.count` Ints.
    func fill(_ tile: UnsafeMutablePointer<Float>, start: Int, n: Int, coords: UnsafeMutablePointer<Int>) {
        let rank = dims.count
        var rest = start
        var src = 0
        for d in 0..<rank {
            let c = rest / outStrides[d]
            rest -= c * outStrides[d]
            coords[d] = c
            src += c * inStrides[d]
        }
        let last = rank - 1
        let lastDim = dims[last]
        let lastStride = inStrides[last]
        var filled = 0
        while filled < n {
            let run = min(n - filled, lastDim - coords[last])
            let dst = tile + filled
            if dtype == .f32 && lastStride == 1 {
                (dst).update(from: base.assumingMemoryBound(to: Float.self) + src, count: run)
            } else if lastStride == 0 {
                dst.update(repeating: value(src), count: run)
            } else {
                for j in 0..<run { dst[j] = value(src + j * lastStride) }
            }
            filled += run
            coords[last] += run
            src += run * lastStride
            var d = last
            while d > 0 && coords[d] == dims[d] {
                src -= coords[d] * inStrides[d]
                coords[d] = 0
                d -= 1
                coords[d] += 1
                src += inStrides[d]
            }
        }
    }
}

/// Evaluates a tile program over ranges of a domain (the output shape of an elementwise kernel, the input shape of
/// a fused reduction). Scratch is allocated once, per worker.
final class TileEvaluator {
    /// An operand resolved to a slot; slots are laid out as [inputs..., constants..., temps...].
    struct Step {
        var op: any ElementwiseOp.Type
        var a: Int, b: Int, c: Int
        var result: Int
        var parameters: TileParameters
    }

    let steps: [Step]
    let access: [OperandAccess]
    let slotCount: Int
    let floatsPerWorker: Int
    let scratch: UnsafeMutablePointer<Float>
    let slotTables: UnsafeMutablePointer<UnsafeMutablePointer<Float>>
    let coordScratch: UnsafeMutablePointer<Int>
    let constants: UnsafeMutablePointer<Float>

    init(program: TileProgram, inputTypes: [TensorType], domain: [Int], buffers: [UnsafeMutableRawPointer], workers: Int) {
        let t = ElementwiseEngine.tileSize
        access = inputTypes.indices.map { i in
            let type = inputTypes[i]
            if type.dtype == .f32 && type.shape == domain {
                return .direct(UnsafePointer(buffers[i].assumingMemoryBound(to: Float.self)))
            }
            return .gather(BroadcastLoader(base: buffers[i], dtype: type.dtype, shape: type.shape, outShape: domain))
        }
        var constantValues: [Float] = []
        for instruction in program.instructions {
            for case .constant(let v) in instruction.operands
            where !constantValues.contains(where: { $0.bitPattern == v.bitPattern }) {
                constantValues.append(v)
            }
        }
        let inputs = inputTypes.count
        let tempBase = inputs + constantValues.count
        func slot(_ operand: TileProgram.Operand) -> Int {
            switch operand {
            case .input(let i): return i
            case .constant(let v): return inputs + (constantValues.firstIndex { $0.bitPattern == v.bitPattern } ?? 0)
            case .temp(let k): return tempBase + k
            }
        }
        steps = program.instructions.enumerated().map { k, instruction in
            let a = slot(instruction.operands[0])
            let b = instruction.operands.count > 1 ? slot(instruction.operands[1]) : a
            let c = instruction.operands.count > 2 ? slot(instruction.operands[2]) : a
            return Step(op: instruction.op, a: a, b: b, c: c, result: tempBase + k, parameters: instruction.parameters)
        }
        slotCount = tempBase + program.instructions.count
        let workers = max(workers, 1)
        floatsPerWorker = (inputs + program.instructions.count) * t
        scratch = .allocate(capacity: max(1, floatsPerWorker * workers))
        slotTables = .allocate(capacity: max(1, slotCount * workers))
        coordScratch = .allocate(capacity: 16 * workers)
        constants = .allocate(capacity: max(1, constantValues.count * t))
        for (k, v) in constantValues.enumerated() { (constants + k * t).initialize(repeating: v, count: t) }
        for worker in 0..<workers {
            let table = slotTables + worker * slotCount
            let base = scratch + worker * floatsPerWorker
            for i in 0..<inputs { table[i] = base + i * t }
            for k in 0..<constantValues.count { table[inputs + k] = constants + k * t }
            for k in 0..<program.instructions.count { table[tempBase + k] = base + (inputs + k) * t }
        }
    }

    deinit {
        scratch.deallocate()
        slotTables.deallocate()
        coordScratch.deallocate()
        constants.deallocate()
    }

    /// Evaluates domain elements start..<start+count (count ≤ tileSize) with worker `worker`'s scratch. The result
    /// goes to `into` when given (the last instruction writes there directly), else to a scratch tile; the
    /// pointer to the result is returned.
    @inline(__always)
    func evaluate(start: Int, count n: Int, worker: Int, into: UnsafeMutablePointer<Float>?) -> UnsafeMutablePointer<Float> {
        let t = ElementwiseEngine.tileSize
        let table = slotTables + worker * slotCount
        let base = scratch + worker * floatsPerWorker
        let coords = coordScratch + worker * 16
        for i in access.indices {
            switch access[i] {
            case .direct(let p): table[i] = UnsafeMutablePointer(mutating: p + start)
            case .gather(let loader):
                let tile = base + i * t
                loader.fill(tile, start: start, n: n, coords: coords)
                table[i] = tile
            }
        }
        // An empty program is the identity on operand 0 (plain reductions use it).
        if steps.isEmpty { return table[0] }
        let last = steps.count - 1
        for k in 0...last {
            let step = steps[k]
            let out = k == last ? (into ?? table[step.result]) : table[step.result]
            step.op.tile(table[step.a], table[step.b], table[step.c], out, n, step.parameters)
        }
        return into ?? table[steps[last].result]
    }
}

extension FixedWidthInteger {
    /// Truncation toward zero that maps NaN to 0 and saturates out-of-range values instead of trapping.
    @inline(__always)
    init(truncating value: Float) {
        if value.isNaN { self = 0 }
        else if value >= Float(Self.max) { self = .max }
        else if value <= Float(Self.min) { self = .min }
        else { self = Self(value) }
    }
}
