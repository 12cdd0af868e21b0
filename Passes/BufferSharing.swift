// Which values share storage: the step of memory planning between liveness and offset assignment.
//
// Contract: given a scheduled graph and its liveness, every value gets a storage:
//   - `.persistent`: states and constants (their own buffers, outside the arena);
//   - `.state(s)`: a value assigned to state `s`, computed directly in s's persistent buffer (no arena bytes, no
//     end-of-run copy). Allowed when the value is computed by a kernel, is the only value assigned to `s`, and every
//     reader of `s` runs before it — or is its own node, when that node is elementwise (it reads each element before
//     writing it). No output or assignment may read `s` itself (they would see the new value);
//   - `.arena(b)`: a heap buffer. A value normally opens its own buffer, except:
//       in place — an elementwise node (an elementwise op, or a fused node whose plan is an elementwise tile
//       program) whose operand has the same size and element count and whose buffer dies at this node (every value
//       in it has its last use here) writes its result over that operand;
//       views — a reshape shares its operand's buffer (its kernel then copies nothing); the buffer stays live until
//       every value in it is dead, so a later in-place writer can only take it once the reshape and its operand
//       are both dead.
// A buffer's interval is the union of its values' intervals. Each node's scratch is one more buffer, live only at
// that node. The result feeds a HeapStrategy; sizes are multiples of MemoryPlan.alignment.

import KilnIR
import KilnOps

public struct BufferSharing: Sendable {
    public enum Storage: Hashable, Sendable {
        case persistent
        case state(ValueID)
        case arena(Int)
    }

    /// How a value came to share a buffer (for annotations and tests).
    public enum Sharing: Hashable, Sendable {
        /// Written over operand `operand`, which dies at this node.
        case inPlace(operand: ValueID)
        /// A reshape that aliases its operand.
        case view(of: ValueID)
    }

    public let storage: [Storage]
    public let sharing: [Sharing?]
    /// Arena buffers: values first (in order of opening), then scratch.
    public let buffers: [HeapBuffer]
    /// The scratch buffer of each node.
    public let scratchBuffer: [Int?]

    /// Options for experiments and tests: in-place writes and state buffers can be turned off.
    public struct Options: Sendable {
        public var inPlace = true
        public var views = true
        public var stateBuffers = true
        public init(inPlace: Bool = true, views: Bool = true, stateBuffers: Bool = true) {
            self.inPlace = inPlace
            self.views = views
            self.stateBuffers = stateBuffers
        }
    }

    public init(_ graph: Graph, liveness: Liveness, options: Options = Options()) {
        let n = graph.nodes.count
        let stateOf = options.stateBuffers ? BufferSharing.stateBuffers(graph, liveness) : [:]
        var storage = [Storage](repeating: .persistent, count: n)
        var sharing = [Sharing?](repeating: nil, count: n)
        var buffers: [HeapBuffer] = []
        var scratchBuffer = [Int?](repeating: nil, count: n)

        for (t, node) in graph.nodes.enumerated() {
            if let live = liveness.values[t] {
                let size = MemoryPlan.slotBytes(node.type)
                if let s = stateOf[t] {
                    storage[t] = .state(s)
                } else if let (operand, b) = BufferSharing.shareable(graph, t, buffers, storage, size, options) {
                    storage[t] = .arena(b)
                    sharing[t] = node.op == Reshape.name ? .view(of: operand) : .inPlace(operand: operand)
                    buffers[b].live.end = max(buffers[b].live.end, live.end)
                } else {
                    storage[t] = .arena(buffers.count)
                    buffers.append(HeapBuffer(size: size, live: live))
                }
            }
        }
        for t in 0..<n {
            if let live = liveness.scratch(t) {
                scratchBuffer[t] = buffers.count
                buffers.append(HeapBuffer(size: MemoryPlan.align(liveness.scratchBytes[t]), live: live))
            }
        }
        self.storage = storage
        self.sharing = sharing
        self.buffers = buffers
        self.scratchBuffer = scratchBuffer
    }

    /// Whether node `node` may write its result over an operand that dies here (see the header).
    public static func isInPlaceCapable(_ node: Node) -> Bool {
        guard let op = OpRegistry.op(named: node.op) else { return false }
        if op.fusion == .elementwise { return true }
        // NOTE: a fused node is in-place capable only when its kernel is the elementwise tile engine, which reads
        // every element of a tile before writing that tile's results (a fused reduction is not).
        guard node.op == Fused.name, case .graph(let body)? = node.attributes["body"] else { return false }
        return Fused.plan(body)?.kind == .elementwise
    }

    /// The operand and buffer node `t` may share, if any.
    static func shareable(_ graph: Graph, _ t: Int, _ buffers: [HeapBuffer], _ storage: [Storage], _ size: Int,
                          _ options: Options) -> (ValueID, Int)? {
        let node = graph.nodes[t]
        if node.op == Reshape.name {
            guard options.views, case .arena(let b) = storage[node.inputs[0].index] else { return nil }
            return (node.inputs[0], b)
        }
        guard options.inPlace, isInPlaceCapable(node) else { return nil }
        for x in node.inputs {
            guard case .arena(let b) = storage[x.index] else { continue }
            let type = graph.type(of: x)
            if buffers[b].live.end == t, buffers[b].size == size, type.byteCount == node.type.byteCount,
               type.count == node.type.count {
                return (x, b)
            }
        }
        return nil
    }

    /// Values that can be computed in their state's persistent buffer, keyed by value index.
    static func stateBuffers(_ graph: Graph, _ liveness: Liveness) -> [Int: ValueID] {
        var assignedCount: [Int: Int] = [:]
        for a in graph.assignments {
            assignedCount[a.state.index, default: 0] += 1
            assignedCount[a.value.index, default: 0] += 1
        }
        // States read after the run (by an output, or as the value of an assignment) must keep their old value.
        var readAtEnd = Set(graph.outputs.map(\.value.index))
        for a in graph.assignments { readAtEnd.insert(a.value.index) }
        var result: [Int: ValueID] = [:]
        for a in graph.assignments {
            let v = a.value.index, s = a.state.index
            let node = graph.nodes[v]
            guard liveness.values[v] != nil, !node.isLeaf, node.op != Reshape.name,
                  assignedCount[v] == 1, assignedCount[s] == 1, !readAtEnd.contains(s),
                  graph.nodes[s].op == LeafOp.state.rawValue, graph.nodes[s].type == node.type else { continue }
            let readersOK = liveness.readers[s].allSatisfy { r in r < v || (r == v && isInPlaceCapable(node)) }
            if readersOK { result[v] = a.state }
        }
        return result
    }
}
