// A chain of Tensor → Tensor layers, built with a result builder. Children are named "0", "1", ... as in
// torch.nn.Sequential, so checkpoints line up.

public final class Sequential: Layer, ChildNaming {
    public let layers: [any Layer<Tensor, Tensor>]

    public init(_ layers: [any Layer<Tensor, Tensor>]) { self.layers = layers }
    public init(@SequentialBuilder _ build: () -> [any Layer<Tensor, Tensor>]) { layers = build() }

    public func forward(_ input: Tensor) -> Tensor {
        layers.reduce(input) { x, layer in layer(x) }
    }

    public var namedChildren: [(String, Any)] { layers.enumerated().map { ("\($0.offset)", $0.element as Any) } }
    public var count: Int { layers.count }
}

@resultBuilder
public enum SequentialBuilder {
    public static func buildExpression(_ layer: any Layer<Tensor, Tensor>) -> [any Layer<Tensor, Tensor>] { [layer] }
    public static func buildBlock(_ parts: [any Layer<Tensor, Tensor>]...) -> [any Layer<Tensor, Tensor>] { parts.flatMap { $0 } }
    public static func buildOptional(_ part: [any Layer<Tensor, Tensor>]?) -> [any Layer<Tensor, Tensor>] { part ?? [] }
    public static func buildEither(first: [any Layer<Tensor, Tensor>]) -> [any Layer<Tensor, Tensor>] { first }
    public static func buildEither(second: [any Layer<Tensor, Tensor>]) -> [any Layer<Tensor, Tensor>] { second }
    public static func buildArray(_ parts: [[any Layer<Tensor, Tensor>]]) -> [any Layer<Tensor, Tensor>] { parts.flatMap { $0 } }
}
