// The autodiff golden case: a small conv + BN + ReLU + 1×1-conv head + global pooling + cross-entropy train step
// with SGD updates, built here with the graph builder and autodiff, printed once and stored as the input of
// Golden/simplify/train_step.kir. This test keeps the stored input honest: it must be exactly what autodiff builds
// today (UPDATE_GOLDEN=1 rewrites the whole file, input and expected output).

import Foundation
import KilnIR
import KilnOps
import KilnPasses
import Testing

enum TrainStepCase {
    static let file = GoldenCase.directory.appendingPathComponent("simplify/train_step.kir")
    static let header = """
        // RUN: simplify
        // A conv + BN + ReLU + 1×1-conv head + global-pool + cross-entropy train step with SGD updates, built by
        // TrainStepCase.swift with autodiff. Simplify folds the constant seed chain of the loss gradient, merges
        // duplicated constants (0.02 twice; the folded seed -0.5 with batch norm's -0.5), lets elementwise ops
        // broadcast implicitly instead of materialising broadcasts, removes no-op reshapes, and turns the head
        // bias gradient (the pooling cotangent broadcast back over H and W, then summed over N, H and W:
        // broadcastBack followed by sumTo) into a sum over N times 25.

        """

    /// The traced step: outputs the loss, assigns updated parameters and BN running statistics.
    static func graph() throws -> Graph {
        var b = GraphBuilder(name: "train_step")
        let f32 = { (shape: [Int]) in TensorType(.f32, shape) }
        let x = b.input("images", f32([2, 5, 5, 3]))
        let labels = b.input("labels", TensorType(.i32, [2]))
        let lr = b.input("lr", f32([]))
        let convW = b.state("conv.weight", f32([4, 3, 3, 3])), convB = b.state("conv.bias", f32([4]))
        let gamma = b.state("bn.weight", f32([4])), beta = b.state("bn.bias", f32([4]))
        let runningMean = b.state("bn.running_mean", f32([4])), runningVar = b.state("bn.running_var", f32([4]))
        let headW = b.state("head.weight", f32([3, 1, 1, 4])), headB = b.state("head.bias", f32([3]))

        b.location = SourceLocation(file: "model.swift", line: 1)
        let conv = try b.add(try b.conv2d(x, convW, ConvAttributes(padding: [1, 1, 1, 1])), convB)
        b.location = SourceLocation(file: "model.swift", line: 2)
        let bn = try b.batchNorm(conv, scale: gamma, shift: beta, runningMean: runningMean, runningVar: runningVar,
                                 training: true)
        b.location = SourceLocation(file: "model.swift", line: 3)
        let features = try b.relu(bn.output)
        b.location = SourceLocation(file: "model.swift", line: 4)
        let logits = try b.globalAvgPool(try b.add(try b.conv2d(features, headW), headB))
        b.location = SourceLocation(file: "model.swift", line: 5)
        let loss = try b.crossEntropy(logits: logits, labels: labels)
        b.location = nil

        let parameters = [convW, convB, gamma, beta, headW, headB]
        let grads = try b.gradients(of: loss, wrt: parameters)
        for (p, g) in zip(parameters, grads) { b.assign(p, try b.sub(p, try b.mul(g, lr))) }
        if let m = bn.runningMean, let v = bn.runningVar {
            b.assign(runningMean, m)
            b.assign(runningVar, v)
        }
        b.output("loss", loss)
        return b.graph
    }
}

@Suite("Autodiff golden case")
struct TrainStepCaseTests {
    @Test("the stored train-step input is what autodiff builds")
    func storedInputIsCurrent() throws {
        let graph = try TrainStepCase.graph()
        try OpRegistry.verify(graph)
        let input = TrainStepCase.header + graph.text()
        if GoldenCase.updating {
            let expected = try Pipeline([Simplify()], environment: [:]).run(graph).text()
            let text = try GoldenFile(input: input, expected: expected).text(expected: expected)
            try text.write(to: TrainStepCase.file, atomically: true, encoding: .utf8)
            return
        }
        let stored = try GoldenFile(contentsOf: TrainStepCase.file)
        #expect(stored.input == input, "\(firstDifference(expected: stored.input, actual: input))\nrun with UPDATE_GOLDEN=1")
    }
}
