// sample_labels(labels, [counter]) {num, positive_fraction, seed}: detectron2's subsample_labels for every row
// of labels (…, N) i32 with 1 = foreground, 0 = background, −1 = ignore (rules and randomness in
// KilnKernels/Detection/LabelSampling.swift): each row keeps at most num · positive_fraction positives and fills
// up to `num` with negatives, chosen uniformly at random; the rest become −1. The draw is a pure function of
// (seed, counter, element index): pass a step counter (scalar i32/i64 state) for a fresh draw every step that
// repeats exactly on resume. No gradient.

import KilnIR
import KilnKernels

public enum SampleLabels: Op {
    public static let name = "sample_labels"
    public static let fusion = FusionKind.opaque

    struct Config {
        var num: Int
        var positiveFraction: Double
        var seed: UInt64
        var rows, n: Int

        init(_ inputs: [TensorType], _ attributes: Attributes) throws {
            guard inputs.count == 1 || inputs.count == 2 else {
                throw SampleLabels.shapeError(inputs, "takes labels and an optional step counter, got \(inputs.count) operands")
            }
            guard inputs[0].dtype == .i32, inputs[0].rank >= 1 else { throw SampleLabels.shapeError(inputs, "labels must be i32 (…, N)") }
            if inputs.count == 2 {
                try DetectionShapes.integer(inputs[1], shape: [], "the counter", op: SampleLabels.name, inputs: inputs)
            }
            num = try attributes.int("num")
            positiveFraction = try attributes.float("positive_fraction")
            seed = UInt64(bitPattern: Int64(try attributes.int("seed")))
            guard num >= 0 else { throw SampleLabels.shapeError(inputs, "num \(num) must not be negative") }
            guard positiveFraction >= 0 && positiveFraction <= 1 else {
                throw SampleLabels.shapeError(inputs, "positive_fraction \(positiveFraction) must be in [0, 1]")
            }
            n = inputs[0].shape[inputs[0].rank - 1]
            rows = n == 0 ? 0 : inputs[0].count / n
        }
    }

    public static func inferType(_ inputs: [TensorType], _ attributes: Attributes) throws -> TensorType {
        _ = try Config(inputs, attributes)
        return inputs[0]
    }

    public static func vjp(_ c: VJPContext, _ b: inout GraphBuilder) throws -> [ValueID?] { c.inputs.map { _ in nil } }

    public static func reference(_ inputs: [HostTensor], _ node: Node) throws -> HostTensor {
        let c = try Config(inputs.map(\.type), node.attributes)
        let stream = UInt64(bitPattern: Int64(inputs.count > 1 ? inputs[1].data[0] : 0))
        let labels = inputs[0].data.map { Int($0) }
        var out: [Double] = []
        out.reserveCapacity(labels.count)
        for r in 0..<c.rows {
            out += LabelSampling.naive(labels: Array(labels[(r * c.n)..<((r + 1) * c.n)]), base: r * c.n, num: c.num,
                                       positiveFraction: c.positiveFraction, seed: c.seed, stream: stream).map(Double.init)
        }
        return HostTensor(node.type, out)
    }

    public static func scratchBytes(_ node: Node, _ inputTypes: [TensorType]) -> Int {
        LabelSampling.scratchBytes(num: (try? node.attributes.int("num")) ?? 0)
    }

    public static func kernel(_ node: Node, _ inputTypes: [TensorType], _ buffers: KernelBuffers,
                              _ context: KernelContext) throws -> KernelThunk? {
        guard let scratch = buffers.scratch else { return nil }
        let c = try Config(inputTypes, node.attributes)
        let labels: UnsafeMutablePointer<Int32> = buffers.input(0, as: Int32.self), y = buffers.output(as: Int32.self)
        let counter = inputTypes.count > 1 ? buffers.inputs[1] : nil, counterType = inputTypes.count > 1 ? inputTypes[1].dtype : .i32
        return {
            let stream = UInt64(bitPattern: Int64(counter.map { readIndex($0, counterType, 0) } ?? 0))
            for r in 0..<c.rows {
                LabelSampling.sample(labels: labels + r * c.n, out: y + r * c.n, count: c.n, base: r * c.n, num: c.num,
                                     positiveFraction: c.positiveFraction, seed: c.seed, stream: stream, scratch: scratch)
            }
        }
    }

    public static func flops(_ node: Node, _ inputTypes: [TensorType]) -> Double { 0 }
}

extension GraphBuilder {
    /// detectron2's subsample_labels on every row of labels (…, N): at most `num` labels stay, of which at most
    /// num · positiveFraction are foreground (RPN: 256, 0.5; RoI heads: 512, 0.25). `counter` is a scalar step
    /// counter so each step draws differently.
    public mutating func sampleLabels(_ labels: ValueID, num: Int, positiveFraction: Double, seed: Int,
                                      counter: ValueID? = nil) throws(ShapeError) -> ValueID {
        try apply(SampleLabels.self, [labels] + (counter.map { [$0] } ?? []),
                  ["num": .int(num), "positive_fraction": .float(positiveFraction), "seed": .int(seed)])
    }
}
