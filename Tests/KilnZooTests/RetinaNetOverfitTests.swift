// Acceptance (issue 7): RetinaNet fine-tuned from scratch on 8 demo scenes reaches bbox AP50 > 0.9 on those same
// scenes — the whole path (data, anchors, matching, losses, SGD schedule, inference, COCO evaluation) learns.
// Slow (minutes on 2 cores): runs only with KILN_SLOW=1.
//   KILN_SLOW=1 swift test -c release --skip-build --filter RetinaNetOverfit
// KILN_OVERFIT_ITERS and KILN_OVERFIT_LR (base rate per 16 images) override the iteration count and rate.

import Foundation
import Kiln
import KilnData
import KilnZoo
import Testing

@Suite("RetinaNetOverfit", .tags(.slow), .enabled(if: slowTestsEnabled))
struct RetinaNetOverfitTests {
    @Test("RetinaNet R18 overfits 8 demo scenes: bbox AP50 > 0.9 on them")
    func overfitEightScenes() throws {
        let folder = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("kiln-retina-overfit-\(getpid())")
        defer { try? FileManager.default.removeItem(at: folder) }
        try FashionScenes.generate(count: 8, seed: 0, size: 96, out: folder)
        let training = try DetectionData.load(folder, forEvaluation: false)
        let groundTruth = try DetectionData.load(folder, forEvaluation: true)

        var c = FineTuneConfiguration(kind: .retinanet)
        c.classes = training.categories.count
        c.batch = 4
        let environment = ProcessInfo.processInfo.environment
        // Per 16 images; at batch 4 the rate is a quarter of it. From scratch, 0.08 is unstable (loss 1.09 after 300
        // iterations against 0.40 at 0.04). Boxes localise early (IoU ≈ 0.9 by iteration 300) but the class scores
        // stay near the class frequencies until loss_cls falls below ≈ 0.15, so AP50 lags the loss: with 600
        // iterations at 0.04 it was 0.11 at iteration 200 (loss 0.58), 0.58 at 300, 0.88 at 400 and 1.0 at 500 on
        // version-1 scenes. On version-2 scenes 500 iterations reach 0.42 (class loss 0.16 at the end) and 1,000
        // reach 0.985 (class loss 0.02).
        c.baseLearningRate = Double(environment["KILN_OVERFIT_LR"] ?? "") ?? 0.04
        c.set(iterations: Int(environment["KILN_OVERFIT_ITERS"] ?? "") ?? 1000)
        c.warmupIterations = 50
        let detector = try DetectorFactory.make(c)
        let run = try FineTuneRun(c, detector: detector, dataset: training, backbone: nil, out: nil, resume: false)
        let started = Date()
        var last: [String: Double] = [:]
        try run.run { r in
            last = r.losses
            if r.iteration % 50 == 0 || r.iteration == 1 {
                print(String(format: "iteration %d loss %.4f cls %.4f box %.4f pos/img %.1f  %.1f img/s", r.iteration,
                             r.losses["loss"] ?? .nan, r.losses["loss_cls"] ?? .nan, r.losses["loss_box_reg"] ?? .nan,
                             r.losses["num_pos_anchors"] ?? .nan, r.imagesPerSecond))
            }
        }
        let trainSeconds = Date().timeIntervalSince(started)
        run.step.syncParameters()
        let inference = try DetectorInference(detector, configuration: c, batch: 4)
        let evaluation = try DetectorEvaluation.evaluate(inference, on: groundTruth)
        print(String(format: "trained %d iterations in %.0f s; final loss %.4f", c.iterations, trainSeconds, last["loss"] ?? .nan))
        print(evaluation.table)
        let ap50 = evaluation.bbox.summary["AP50"] ?? -1
        #expect(ap50 > 0.9, "bbox AP50 \(ap50) on the training scenes")
    }
}
