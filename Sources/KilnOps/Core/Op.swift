// The op protocol: everything Kiln knows about a primitive lives in one file that conforms to it —
// its name, fusion kind, shape rule, VJP (built from other ops), reference kernel (Double) and fast kernel (f32).
// Adding an op: docs/adding-an-op.md.

import KilnIR
import KilnKernels

/// How an op may take part in fusion (after TVM's OpPatternKind lattice; lower kinds fuse more freely).
public enum FusionKind: Int, Comparable, Sendable, CaseIterable {
    /// Output element i depends only on input element i (after broadcasting): add, exp, select.
    case elementwise
    /// Elementwise with a broadcast input; reads inputs through index maps.
    case broadcast
    /// A fixed index map from input to output: reshape, transpose, slice, pad, concat.
    case injective
    /// Reduces over axes: sum, max, mean.
    case reduction
    /// A GEMM-like op whose output can absorb an elementwise epilogue: matmul, conv2d.
    case epilogueFusable
    /// Anything else (pooling windows, gathers, random numbers).
    case opaque

    public static func < (a: FusionKind, b: FusionKind) -> Bool { a.rawValue < b.rawValue }
}

/// A primitive op. All requirements are static: an op is a namespace of functions, its attributes live on nodes.
public protocol Op {
    /// The snake_case name used in the IR text.
    static var name: String { get }
    static var fusion: FusionKind { get }

    /// The output type for the given inputs and attributes. Throws (typically `ShapeError`) when they do not fit.
    static func inferType(_ inputs: [TensorType], _ attributes: Attributes) throws -> TensorType

    /// Cotangents for each input given the output's cotangent `c.grad`, built as graph nodes. `nil` marks an input
    /// that gets no gradient (integer operands, indices, non-differentiable ops). A cotangent may have the
    /// broadcast output shape: the autodiff pass sums it down to the input's shape.
    static func vjp(_ c: VJPContext, _ b: inout GraphBuilder) throws -> [ValueID?]

    /// The reference kernel: exact semantics in Double, used by the interpreter and the gradient checks.
    static func reference(_ inputs: [HostTensor], _ node: Node) throws -> HostTensor

    /// Bytes of scratch memory the fast kernel needs while it runs (planned in the arena).
    static func scratchBytes(_ node: Node, _ inputTypes: [TensorType]) -> Int

    /// The fast kernel bound to fixed buffers: returns a thunk the executor calls every step. The thunk must not
    /// allocate. `nil` means the op has no fast kernel for this node and the executor runs the reference.
    static func kernel(_ node: Node, _ inputTypes: [TensorType], _ buffers: KernelBuffers,
                       _ context: KernelContext) throws -> KernelThunk?

    /// Floating-point operations of one execution (for the profiler and `zoo bench`).
    static func flops(_ node: Node, _ inputTypes: [TensorType]) -> Double
}

extension Op {
    public static func scratchBytes(_ node: Node, _ inputTypes: [TensorType]) -> Int { 0 }
    public static func kernel(_ node: Node, _ inputTypes: [TensorType], _ buffers: KernelBuffers,
                              _ context: KernelContext) throws -> KernelThunk? { nil }
    public static func flops(_ node: Node, _ inputTypes: [TensorType]) -> Double { Double(node.type.count) }

    /// A `ShapeError` for this op.
    public static func shapeError(_ inputs: [TensorType], _ message: String) -> ShapeError {
        ShapeError(op: name, inputs: inputs, message: message)
    }

    /// Checks the operand count.
    public static func expectArity(_ inputs: [TensorType], _ n: Int) throws {
        guard inputs.count == n else { throw shapeError(inputs, "takes \(n) operand\(n == 1 ? "" : "s"), got \(inputs.count)") }
    }
}

/// What a VJP sees of the forward node.
public struct VJPContext {
    /// The forward node (op, attributes, operand ids).
    public var node: Node
    /// The forward node's own value.
    public var output: ValueID
    /// The cotangent of `output`.
    public var grad: ValueID
    public var inputTypes: [TensorType]
    /// Which inputs need a cotangent; a VJP may skip building the others (returning nil for them).
    public var wants: [Bool]

    public init(node: Node, output: ValueID, grad: ValueID, inputTypes: [TensorType], wants: [Bool]? = nil) {
        self.node = node
        self.output = output
        self.grad = grad
        self.inputTypes = inputTypes
        self.wants = wants ?? [Bool](repeating: true, count: inputTypes.count)
    }

    public var inputs: [ValueID] { node.inputs }
    public var attributes: Attributes { node.attributes }
    public var outputType: TensorType { node.type }
}

/// Raw pointers to a node's operands, output and scratch, fixed for the lifetime of an executable.
public struct KernelBuffers {
    public var inputs: [UnsafeMutableRawPointer]
    public var output: UnsafeMutableRawPointer
    public var scratch: UnsafeMutableRawPointer?

    public init(inputs: [UnsafeMutableRawPointer], output: UnsafeMutableRawPointer, scratch: UnsafeMutableRawPointer?) {
        self.inputs = inputs
        self.output = output
        self.scratch = scratch
    }

    public func input<T>(_ i: Int, as: T.Type = Float.self) -> UnsafeMutablePointer<T> { inputs[i].assumingMemoryBound(to: T.self) }
    public func output<T>(as: T.Type = Float.self) -> UnsafeMutablePointer<T> { output.assumingMemoryBound(to: T.self) }
    public func scratch<T>(as: T.Type = Float.self) -> UnsafeMutablePointer<T>? { scratch?.assumingMemoryBound(to: T.self) }
}

/// Shared resources kernels may use.
public struct KernelContext {
    public var pool: ThreadPool
    public init(pool: ThreadPool) { self.pool = pool }
}

/// A kernel bound to its buffers; calling it runs the op once.
public typealias KernelThunk = () -> Void
