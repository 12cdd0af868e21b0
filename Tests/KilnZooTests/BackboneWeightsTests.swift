// Pre-trained trunk weights reach a detector's ResNet from a plain torchvision-named file or from the query
// encoder of a pre-training checkpoint; a file without a complete trunk is refused with the tensor's name.

import Foundation
import Kiln
import KilnZoo
import Testing

@Suite("Backbone weights")
struct BackboneWeightsTests {
    @Test("the query encoder of a pre-training checkpoint loads; the key encoder and heads are ignored", arguments: ["", "encoder_q."])
    func loadsWithPrefix(_ prefix: String) throws {
        let source = ResNet(.resnet18, classes: nil), other = ResNet(.resnet18, classes: nil)
        try source.initialize(seed: 1)
        try other.initialize(seed: 2)
        var tensors: [String: SafeTensor] = [:]
        for (name, t) in try Checkpoint.tensors(try source.namedParameters()) { tensors[prefix + name] = t }
        for (name, t) in try Checkpoint.tensors(try other.namedParameters()) { tensors["encoder_k." + name] = t }
        tensors[prefix + "global_heads.0.weight"] = SafeTensor(floats: [1, 2], shape: [2])
        let url = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("kiln-backbone-\(getpid())-\(prefix.count).safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        try SafeTensors.write(tensors, to: url)

        let detector = try RetinaNet(RetinaNetSettings(classes: 2, depth: .resnet18))
        #expect(try BackboneWeights.load(url, into: detector.backbone) == prefix)
        let loaded = Dictionary(try detector.backbone.namedParameters().map { ($0.0, $0.1.values) }, uniquingKeysWith: { a, _ in a })
        for (name, p) in try source.namedParameters() { #expect(loaded[name] == p.values, "\(name)") }
    }

    @Test("a file missing a trunk tensor is refused, naming it")
    func missingTensor() throws {
        let source = ResNet(.resnet18, classes: nil)
        try source.initialize(seed: 1)
        var tensors = try Checkpoint.tensors(try source.namedParameters())
        tensors["layer3.1.bn2.running_var"] = nil
        let url = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("kiln-backbone-missing-\(getpid()).safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        try SafeTensors.write(tensors, to: url)
        let error = #expect(throws: SafeTensorsError.self) { try BackboneWeights.load(url, into: ResNet(.resnet18, classes: nil)) }
        #expect(error?.description.contains("layer3.1.bn2.running_var") == true)
        try SafeTensors.write(["fc.weight": SafeTensor(floats: [0], shape: [1])], to: url)
        #expect(throws: FineTuneError.self) { try BackboneWeights.load(url, into: ResNet(.resnet18, classes: nil)) }
    }
}
