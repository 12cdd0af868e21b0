// RetinaNet's head (detectron2 `RetinaNetHead`, no norm): one classification tower and one box tower, each
// `towerConvs` × (3×3 conv + ReLU), shared by every pyramid level, then a 3×3 conv to A·C sigmoid logits and one
// to A·4 box deltas. All convolutions start from N(0, 0.01) with zero bias; the classifier's bias starts at
// −log((1 − π)/π) so every anchor first predicts foreground probability π (focal-loss paper §4.1).
// Parameter names follow detectron2: `cls_subnet.0`, `cls_subnet.2`, …, `bbox_subnet.*`, `cls_score`, `bbox_pred`.

import Foundation
import Kiln

public final class RetinaNetHead: Layer {
    public let clsSubnet: Sequential
    public let bboxSubnet: Sequential
    public let clsScore: Conv2d
    public let bboxPred: Conv2d
    public let classes: Int
    public let anchorsPerPosition: Int

    public init(channels: Int, classes: Int, anchorsPerPosition: Int, towerConvs: Int, priorProbability: Double) {
        func conv(_ cout: Int, bias: Initializer = .zeros) -> Conv2d {
            Conv2d(channels, cout, kernelSize: 3, padding: 1, weightInitializer: .normal(mean: 0, std: 0.01),
                   biasInitializer: bias)
        }
        func tower() -> Sequential {
            var layers: [any Layer<Tensor, Tensor>] = []
            for _ in 0..<towerConvs {
                layers.append(conv(channels))
                layers.append(ReLU())
            }
            return Sequential(layers)
        }
        clsSubnet = tower()
        bboxSubnet = tower()
        clsScore = conv(anchorsPerPosition * classes, bias: .constant(-Foundation.log((1 - priorProbability) / priorProbability)))
        bboxPred = conv(anchorsPerPosition * 4)
        self.classes = classes
        self.anchorsPerPosition = anchorsPerPosition
    }

    public var namedChildren: [(String, Any)] {
        [("cls_subnet", clsSubnet), ("bbox_subnet", bboxSubnet), ("cls_score", clsScore), ("bbox_pred", bboxPred)]
    }

    /// Per level: class logits (N, H·W·A, C) and box deltas (N, H·W·A, 4), rows in the anchors' (y, x, a) order.
    public func forward(_ levels: [Tensor]) -> [(logits: Tensor, deltas: Tensor)] {
        levels.map { feature in
            let n = feature.shape[0], positions = feature.shape[1] * feature.shape[2] * anchorsPerPosition
            // NHWC (N, H, W, A·K) is already detectron2's permute_to_N_HWA_K order once reshaped.
            let logits = clsScore(clsSubnet(feature)).reshaped([n, positions, classes])
            let deltas = bboxPred(bboxSubnet(feature)).reshaped([n, positions, 4])
            return (logits, deltas)
        }
    }
}

extension RetinaNetHead: ChildNaming {}
