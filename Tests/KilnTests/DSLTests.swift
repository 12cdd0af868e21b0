// The DSL: shape errors from user models name the op, the shapes and the user's call site; layers trace to the
// expected graph; training mode updates BN running statistics.

import Foundation
import Kiln
import KilnIR
import KilnOps
import Synchronization
import Testing

final class MismatchedNet: Layer {
    let conv1 = Conv2d(3, 8, kernelSize: 3)
    let conv2 = Conv2d(4, 8, kernelSize: 3)   // expects 4 channels but conv1 produces 8
    func forward(_ x: Tensor) -> Tensor {
        let h = conv1(x).relu()
        return conv2(h)
    }
}

@Suite("DSL")
struct DSLTests {
    @Test("a mismatched model is a thrown error naming the op, shapes and call site")
    func mismatch() throws {
        let model = MismatchedNet()
        try model.initialize(seed: 0)
        do {
            _ = try Tracer.trace(name: "bad", training: false, models: [model]) { t in
                _ = model(t.input("x", TensorType(.f32, [1, 8, 8, 3])))
            }
            Issue.record("tracing should fail")
        } catch {
            let text = "\(error)"
            #expect(text.hasPrefix("KilnTests/DSLTests.swift:16: conv2d(f32[1,6,6,8], f32[8,3,3,4])"), "\(text)")
            #expect(text.contains("input has 8 channels but the weight expects 4"))
        }
    }

    @Test("traces on concurrent threads keep their own call sites")
    func concurrentTraces() throws {
        let model = MismatchedNet()
        try model.initialize(seed: 0)
        let messages = Mutex<[String]>([])
        DispatchQueue.concurrentPerform(iterations: 16) { _ in
            for _ in 0..<20 {
                do {
                    _ = try Tracer.trace(name: "bad", training: false, models: [model]) { t in
                        _ = model(t.input("x", TensorType(.f32, [1, 8, 8, 3])))
                    }
                    messages.withLock { $0.append("tracing should fail") }
                } catch {
                    messages.withLock { $0.append("\(error)") }
                }
            }
        }
        let all = messages.withLock { $0 }
        #expect(all.count == 320)
        #expect(all.allSatisfy { $0.hasPrefix("KilnTests/DSLTests.swift:16: conv2d(") }, "\(Set(all))")
    }

    @Test("compiling without initialising parameters is an error, not a crash")
    func uninitialized() {
        let model = MismatchedNet()
        #expect(throws: ModelError.self) {
            _ = try InferenceFunction(models: [model], inputs: [("x", TensorType(.f32, [1, 8, 8, 3]))]) { _, x in
                ["y": model.conv1(x["x"]!)]
            }
        }
    }

    @Test("training mode updates BatchNorm running statistics like PyTorch")
    func batchNormRunningStats() throws {
        let bn = BatchNorm2d(2)
        try bn.initialize(seed: 0)
        let step = try TrainStep(models: [bn], inputs: [("x", TensorType(.f32, [2, 1, 2, 2]))], optimizer: SGD(momentum: 0)) { _, x in
            ["loss": bn(x["x"]!).sum()]
        }
        // Channel 0 values 1..4, channel 1 values 10, 20, 30, 40.
        let x = HostTensor(TensorType(.f32, [2, 1, 2, 2]), [1, 10, 2, 20, 3, 30, 4, 40])
        try step.run(["x": x], learningRate: 0)
        step.syncParameters()
        let mean = bn.runningMean.values!, variance = bn.runningVar.values!
        #expect(Swift.abs(mean[0] - 0.25) < 1e-6 && Swift.abs(mean[1] - 2.5) < 1e-5)
        // Unbiased variance: 1.6667 and 166.67; running = 0.9·1 + 0.1·var.
        #expect(Swift.abs(variance[0] - (0.9 + 0.1 * 5.0 / 3.0)) < 1e-5)
        #expect(Swift.abs(variance[1] - (0.9 + 0.1 * 500.0 / 3.0)) < 1e-4)
        #expect(bn.numBatchesTracked.values == [1])
    }

    @Test("Sequential children are named 0, 1, ... like torch.nn.Sequential")
    func sequentialNames() throws {
        let model = Sequential {
            Conv2d(3, 4, kernelSize: 1)
            BatchNorm2d(4)
            ReLU()
            Flatten()
            Linear(4, 2)
        }
        let names = try model.namedParameters().map(\.0)
        #expect(names == ["0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean", "1.running_var",
                          "1.num_batches_tracked", "4.weight", "4.bias"])
    }
}
