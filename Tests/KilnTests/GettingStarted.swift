// The program shown in docs/getting-started.md; GettingStartedTests keeps the two identical and runs it.

import Foundation
// BEGIN getting-started
import Kiln

/// A small convolutional classifier. Layers are classes; their parameters are found by reflection and named
/// like PyTorch's state_dict keys ("conv1.weight", "bn1.running_mean", ...).
final class SmallCNN: Layer {
    let conv1 = Conv2d(1, 16, kernelSize: 3, padding: 1)
    let bn1 = BatchNorm2d(16)
    let conv2 = Conv2d(16, 32, kernelSize: 3, stride: 2, padding: 1)
    let bn2 = BatchNorm2d(32)
    let fc = Linear(32, 4)

    func forward(_ x: Tensor) -> Tensor {
        let h = bn1(conv1(x)).relu()
        let y = bn2(conv2(h)).relu()
        return fc(y.globalAvgPool())
    }
}

/// Trains SmallCNN to tell four textures apart (horizontal or vertical stripes, checkerboard, flat grey),
/// then saves a checkpoint.
func trainSmallCNN(steps: Int, checkpoint: URL) throws -> [Double] {
    let model = SmallCNN()
    try model.initialize(seed: 42)

    // One compiled graph per step: forward, loss, backward and the SGD update.
    let batch = 16
    let step = try TrainStep(
        models: [model],
        inputs: [("images", TensorType(.f32, [batch, 28, 28, 1])), ("labels", TensorType(.i32, [batch]))],
        optimizer: SGD(momentum: 0.9, weightDecay: 1e-4)
    ) { _, x in
        ["loss": crossEntropy(model(x["images"]!), labels: x["labels"]!)]
    }

    var rng = RandomStream(seed: 0)
    var losses: [Double] = []
    for i in 0..<steps {
        var pixels = [Double](repeating: 0, count: batch * 28 * 28)
        var labels = [Double](repeating: 0, count: batch)
        for n in 0..<batch {
            let texture = rng.below(4)
            labels[n] = Double(texture)
            for y in 0..<28 {
                for x in 0..<28 {
                    let on = [y % 2 == 0, x % 2 == 0, (x + y) % 2 == 0, true][texture]
                    pixels[(n * 28 + y) * 28 + x] = (texture == 3 ? 0.5 : on ? 1 : 0) + rng.normal(std: 0.3)
                }
            }
        }
        let result = try step.run([
            "images": HostTensor(TensorType(.f32, [batch, 28, 28, 1]), pixels),
            "labels": HostTensor(TensorType(.i32, [batch]), labels),
        ], learningRate: CosineSchedule(base: 0.1, totalSteps: steps).rate(at: i))
        losses.append(result["loss"]!)
    }

    // Copy the trained values back into the model and save them (atomically, as safetensors).
    step.syncParameters()
    try Checkpoint.save(model, to: checkpoint)
    return losses
}
// END getting-started
