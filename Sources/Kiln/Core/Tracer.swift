// Tracing: running DSL code on symbolic tensors records a graph. Shape errors do not trap: the first one is kept
// (with the DSL call site) and thrown when tracing ends; later ops are skipped and yield placeholder tensors.

import Foundation
import KilnIR
import KilnOps

public final class Tracer {
    /// The tracer of the trace in progress on this thread (each trace is single-threaded). Thread-local, because
    /// independent traces run concurrently (parallel tests, a loader thread building a step): with one global, one
    /// trace's layers would record their call sites in another's.
    public static var current: Tracer? {
        get { Thread.current.threadDictionary[currentKey] as? Tracer }
        set { Thread.current.threadDictionary[currentKey] = newValue }
    }
    private static let currentKey = "kiln.tracer.current"

    public internal(set) var builder: GraphBuilder
    /// Whether layers run in training mode (batch statistics, dropout).
    public let training: Bool
    /// Training-mode BatchNorm layers normalise this many equal sub-batches separately (split / ghost BN).
    public private(set) var batchNormGroups = 1

    /// Runs `body` with BatchNorm layers using `groups` sub-batches (MoCo's shuffle-BN emulation).
    public func withBatchNormGroups<T>(_ groups: Int, _ body: () -> T) -> T {
        let saved = batchNormGroups
        batchNormGroups = groups
        defer { batchNormGroups = saved }
        return body()
    }

    /// The first error met while tracing.
    public private(set) var error: Error?
    /// Dotted names of the parameters reachable from the traced model(s).
    var parameterNames: [ObjectIdentifier: String] = [:]
    var parameters: [ObjectIdentifier: Parameter] = [:]
    /// The `state` node of each parameter used so far.
    private var parameterValues: [ObjectIdentifier: ValueID] = [:]
    /// Values that replace a parameter's state for the rest of the trace (momentum-updated key encoders).
    private var overrides: [ObjectIdentifier: ValueID] = [:]
    /// State updates recorded by layers (BN running statistics), applied when the step runs.
    private(set) var updates: [(Parameter, ValueID)] = []
    private var callSites: [SourceLocation] = []
    private var stepCounterValue: ValueID?
    private var nextRandomSeed = 1

    init(name: String, training: Bool) {
        builder = GraphBuilder(name: name)
        self.training = training
    }

    /// Traces `body`; returns the graph or throws the first error.
    public static func trace(name: String, training: Bool, models: [any Module] = [],
                             _ body: (Tracer) throws -> Void) throws -> (Graph, Tracer) {
        let tracer = Tracer(name: name, training: training)
        for model in models { try tracer.register(model) }
        let previous = current
        current = tracer
        defer { current = previous }
        try body(tracer)
        tracer.finishUpdates()
        tracer.finishStepCounter()
        if let error = tracer.error { throw error }
        return (tracer.builder.graph, tracer)
    }

    /// Makes the parameters of `model` (and their dotted names) known to this trace.
    public func register(_ model: any Module, prefix: String = "") throws {
        for (name, p) in try model.namedParameters(prefix: prefix) {
            parameterNames[ObjectIdentifier(p)] = name
            parameters[ObjectIdentifier(p)] = p
        }
    }

    // MARK: Recording

    /// Runs a builder operation at the current call site; on error, records it and returns a placeholder.
    func record(_ fallback: TensorType, file: String? = nil, line: Int? = nil,
                _ op: (inout GraphBuilder) throws -> ValueID) -> Tensor {
        guard error == nil else { return placeholder(fallback) }
        let saved = builder.location
        if let file, let line { builder.location = SourceLocation(file: file, line: line) }
        else { builder.location = callSites.last }
        defer { builder.location = saved }
        do {
            let id = try op(&builder)
            return Tensor(id: id, type: builder.type(of: id), tracer: self)
        } catch {
            self.error = error
            return placeholder(fallback)
        }
    }

    /// A stand-in of the expected type after an error (never executed: tracing throws at the end).
    private func placeholder(_ type: TensorType) -> Tensor {
        Tensor(id: builder.constant(0, type), type: type, tracer: self)
    }

    /// Records an error raised by DSL code itself (e.g. a layer's own argument check).
    public func fail(_ error: Error) { if self.error == nil { self.error = error } }

    func withCallSite<T>(_ file: String, _ line: Int, _ body: () -> T) -> T {
        callSites.append(SourceLocation(file: file, line: line))
        defer { callSites.removeLast() }
        return body()
    }

    /// The current DSL call site, if any.
    public var callSite: SourceLocation? { callSites.last }

    // MARK: Leaves

    /// A fed input.
    public func input(_ name: String, _ type: TensorType) -> Tensor {
        Tensor(id: builder.input(name, type), type: type, tracer: self)
    }

    /// A constant tensor (a splat when `values` has one element).
    public func constant(_ values: [Double], _ type: TensorType) -> Tensor {
        let id = values.count == 1 ? builder.constant(values[0], type) : builder.constant(values: values, type)
        return Tensor(id: id, type: type, tracer: self)
    }

    /// Marks `tensor` as a named output of the traced graph.
    public func output(_ name: String, _ tensor: Tensor) { builder.output(name, tensor.id) }

    /// The value of a parameter or buffer in this trace (a `state` node, created on first use).
    public func value(of parameter: Parameter) -> Tensor {
        let key = ObjectIdentifier(parameter)
        if let id = overrides[key] ?? parameterValues[key] { return Tensor(id: id, type: builder.type(of: id), tracer: self) }
        guard let name = parameterNames[key] else {
            fail(ModelError.unregisteredParameter(shape: parameter.shape, site: callSite))
            return placeholder(parameter.type)
        }
        let id = builder.state(name, parameter.type)
        parameterValues[key] = id
        return Tensor(id: id, type: parameter.type, tracer: self)
    }

    /// Parameters used by the trace, with their state ids, in first-use order.
    public var usedParameters: [(name: String, parameter: Parameter, value: ValueID)] {
        parameterValues.sorted { $0.value < $1.value }.compactMap { key, id in
            guard let p = parameters[key], let name = parameterNames[key] else { return nil }
            return (name, p, id)
        }
    }

    /// Sets `parameter` to `value`: later uses in this trace read `value`, and the parameter holds it after the
    /// step (the last update wins). A layer called twice in one step (DetCo's backbone on global and local views)
    /// thus updates its BN running statistics twice, in order, as PyTorch does; a momentum encoder is updated
    /// before its forward pass (MoCo: θk ← m·θk + (1−m)·θq).
    public func update(_ parameter: Parameter, to value: Tensor) {
        guard error == nil else { return }
        _ = self.value(of: parameter)
        updates.append((parameter, value.id))
        overrides[ObjectIdentifier(parameter)] = value.id
    }

    /// The same as `update(_:to:)`; reads as "from now on this parameter is".
    public func rebind(_ parameter: Parameter, to value: Tensor) { update(parameter, to: value) }

    /// A scalar i64 state counting executed steps; random ops use it so every step draws fresh numbers.
    public var stepCounter: Tensor {
        if let id = stepCounterValue { return Tensor(id: id, type: builder.type(of: id), tracer: self) }
        let id = builder.state(Tracer.stepCounterName, TensorType(.i64, []))
        stepCounterValue = id
        return Tensor(id: id, type: TensorType(.i64, []), tracer: self)
    }

    public static let stepCounterName = "kiln.step"

    private var stepCounterFinished = false

    /// Appends the step-counter increment if the counter was used (once).
    func finishStepCounter() {
        guard let id = stepCounterValue, error == nil, !stepCounterFinished else { return }
        stepCounterFinished = true
        do {
            let next = try builder.add(id, builder.scalar(1, .i64))
            builder.assign(id, next)
        } catch { fail(error) }
    }

    /// A distinct seed for each random op of this trace (deterministic in trace order).
    public func nextSeed() -> Int {
        defer { nextRandomSeed += 1 }
        return nextRandomSeed
    }

    /// Appends the recorded state updates as assignments (the last update of each parameter).
    func finishUpdates() {
        var last: [ObjectIdentifier: ValueID] = [:]
        var order: [ObjectIdentifier] = []
        for (p, v) in updates {
            let key = ObjectIdentifier(p)
            if last[key] == nil { order.append(key) }
            last[key] = v
        }
        for key in order {
            if let id = parameterValues[key], let v = last[key] { builder.assign(id, v) }
        }
        updates.removeAll()
    }
}

/// Errors in how a model is put together (as opposed to shape errors in what it computes).
public enum ModelError: Error, CustomStringConvertible {
    case unregisteredParameter(shape: [Int], site: SourceLocation?)
    case uninitialized(String)
    case duplicateName(String)
    case missingInput(String)

    public var description: String {
        switch self {
        case .unregisteredParameter(let shape, let site):
            return (site.map { "\($0): " } ?? "") + "a parameter of shape \(shape) is used but is not a stored property of the traced model"
        case .uninitialized(let name):
            return "parameter '\(name)' has no value: call initialize(seed:) on the model or load a checkpoint"
        case .duplicateName(let name):
            return "two parameters are both named '\(name)'"
        case .missingInput(let name):
            return "no value was given for input '\(name)'"
        }
    }
}
