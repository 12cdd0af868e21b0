// Pre-trained weights for a detector's ResNet trunk (detco-spec §3.1): a torchvision-named ResNet file, or a
// pre-training checkpoint of `zoo train detco|mocov2` from which the query encoder is taken (MoCo's
// convert-pretrain-to-detectron2 keeps `encoder_q` and drops the rest). Loading is strict: every trunk parameter
// and BN statistic must be present with the right shape; a classifier (`fc`) and any other tensors are ignored.

import Foundation
import Kiln

public enum BackboneWeights {
    /// Prefixes tried in order: a plain ResNet, Kiln's pre-training checkpoints, PyTorch MoCo checkpoints.
    public static let prefixes = ["", "encoder_q.", "module.encoder_q.", "backbone."]

    /// Loads the trunk weights in `url` into `resnet`; returns the prefix that was used.
    @discardableResult
    public static func load(_ url: URL, into resnet: ResNet) throws -> String {
        let (tensors, _) = try SafeTensors.read(url)
        guard let prefix = prefixes.first(where: { tensors[$0 + "conv1.weight"] != nil }) else {
            throw FineTuneError("\(url.path): no ResNet trunk found (looked for conv1.weight under the prefixes "
                                + prefixes.map { "'\($0)'" }.joined(separator: ", ") + ")")
        }
        _ = try Checkpoint.apply(tensors, file: url.path, to: resnet, strict: true, prefix: prefix)
        return prefix
    }
}
