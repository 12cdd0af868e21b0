// Acceptance (issue 7): Mask R-CNN (FPN and C4) fine-tuned from scratch on 8 demo scenes reaches bbox AP50 > 0.9
// on those same scenes — the whole path (data with masks, RPN, RoI sampling, box and mask heads, SGD schedule,
// inference with pasted masks, COCO evaluation) learns. Mask AP is printed alongside.
// Slow (minutes on 2 cores): runs only with KILN_SLOW=1.
//   KILN_SLOW=1 swift test -c release --skip-build --filter MaskRCNNOverfit
// KILN_OVERFIT_ITERS overrides the iteration count.

import Foundation
import Kiln
import KilnData
import KilnZoo
import Testing

@Suite("MaskRCNNOverfit", .tags(.slow), .enabled(if: slowTestsEnabled), .serialized)
struct MaskRCNNOverfitTests {
    @Test("Mask R-CNN R18 overfits 8 demo scenes: bbox AP50 > 0.9 on them", arguments: [DetectorKind.maskrcnnFPN, .maskrcnnC4])
    func overfitEightScenes(kind: DetectorKind) throws {
        let folder = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("kiln-\(kind.rawValue)-overfit-\(getpid())")
        defer { try? FileManager.default.removeItem(at: folder) }
        try FashionScenes.generate(count: 8, seed: 0, size: 96, out: folder)
        let training = try DetectionData.load(folder, forEvaluation: false)
        let groundTruth = try DetectionData.load(folder, forEvaluation: true)

        var c = FineTuneConfiguration(kind: kind)
        c.classes = training.categories.count
        c.batch = 4
        c.baseLearningRate = 0.08   // 0.02 at batch 4: from scratch, 8 images
        // FPN: AP50 1.0 by iteration 200 of 300, 0.975 with 250 (decays at 188 and 229). C4 learns slower (16 RoIs
        // per image through the res5 head): 0.91 at 300 iterations, 0.899 at 250, so it gets 350.
        let iterations = kind == .maskrcnnC4 ? 350 : 250
        c.set(iterations: Int(ProcessInfo.processInfo.environment["KILN_OVERFIT_ITERS"] ?? "") ?? iterations)
        c.warmupIterations = 20
        var settings = MaskRCNNSettings(c)
        if kind == .maskrcnnC4 { settings.roisPerImage = 16 }   // the res5 head runs per RoI: 64 RoIs per step
        let detector: any Detector = kind == .maskrcnnC4 ? try MaskRCNNC4(settings) : try MaskRCNNFPN(settings)
        let run = try FineTuneRun(c, detector: detector, dataset: training, backbone: nil, out: nil, resume: false)
        let started = Date()
        var last: [String: Double] = [:]
        try run.run { r in
            last = r.losses
            if r.iteration % 50 == 0 || r.iteration == 1 {
                print(String(format: "%@ iteration %d loss %.4f rpn %.4f/%.4f cls %.4f box %.4f mask %.4f  %.1f img/s", kind.rawValue,
                             r.iteration, r.losses["loss"] ?? .nan, r.losses["loss_rpn_cls"] ?? .nan, r.losses["loss_rpn_loc"] ?? .nan,
                             r.losses["loss_cls"] ?? .nan, r.losses["loss_box_reg"] ?? .nan, r.losses["loss_mask"] ?? .nan,
                             r.imagesPerSecond))
            }
        }
        let trainSeconds = Date().timeIntervalSince(started)
        run.step.syncParameters()
        let inference = try DetectorInference(detector, configuration: c, batch: 4)
        let evaluation = try DetectorEvaluation.evaluate(inference, on: groundTruth)
        print(String(format: "%@: trained %d iterations in %.0f s; final loss %.4f; inference + evaluation %.1f s", kind.rawValue,
                     c.iterations, trainSeconds, last["loss"] ?? .nan, evaluation.inferenceSeconds + evaluation.evaluationSeconds))
        print(evaluation.table)
        let ap50 = evaluation.bbox.summary["AP50"] ?? -1
        #expect(ap50 > 0.9, "\(kind.rawValue): bbox AP50 \(ap50) on the training scenes")
        #expect(evaluation.segm != nil, "Mask R-CNN detections carry masks, so segm is evaluated")
    }
}
