// Analytic FLOP counts with the peer benchmarks' convention (shared/bench/common.py): only convolutions and
// fully connected layers, 2 × multiply-accumulates, taps on zero padding counted, a training step = 3 × forward
// for the trained side (backward computes input and weight gradients) plus 1 × forward for a momentum encoder.
// DetCo follows the same rules over its global and local views and multi-level heads; RetinaNet counts trunk, FPN
// and head convolutions (matching, losses and NMS are not counted); Mask R-CNN FPN counts trunk, FPN, RPN head, the
// box head's fully connected layers on the sampled RoIs and the mask head on the foreground slots (RoIAlign,
// sampling, losses and NMS are not counted).

public enum AnalyticFLOPs {
    /// Multiply-accumulates of one image's ResNet forward pass (no classifier).
    public static func resnetMACs(depth: Int, size: Int) -> Double {
        var macs = 0.0
        func out(_ h: Int, _ k: Int, _ s: Int, _ p: Int) -> Int { (h + 2 * p - k) / s + 1 }
        func conv(_ h: Int, _ cin: Int, _ cout: Int, _ k: Int, _ s: Int, _ p: Int) -> Int {
            let o = out(h, k, s, p)
            macs += Double(o * o * cout * cin * k * k)
            return o
        }
        var h = conv(size, 3, 64, 7, 2, 3)
        h = out(h, 3, 2, 1)
        var cin = 64
        let bottleneck = depth >= 50
        let blocks = depth == 18 ? [2, 2, 2, 2] : depth == 101 ? [3, 4, 23, 3] : [3, 4, 6, 3]
        for (stage, (n, c)) in zip(blocks, [64, 128, 256, 512]).enumerated() {
            for b in 0..<n {
                let s = stage > 0 && b == 0 ? 2 : 1
                let h2: Int
                if bottleneck {
                    _ = conv(h, cin, c, 1, 1, 0)
                    h2 = conv(h, c, c, 3, s, 1)
                    _ = conv(h2, c, 4 * c, 1, 1, 0)
                } else {
                    h2 = conv(h, cin, c, 3, s, 1)
                    _ = conv(h2, c, c, 3, 1, 1)
                }
                let width = bottleneck ? 4 * c : c
                if s != 1 || cin != width { _ = conv(h, cin, width, 1, s, 0) }
                h = h2
                cin = width
            }
        }
        return macs
    }

    /// FLOPs of one step of a workload.
    public static func perStep(_ workload: Workload, batch: Int, size: Int) -> Double {
        let b = Double(batch)
        switch workload {
        case .resnet18, .resnet50, .resnet50Infer:
            let depth = workload == .resnet18 ? 18 : 50
            let feature = depth == 18 ? 512.0 : 2048.0
            return 2 * b * (resnetMACs(depth: depth, size: size) + feature * 1000)
        case .resnet18Train:
            return 3 * 2 * b * (resnetMACs(depth: 18, size: size) + 512 * 10)
        case .mocov2Train:
            let trunk = 2 * b * resnetMACs(depth: 18, size: size)
            let head = 2 * b * (512 * 512 + 512 * 128)
            let logits = 2 * b * 128 * Double(Workload.benchmarkQueue + 1)
            return 3 * (trunk + head + logits) + (trunk + head)
        case .detcoTrain:
            let patch = DetCoPatch.size(for: size)
            let trunks = 2 * b * (resnetMACs(depth: 18, size: size) + 9 * resnetMACs(depth: 18, size: patch))
            let channels = [64.0, 128, 256, 512]
            let heads = channels.reduce(0.0) { acc, c in acc + 2 * b * ((c * c + c * 128) + (9 * c * c + c * 128)) }
            let logits = 3 * 4 * 2 * b * 128 * Double(Workload.benchmarkQueue + 1)   // 3 contrasts × 4 levels
            return 3 * (trunks + heads + logits) + (trunks + heads)
        case .retinanetTrain:
            return 3 * 2 * b * retinaNetMACs(depth: 18, size: size, classes: 10)
        case .maskrcnnFPNTrain:
            let c = Workload.detectionConfiguration(.maskrcnnFPN, batch: batch, size: size)
            return 3 * 2 * b * maskRCNNFPNTrainingMACs(MaskRCNNSettings(c), size: size)
        }
    }

    /// Multiply-accumulates of one image's RetinaNet forward pass (detco-spec §3.5 at the demo's defaults: 256
    /// channels, 4-conv towers, A = 9): trunk, FPN (laterals, outputs, P6 from C5, P7) and the head on P3–P7.
    /// Anchor matching, losses, decoding and NMS are not convolutions and are not counted.
    public static func retinaNetMACs(depth: Int, size: Int, classes: Int, channels: Int = 256, anchors: Int = 9,
                                     towerConvs: Int = 4) -> Double {
        let trunk = depth >= 50 ? [512.0, 1024, 2048] : [128.0, 256, 512]
        let f = Double(channels)
        func down(_ h: Int) -> Int { (h + 2 - 3) / 2 + 1 }   // 3×3, stride 2, padding 1
        let stem = down(((size + 6 - 7) / 2) + 1)   // 7×7/2 conv, then 3×3/2 max pool: Res2
        let res3 = down(stem), res4 = down(res3), res5 = down(res4)
        let sides = [res3, res4, res5]
        var macs = resnetMACs(depth: depth, size: size)
        for (c, h) in zip(trunk, sides) {
            let area = Double(h * h)
            macs += area * c * f + area * 9 * f * f   // lateral 1×1 and output 3×3
        }
        let p6 = down(sides[2]), p7 = down(p6)
        macs += Double(p6 * p6) * 9 * trunk[2] * f + Double(p7 * p7) * 9 * f * f
        let perPosition = 9 * f * (2 * Double(towerConvs) * f + Double(anchors * classes) + Double(anchors * 4))
        for h in sides + [p6, p7] { macs += Double(h * h) * perPosition }
        return macs
    }

    /// Multiply-accumulates of one image's Mask R-CNN FPN forward pass in a training step (detco-spec §3.4 at the
    /// widths of `s`): trunk; FPN laterals and 3×3 outputs on Res2–Res5 (P6 is a max pool); the RPN head (3×3 conv,
    /// 1×1 objectness and deltas) on P2–P6; the box head (two fully connected layers) and predictor on the
    /// `roisPerImage` sampled RoIs; the mask head (four 3×3 convs on 14×14, the 2×2 deconvolution, the 1×1
    /// predictor) on the `foregroundPerImage` foreground slots.
    public static func maskRCNNFPNTrainingMACs(_ s: MaskRCNNSettings, size: Int) -> Double {
        let depth = s.depth
        let trunk = depth >= 50 ? [256.0, 512, 1024, 2048] : [64.0, 128, 256, 512]
        let f = Double(s.fpnChannels), classes = Double(s.classes), anchors = Double(s.aspectRatios.count)
        func down(_ h: Int) -> Int { (h + 2 - 3) / 2 + 1 }   // 3×3, stride 2, padding 1
        let res2 = down(((size + 6 - 7) / 2) + 1)   // 7×7/2 conv, then 3×3/2 max pool
        let res3 = down(res2), res4 = down(res3), res5 = down(res4)
        let p6 = (res5 - 1) / 2 + 1   // max pool, kernel 1, stride 2
        var macs = resnetMACs(depth: depth, size: size)
        for (c, h) in zip(trunk, [res2, res3, res4, res5]) {
            macs += Double(h * h) * (c * f + 9 * f * f)
        }
        let rpnPerPosition = 9 * f * f + f * anchors + f * 4 * anchors
        for h in [res2, res3, res4, res5, p6] { macs += Double(h * h) * rpnPerPosition }
        let r = Double(s.boxPoolerResolution), d = Double(s.boxHeadDimension)
        macs += Double(s.roisPerImage) * (r * r * f * d + d * d + d * (classes + 1) + d * 4 * classes)
        let m = Double(s.maskPoolerResolution), mc = Double(s.maskHeadChannels)
        let maskHead = m * m * 9 * (f * mc + 3 * mc * mc) + m * m * mc * 4 * mc + 4 * m * m * mc * classes
        macs += Double(s.foregroundPerImage) * maskHead
        return macs
    }
}
