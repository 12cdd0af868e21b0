// Backbone export: the query ResNet trunk of a training checkpoint (MoCo v2 / DetCo, names `encoder_q.<torchvision
// name>`), of an exported backbone, or of any safetensors file with torchvision ResNet names, written as a
// torchvision-named safetensors file for fine-tuning and other frameworks. Only the trunk is kept (conv1, bn1,
// layer1..layer4 with BN running statistics); projection heads, fc, the key encoder, queues and optimizer slots are
// dropped. The depth is inferred from the tensors, and the trunk is loaded strictly into `ResNet(depth, classes:
// nil)` before anything is written, so a missing, extra or mis-shaped tensor is an error naming the file and tensor.
// Convolution weights stay OIHW, as checkpoints store them.

import Foundation
import Kiln
import KilnData

/// A ResNet trunk loaded from a checkpoint.
public struct LoadedBackbone {
    public let model: ResNet
    public let depth: ResNet.Depth
    /// The prefix that was stripped from the source's names ("encoder_q." for training checkpoints, "" otherwise).
    public let prefix: String
    /// The source file's safetensors metadata.
    public let sourceMetadata: [String: String]
    public let source: URL

    /// The view size the backbone was pre-trained at, when the source records it (a training checkpoint's
    /// configuration, or the one an exported backbone carries along).
    public var pretrainingSize: Int? {
        for key in ["configuration", "source_configuration"] {
            guard let json = sourceMetadata[key]?.data(using: .utf8),
                  let object = try? JSONSerialization.jsonObject(with: json) as? [String: Any],
                  let size = (object["size"] as? NSNumber)?.intValue else { continue }
            return size
        }
        return nil
    }

    /// A one-line description: method, step and depth where known.
    public var summary: String {
        let method = BackboneExport.method(sourceMetadata) ?? sourceMetadata["method"]
        let step = sourceMetadata["step"] ?? sourceMetadata["source_step"]
        return "ResNet-\(depth.rawValue)" + (method.map { ", \($0)" } ?? "") + (step.map { " after \($0) steps" } ?? "")
            + " (\(source.path))"
    }
}

public enum BackboneExport {
    /// Prefixes under which checkpoints store a query backbone, tried in this order ("" = torchvision names).
    public static let prefixes = ["encoder_q.", "module.encoder_q.", "backbone.", "module.", ""]

    /// Whether a torchvision name belongs to the ResNet trunk (not to fc or a projection head).
    public static func isTrunk(_ name: String) -> Bool {
        ["conv1.", "bn1.", "layer1.", "layer2.", "layer3.", "layer4."].contains { name.hasPrefix($0) }
    }

    /// The first known prefix under which `names` hold a ResNet stem (`<prefix>conv1.weight`).
    public static func backbonePrefix(_ names: Set<String>) -> String? {
        prefixes.first { names.contains($0 + "conv1.weight") }
    }

    /// The ResNet depth whose blocks per stage match the trunk names (torchvision names, no prefix): the number of
    /// `layerK.<i>.` blocks per stage, and bottleneck blocks where `layer1.0.conv3.weight` exists.
    public static func inferDepth<Names: Collection<String>>(_ names: Names, file: String) throws -> ResNet.Depth {
        var blocks = [0, 0, 0, 0]
        for name in names {
            let parts = name.split(separator: ".", maxSplits: 2)
            guard parts.count >= 2, parts[0].hasPrefix("layer"), let stage = Int(parts[0].dropFirst(5)),
                  (1...4).contains(stage), let block = Int(parts[1]) else { continue }
            blocks[stage - 1] = max(blocks[stage - 1], block + 1)
        }
        let bottleneck = names.contains("layer1.0.conv3.weight")
        guard let depth = ResNet.Depth.allCases.first(where: { $0.blocks == blocks && $0.bottleneck == bottleneck }) else {
            throw AnalysisError("\(file): the tensors are not a torchvision ResNet trunk (blocks per stage \(blocks), "
                                + "\(bottleneck ? "bottleneck" : "basic") blocks; ResNet-18/34/50/101 are known)")
        }
        return depth
    }

    /// The trunk tensors of `tensors` under torchvision names, and the prefix they were found under.
    public static func trunk(_ tensors: [String: SafeTensor], file: String) throws -> (tensors: [String: SafeTensor], prefix: String) {
        guard let prefix = backbonePrefix(Set(tensors.keys)) else {
            throw AnalysisError("\(file): no ResNet backbone found (expected a tensor named "
                                + prefixes.map { "'\($0)conv1.weight'" }.joined(separator: " or ") + ")")
        }
        var out: [String: SafeTensor] = [:]
        for (name, t) in tensors where name.hasPrefix(prefix) {
            let short = String(name.dropFirst(prefix.count))
            if isTrunk(short) { out[short] = t }
        }
        return (out, prefix)
    }

    /// Loads the query backbone of `url` (a training checkpoint, an exported backbone or torchvision-named
    /// safetensors) into a new `ResNet(depth, classes: nil)`; strict: every trunk tensor must match.
    public static func load(_ url: URL) throws -> LoadedBackbone {
        let (tensors, metadata) = try SafeTensors.read(url)
        let (trunk, prefix) = try trunk(tensors, file: url.path)
        let depth = try inferDepth(trunk.keys, file: url.path)
        let model = ResNet(depth, classes: nil)
        let unused = try Checkpoint.apply(trunk, file: url.path, to: model, strict: true, prefix: "")
        if let extra = unused.keys.sorted().first {
            throw AnalysisError("\(url.path): tensor '\(prefix)\(extra)' is not part of a ResNet-\(depth.rawValue) trunk")
        }
        return LoadedBackbone(model: model, depth: depth, prefix: prefix, sourceMetadata: metadata, source: url)
    }

    /// The metadata written with an exported backbone: architecture, provenance and the input normalisation the
    /// weights expect (RGB, ImageNet mean/std, as Detectron2's `*_moco.yaml` configs need).
    public static func exportMetadata(_ backbone: LoadedBackbone) -> [String: String] {
        var m: [String: String] = [
            "format": "pt", "kiln": "backbone", "arch": "resnet\(backbone.depth.rawValue)",
            "depth": String(backbone.depth.rawValue), "source": backbone.source.path, "source_prefix": backbone.prefix,
            "layout": "torchvision names, convolution weights OIHW, no fc",
            "input": "RGB in [0, 1], normalised with mean 0.485,0.456,0.406 and std 0.229,0.224,0.225",
        ]
        if let step = backbone.sourceMetadata["step"] { m["source_step"] = step }
        if let method = method(backbone.sourceMetadata) { m["method"] = method }
        if let configuration = backbone.sourceMetadata["configuration"] { m["source_configuration"] = configuration }
        return m
    }

    /// The pre-training method recorded in a training checkpoint's configuration, if any.
    static func method(_ metadata: [String: String]) -> String? {
        guard let json = metadata["configuration"]?.data(using: .utf8),
              let object = try? JSONSerialization.jsonObject(with: json) as? [String: Any] else { return metadata["method"] }
        return object["method"] as? String
    }

    /// Writes the trunk of `source` to `destination` (atomically); returns the loaded backbone.
    @discardableResult
    public static func export(from source: URL, to destination: URL) throws -> LoadedBackbone {
        let backbone = try load(source)
        try Checkpoint.save(backbone.model, metadata: exportMetadata(backbone), to: destination)
        return backbone
    }
}
