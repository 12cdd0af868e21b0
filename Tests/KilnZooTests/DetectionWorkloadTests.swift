// The detection benchmark workloads (`zoo bench retinanet-train`, `zoo bench maskrcnn-fpn-train`): they compile
// with fast kernels only, run steps on synthetic ground truth with finite losses, and their analytic FLOP counts
// are linear in the batch and grow with the canvas.

import Foundation
import Kiln
import KilnZoo
import Testing

@Suite("Detection workloads")
struct DetectionWorkloadTests {
    @Test("maskrcnn-fpn-train runs on synthetic ground truth with fast kernels and finite losses")
    func maskRCNNFPNTrainRuns() throws {
        let w = try Workload.named("maskrcnn-fpn-train")
        #expect(w == .maskrcnnFPNTrain && w.isTraining && w.defaultBatch == 4 && w.defaultSize == 128)
        let runnable = try RunnableWorkload(w, batch: 2, size: 64)
        #expect(runnable.executable.referenceFallbacks.isEmpty, "\(runnable.executable.referenceFallbacks)")
        for name in ["boxes", "labels", "counts", "masks"] {
            #expect(runnable.executable.inputType(name) != nil, "the step lacks the \(name) input")
        }
        for _ in 0..<2 { try runnable.run() }
        for name in ["loss", "loss_rpn_cls", "loss_rpn_loc", "loss_cls", "loss_box_reg", "loss_mask"] {
            let value = try #require(runnable.executable.scalarOutput(name), "no \(name) output")
            #expect(value.isFinite && value >= 0, "\(name) = \(value)")
        }
    }

    @Test("analytic FLOPs of the detection steps are linear in the batch and grow with the canvas",
          arguments: [Workload.retinanetTrain, .maskrcnnFPNTrain])
    func analyticFLOPs(_ w: Workload) {
        let one = AnalyticFLOPs.perStep(w, batch: 1, size: 128), four = AnalyticFLOPs.perStep(w, batch: 4, size: 128)
        #expect(one > 3 * 2 * AnalyticFLOPs.resnetMACs(depth: 18, size: 128), "more than the trunk's training FLOPs")
        #expect(Swift.abs(four - 4 * one) <= 1e-9 * four)
        #expect(AnalyticFLOPs.perStep(w, batch: 1, size: 192) > one)
    }
}
