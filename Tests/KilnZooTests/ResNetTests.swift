// ResNet topology: parameter counts and state_dict names equal torchvision's.

import Kiln
import KilnIR
import KilnZoo
import Testing

@Suite("ResNet")
struct ResNetTests {
    @Test("ResNet-18 has torchvision's 11,689,512 parameters and 122 state_dict entries")
    func resnet18Count() throws {
        let model = ResNet(.resnet18)
        #expect(try model.parameterCount() == 11_689_512)
        let names = try model.namedParameters().map(\.0)
        #expect(names.count == 122)
        #expect(names.first == "conv1.weight")
        for key in ["bn1.running_mean", "bn1.num_batches_tracked", "layer1.0.conv1.weight", "layer2.0.downsample.0.weight",
                    "layer2.0.downsample.1.running_var", "layer4.1.bn2.bias", "fc.weight", "fc.bias"] {
            #expect(names.contains(key), "missing \(key)")
        }
    }

    @Test("ResNet-50 has torchvision's 25,557,032 parameters and 320 state_dict entries")
    func resnet50Count() throws {
        let model = ResNet(.resnet50)
        #expect(try model.parameterCount() == 25_557_032)
        let names = try model.namedParameters().map(\.0)
        #expect(names.count == 320)
        #expect(names.contains("layer3.5.conv3.weight"))
        #expect(names.contains("layer1.0.downsample.0.weight"))
    }

    @Test("features have the Res2..Res5 strides and channels")
    func featureShapes() throws {
        let model = ResNet(.resnet18, classes: 10)
        try model.initialize(seed: 0)
        var shapes: [[Int]] = []
        _ = try Tracer.trace(name: "shapes", training: false, models: [model]) { t in
            let f = model(t.input("x", TensorType(.f32, [2, 64, 64, 3])))
            shapes = f.levels.map(\.shape) + [f.logits!.shape]
        }
        #expect(shapes == [[2, 16, 16, 64], [2, 8, 8, 128], [2, 4, 4, 256], [2, 2, 2, 512], [2, 10]])
    }
}
