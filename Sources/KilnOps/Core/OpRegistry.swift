// Every primitive op, sorted by name. A test checks this list against the op files and gradient-checks each entry.

import KilnIR

public enum OpRegistry {
    public static let all: [any Op.Type] = [
        Abs.self, Add.self, Anchors.self, ArgMax.self, AvgPool2D.self, AvgPool2DBackward.self, BoxDecode.self,
        BoxEncode.self, BoxIoU.self, Broadcast.self, Cast.self, Concat.self, Conv2D.self, Conv2DBackwardData.self,
        Conv2DBackwardWeights.self, Div.self, DynamicSlice.self, DynamicUpdateSlice.self, Equal.self, Exp.self,
        Fused.self, FusedConv2D.self, Gather.self, GlobalAvgPool.self, Greater.self, GreaterEqual.self, Less.self,
        LessEqual.self, Log.self, MatMul.self, Match.self, MaxPool2D.self, MaxPool2DBackward.self, MaxPool2DGather.self,
        Maximum.self, Minimum.self, Mul.self, Neg.self, NonMaxSuppression.self, NotEqual.self, Pad.self, Pow.self,
        RandomNormal.self, RandomUniform.self, ReLU.self, ReduceMax.self, ReduceMean.self, ReduceSum.self, Reshape.self,
        RoIAlign.self, RoIAlignBackward.self, Rsqrt.self, SampleLabels.self, ScatterAdd.self, Select.self, Sigmoid.self,
        Slice.self, Sqrt.self, StopGradient.self, Sub.self, Tanh.self, TopK.self, Transpose.self, Upsample.self,
        UpsampleBackward.self,
    ]

    private static let table: [String: any Op.Type] = Dictionary(uniqueKeysWithValues: all.map { ($0.name, $0) })

    /// The op with this IR name.
    public static func op(named name: String) -> (any Op.Type)? { table[name] }

    /// The type rule for the verifier: leaves keep their declared type (constants are checked against their
    /// values); other nodes get their op's inferred type.
    public static func inferType(_ node: Node, _ inputTypes: [TensorType]) throws -> TensorType {
        switch LeafOp(rawValue: node.op) {
        case .constant?:
            _ = try ConstantValue.values(of: node)
            return node.type
        case .input?, .state?:
            return node.type
        case nil:
            guard let op = table[node.op] else {
                throw ShapeError(op: node.op, inputs: inputTypes, message: "unknown op '\(node.op)'", location: node.location)
            }
            do {
                return try op.inferType(inputTypes, node.attributes)
            } catch var error as ShapeError {
                if error.location == nil { error.location = node.location }
                throw error
            } catch {
                throw ShapeError(op: node.op, inputs: inputTypes, message: "\(error)", location: node.location)
            }
        }
    }

    /// Verifies `graph` with full type checking.
    public static func verify(_ graph: Graph) throws(VerifierError) {
        try Verifier.verify(graph, typeRule: inferType)
    }
}
