// Pre-training runs: an interrupted DetCo run resumed from its checkpoint reproduces the uninterrupted run's later
// losses exactly; metrics, plot and checkpoint are written; a diverging run stops with a clear error.

import Foundation
import Kiln
import KilnData
import KilnZoo
import Testing

/// Small generated RGB images with coloured blocks.
struct BlockImages: ImageSource {
    var count: Int
    func loadImage(at index: Int) throws -> Image {
        var rng = RandomStream(seed: 99, stream: UInt64(index))
        var pixels = [UInt8](repeating: 0, count: 48 * 48 * 3)
        for _ in 0..<3 {
            let (x0, y0, w) = (rng.below(32), rng.below(32), 8 + rng.below(16))
            let color = (0..<3).map { _ in UInt8(rng.below(256)) }
            for y in y0..<min(48, y0 + w) { for x in x0..<min(48, x0 + w) { for c in 0..<3 { pixels[(y * 48 + x) * 3 + c] = color[c] } } }
        }
        return Image(width: 48, height: 48, channels: 3, pixels: pixels)
    }
}

struct StopAfter: Error {}

@Suite("Pre-training runs")
struct PretrainingRunTests {
    static func configuration(_ method: PretrainingMethod) -> PretrainingConfiguration {
        var c = PretrainingConfiguration(method: method)
        c.batch = 4
        c.size = 32
        c.steps = 6
        c.queueSize = 16
        c.checkpointEvery = 3
        c.warmupSteps = 1
        return c
    }

    static func losses(_ dir: URL) throws -> [String] {
        try String(contentsOf: dir.appendingPathComponent("metrics.jsonl"), encoding: .utf8).split(separator: "\n").map {
            // Drop the timing field, which differs between runs.
            $0.split(separator: ",").filter { !$0.contains("images_per_s") }.joined(separator: ",")
        }
    }

    @Test("killing a DetCo run and resuming reproduces the uninterrupted run's later losses exactly")
    func resumeIsExact() throws {
        let root = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("kiln-resume-\(getpid())")
        let full = root.appendingPathComponent("full"), split = root.appendingPathComponent("split")
        let c = Self.configuration(.detco)
        try PretrainingRun(c, source: BlockImages(count: 12), out: full, resume: false, dataThreads: 2).run()
        // Interrupt after the step-3 checkpoint (step 4 runs but is never saved), then resume.
        let interrupted = try PretrainingRun(c, source: BlockImages(count: 12), out: split, resume: false, dataThreads: 1)
        #expect(throws: StopAfter.self) { try interrupted.run { r in if r.step == 4 { throw StopAfterBox.error } } }
        let resumed = try PretrainingRun(c, source: BlockImages(count: 12), out: split, resume: true, dataThreads: 2)
        #expect(resumed.nextStep == 3)
        try resumed.run()
        let a = try Self.losses(full), b = try Self.losses(split)
        #expect(a.count == 6 && a == b, "\n\(a.joined(separator: "\n"))\nvs\n\(b.joined(separator: "\n"))")
        for file in ["checkpoint.safetensors", "loss.png", "metrics.jsonl"] {
            #expect(FileManager.default.fileExists(atPath: split.appendingPathComponent(file).path))
        }
        let (tensors, metadata) = try SafeTensors.read(split.appendingPathComponent("checkpoint.safetensors"))
        #expect(metadata["step"] == "6")
        #expect(tensors["encoder_q.conv1.weight"]?.shape == [64, 3, 7, 7])
    }

    @Test("background swapping on the built-in scenes resumes exactly; on images without masks it is refused")
    func backgroundSwap() throws {
        var c = Self.configuration(.mocov2)
        c.steps = 4
        c.checkpointEvery = 2
        c.backgroundSwap = 1
        let scenes = try FashionSceneSource(count: 16, seed: 2, size: 48)
        let root = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("kiln-swap-\(getpid())")
        defer { try? FileManager.default.removeItem(at: root) }
        let full = root.appendingPathComponent("full"), split = root.appendingPathComponent("split")
        try PretrainingRun(c, source: scenes, out: full, resume: false, dataThreads: 2).run()
        let interrupted = try PretrainingRun(c, source: scenes, out: split, resume: false, dataThreads: 1)
        #expect(throws: StopAfter.self) { try interrupted.run { r in if r.step == 3 { throw StopAfterBox.error } } }
        try PretrainingRun(c, source: scenes, out: split, resume: true, dataThreads: 2).run()
        let a = try Self.losses(full), b = try Self.losses(split)
        #expect(a.count == 4 && a == b, "\n\(a.joined(separator: "\n"))\nvs\n\(b.joined(separator: "\n"))")
        do {
            _ = try PretrainingRun(c, source: BlockImages(count: 12), out: nil, resume: false)
            Issue.record("expected background swapping without masks to be refused")
        } catch {
            #expect("\(error)".contains("foreground masks"), "\(error)")
        }
    }

    @Test("the kNN monitor logs knn_top1 at step 0, every N steps and at the end, draws knn.png, and changes no loss")
    func knnMonitor() throws {
        var c = Self.configuration(.mocov2)
        c.steps = 5
        let root = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("kiln-knn-\(getpid())")
        defer { try? FileManager.default.removeItem(at: root) }
        let plain = root.appendingPathComponent("plain"), monitored = root.appendingPathComponent("monitored")
        try PretrainingRun(c, source: BlockImages(count: 12), out: plain, resume: false, dataThreads: 1).run()
        var settings = KNNMonitorSettings(every: 2)
        settings.galleryCount = 40
        settings.queryCount = 20
        settings.k = 5
        let run = try PretrainingRun(c, source: BlockImages(count: 12), out: monitored, resume: false, dataThreads: 1,
                                     knn: settings)
        var evaluated: [Int] = []
        try run.run { r in
            if let top1 = r.knnTopOne {
                evaluated.append(r.step)
                #expect(top1 >= 0 && top1 <= 1)
            }
        }
        #expect(evaluated == [2, 4, 5])
        let lines = try Self.losses(monitored)
        #expect(lines.first?.hasPrefix("{\"step\": 0, \"knn_top1\": ") == true, "\(lines.first ?? "")")
        #expect(lines.filter { $0.contains("knn_top1") }.count == 4)
        // Without the monitor's field and its step-0 line, the metrics are the unmonitored run's.
        let stripped = lines.dropFirst().map { $0.split(separator: ",").filter { !$0.contains("knn_top1") }.joined(separator: ",") }
        #expect(stripped == (try Self.losses(plain)))
        #expect(FileManager.default.fileExists(atPath: monitored.appendingPathComponent("knn.png").path))

        // Without Fashion-MNIST the run is refused before it writes anything: an earlier run's files stay.
        var missing = KNNMonitorSettings(every: 2)
        missing.directory = root.appendingPathComponent("no-fashion-mnist")
        let before = try Data(contentsOf: plain.appendingPathComponent("metrics.jsonl"))
        #expect(throws: (any Error).self) {
            try PretrainingRun(c, source: BlockImages(count: 12), out: plain, resume: false, dataThreads: 1, knn: missing)
        }
        #expect(try Data(contentsOf: plain.appendingPathComponent("metrics.jsonl")) == before)
    }

    @Test("a diverging run stops with a message naming the step and keeps the last good checkpoint")
    func divergence() throws {
        var c = Self.configuration(.mocov2)
        c.baseLearningRate = 1e12
        let dir = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("kiln-nan-\(getpid())")
        do {
            try PretrainingRun(c, source: BlockImages(count: 12), out: dir, resume: false).run()
            Issue.record("expected the run to stop")
        } catch {
            #expect("\(error)".contains("became"), "\(error)")
        }
    }
}

enum StopAfterBox { static let error = StopAfter() }
