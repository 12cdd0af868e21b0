// A graph lowered to CPU kernels: every node becomes a thunk bound to fixed buffers (arena slots, persistent
// state buffers, constants), so running a step is a loop over thunks with no allocation. States persist across
// runs; the graph's assignments update them at the end of each run.

import Foundation
import KilnIR
import KilnKernels
import KilnOps
import KilnPasses

public final class Executable {
    public let graph: Graph
    public let plan: MemoryPlan
    /// One entry per node that runs a kernel, in execution order.
    public private(set) var steps: [Step] = []
    /// Names of ops that fell back to their reference kernel (no fast kernel for that node).
    public private(set) var referenceFallbacks: [String] = []

    public struct Step {
        public var node: Int
        public var name: String
        public var flops: Double
        public var bytes: Int
        public var usesReference: Bool
        let thunk: KernelThunk
    }

    let arena: UnsafeMutableRawPointer
    var persistent: [UnsafeMutableRawPointer] = []
    /// Pointer to every value's buffer.
    let pointers: [UnsafeMutableRawPointer]
    let stateByName: [String: ValueID]
    let inputByName: [String: ValueID]
    let outputByName: [String: ValueID]
    /// Copies of assigned states that are also read as results (an output, or the value of another assignment):
    /// results see a state's value from before the run, so it is saved before the assignments overwrite it.
    let snapshots: [Int: UnsafeMutableRawPointer]
    let failure = FailureSlot()
    /// Optional per-step timing (see Profiler).
    public var profiler: Profiler?

    /// A problem at run time that a kernel could not throw itself (reference fallback errors).
    final class FailureSlot { var error: Error? }

    public struct BindingError: Error, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }

    /// Lowers `graph` (already optimised and scheduled: its node order is the execution order) with the given
    /// memory plan; by default the planner's (MemoryPlanner: shared arena slots, in-place updates, state buffers).
    public init(graph: Graph, plan: MemoryPlan? = nil, pool: ThreadPool = .shared) throws {
        try OpRegistry.verify(graph)
        self.graph = graph
        let plan = plan ?? MemoryPlanner().plan(graph).plan
        let n = graph.nodes.count
        try Executable.validate(plan, graph)
        self.plan = plan
        arena = .allocate(byteCount: max(plan.arenaBytes, MemoryPlan.alignment), alignment: MemoryPlan.alignment)
        arena.initializeMemory(as: UInt8.self, repeating: 0, count: max(plan.arenaBytes, MemoryPlan.alignment))
        var slots = [UnsafeMutableRawPointer?](repeating: nil, count: n)
        var persistent: [UnsafeMutableRawPointer] = []
        var states: [String: ValueID] = [:], inputs: [String: ValueID] = [:]
        for (i, node) in graph.nodes.enumerated() {
            if let offset = plan.offsets[i] {
                slots[i] = arena + offset
            } else if plan.stateBuffers[i] == nil {
                let p = UnsafeMutableRawPointer.allocate(byteCount: max(node.type.byteCount, 1), alignment: MemoryPlan.alignment)
                p.initializeMemory(as: UInt8.self, repeating: 0, count: max(node.type.byteCount, 1))
                persistent.append(p)
                slots[i] = p
                if node.op == LeafOp.constant.rawValue {
                    TensorBuffer.write(HostTensor(node.type, try ConstantValue.values(of: node)).rounded(), to: p)
                }
            }
            if case .string(let name)? = node.attributes["name"] {
                if node.op == LeafOp.state.rawValue { states[name] = ValueID(i) }
                if node.op == LeafOp.input.rawValue { inputs[name] = ValueID(i) }
            }
        }
        // Values computed in their state's persistent buffer (the plan skips their arena slot and end-of-run copy).
        for i in 0..<n { if let s = plan.stateBuffers[i] { slots[i] = slots[s.index] } }
        let pointers = slots.compactMap { $0 }
        precondition(pointers.count == n, "a validated memory plan gives every value a buffer")
        self.pointers = pointers
        let assigned = Set(graph.assignments.map(\.state.index))
        var snapshots: [Int: UnsafeMutableRawPointer] = [:]
        for v in graph.outputs.map(\.value.index) + graph.assignments.map(\.value.index)
        where assigned.contains(v) && snapshots[v] == nil {
            let bytes = max(graph.nodes[v].type.byteCount, 1)
            let copy = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: MemoryPlan.alignment)
            copy.initializeMemory(as: UInt8.self, repeating: 0, count: bytes)
            snapshots[v] = copy
            persistent.append(copy)
        }
        self.snapshots = snapshots
        self.persistent = persistent
        stateByName = states
        inputByName = inputs
        outputByName = Dictionary(graph.outputs.map { ($0.name, $0.value) }, uniquingKeysWith: { a, _ in a })
        let context = KernelContext(pool: pool)
        for (i, node) in graph.nodes.enumerated() where !node.isLeaf {
            guard let op = OpRegistry.op(named: node.op) else { throw BindingError(message: "unknown op \(node.op)") }
            let inputTypes = node.inputs.map { graph.type(of: $0) }
            let buffers = KernelBuffers(inputs: node.inputs.map { pointers[$0.index] }, output: pointers[i],
                                        scratch: plan.scratchOffsets[i].map { arena + $0 })
            var thunk = try op.kernel(node, inputTypes, buffers, context)
            let usesReference = thunk == nil
            if usesReference {
                thunk = Executable.referenceThunk(op, node, inputTypes, buffers, failure)
                referenceFallbacks.append(node.op)
            }
            let bytes = inputTypes.reduce(node.type.byteCount) { $0 + $1.byteCount }
            steps.append(Step(node: i, name: node.op, flops: op.flops(node, inputTypes), bytes: bytes,
                              usesReference: usesReference, thunk: thunk!))
        }
    }

    /// Checks that a plan fits the graph (a caller may pass any plan).
    static func validate(_ plan: MemoryPlan, _ graph: Graph) throws {
        let n = graph.nodes.count
        guard plan.offsets.count == n, plan.scratchOffsets.count == n, plan.stateBuffers.count == n else {
            throw BindingError(message: "memory plan covers \(plan.offsets.count) values, the graph has \(n)")
        }
        let scratch = MemoryPlan.scratchBytes(graph)
        for (i, node) in graph.nodes.enumerated() {
            if scratch[i] > 0 {
                guard let offset = plan.scratchOffsets[i], offset >= 0, offset % MemoryPlan.alignment == 0,
                      offset + scratch[i] <= plan.arenaBytes else {
                    throw BindingError(message: "memory plan gives %\(i) (\(node.op)) no room for \(scratch[i]) scratch bytes")
                }
            }
            if let offset = plan.offsets[i], offset < 0 || offset % MemoryPlan.alignment != 0
                || offset + node.type.byteCount > plan.arenaBytes {
                throw BindingError(message: "memory plan puts %\(i) (\(node.type.byteCount) bytes) at \(offset) in a \(plan.arenaBytes)-byte arena")
            }
            guard let s = plan.stateBuffers[i] else { continue }
            guard plan.offsets[i] == nil, !node.isLeaf, s.index >= 0, s.index < n,
                  graph.nodes[s.index].op == LeafOp.state.rawValue, graph.nodes[s.index].type == node.type else {
                throw BindingError(message: "memory plan puts %\(i) in the buffer of %\(s.index), which is not a state of type \(node.type)")
            }
        }
    }

    deinit {
        arena.deallocate()
        for p in persistent { p.deallocate() }
    }

    private static func referenceThunk(_ op: any Op.Type, _ node: Node, _ inputTypes: [TensorType],
                                       _ buffers: KernelBuffers, _ failure: FailureSlot) -> KernelThunk {
        return {
            do {
                let inputs = zip(buffers.inputs, inputTypes).map { TensorBuffer.read($0, $1) }
                TensorBuffer.write(try op.reference(inputs, node).rounded(), to: buffers.output)
            } catch {
                if failure.error == nil { failure.error = error }
            }
        }
    }

    // MARK: Running

    /// Runs every kernel once, then applies the state assignments. Inputs must have been written first.
    public func run() throws {
        if let profiler {
            profiler.record(self)
        } else {
            for step in steps { step.thunk() }
        }
        if let error = failure.error {
            failure.error = nil
            throw error
        }
        for (v, copy) in snapshots { copy.copyMemory(from: pointers[v], byteCount: graph.nodes[v].type.byteCount) }
        for a in graph.assignments where pointers[a.state.index] != result(a.value) {
            pointers[a.state.index].copyMemory(from: result(a.value), byteCount: graph.type(of: a.value).byteCount)
        }
    }

    func runStep(_ index: Int) { steps[index].thunk() }
    /// Runs one kernel (tests measure kernels one by one).
    public func runStepForTesting(_ index: Int) { steps[index].thunk() }

    /// Where a result (output or assigned value) is read after a run.
    func result(_ v: ValueID) -> UnsafeMutableRawPointer { snapshots[v.index] ?? pointers[v.index] }

    /// Convenience: writes the inputs, runs, and reads back the named outputs (allocates; use the buffer accessors
    /// in training loops).
    @discardableResult
    public func run(_ inputs: [String: HostTensor]) throws -> [String: HostTensor] {
        for (name, value) in inputs { try setInput(name, value) }
        try run()
        var out: [String: HostTensor] = [:]
        for o in graph.outputs { out[o.name] = TensorBuffer.read(result(o.value), graph.type(of: o.value)) }
        return out
    }

    // MARK: Buffers

    public var inputNames: [String] { inputByName.keys.sorted() }
    public var stateNames: [String] { stateByName.keys.sorted() }

    public func inputType(_ name: String) -> TensorType? { inputByName[name].map { graph.type(of: $0) } }
    public func stateType(_ name: String) -> TensorType? { stateByName[name].map { graph.type(of: $0) } }

    /// The buffer of an input, to be filled before `run()`. Inputs the graph does not use are ignored (nil).
    public func inputBuffer(_ name: String) -> UnsafeMutableRawPointer? { inputByName[name].map { pointers[$0.index] } }

    public func setInput(_ name: String, _ value: HostTensor) throws {
        guard let id = inputByName[name] else { return }
        guard graph.type(of: id) == value.type else {
            throw BindingError(message: "input '\(name)' expects \(graph.type(of: id)), got \(value.type)")
        }
        TensorBuffer.write(value.rounded(), to: pointers[id.index])
    }

    /// Copies Float values into an f32 input.
    public func setInput(_ name: String, floats: UnsafeBufferPointer<Float>) throws {
        guard let id = inputByName[name] else { return }
        let t = graph.type(of: id)
        guard t.dtype == .f32, t.count == floats.count else {
            throw BindingError(message: "input '\(name)' expects \(t), got \(floats.count) floats")
        }
        if let base = floats.baseAddress { pointers[id.index].copyMemory(from: base, byteCount: t.byteCount) }
    }

    public func state(_ name: String) -> HostTensor? {
        stateByName[name].map { TensorBuffer.read(pointers[$0.index], graph.type(of: $0)) }
    }

    public func stateBuffer(_ name: String) -> UnsafeMutableRawPointer? { stateByName[name].map { pointers[$0.index] } }

    public func setState(_ name: String, _ value: HostTensor) throws {
        guard let id = stateByName[name] else { throw BindingError(message: "no state named '\(name)'") }
        guard graph.type(of: id) == value.type else {
            throw BindingError(message: "state '\(name)' expects \(graph.type(of: id)), got \(value.type)")
        }
        TensorBuffer.write(value.rounded(), to: pointers[id.index])
    }

    public func output(_ name: String) -> HostTensor? {
        outputByName[name].map { TensorBuffer.read(result($0), graph.type(of: $0)) }
    }

    /// The buffer of an output (valid until the next run).
    public func outputBuffer(_ name: String) -> UnsafeRawPointer? { outputByName[name].map { UnsafeRawPointer(result($0)) } }

    /// A scalar f32/f64 output read without allocating.
    public func scalarOutput(_ name: String) -> Double? {
        guard let id = outputByName[name], graph.type(of: id).count == 1 else { return nil }
        let p = result(id)
        switch graph.type(of: id).dtype {
        case .f32: return Double(p.load(as: Float.self))
        case .f64: return p.load(as: Double.self)
        case .i32: return Double(p.load(as: Int32.self))
        case .i64: return Double(p.load(as: Int64.self))
        case .bool: return p.load(as: UInt8.self) != 0 ? 1 : 0
        }
    }
}
