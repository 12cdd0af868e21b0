// `zoo detect CKPT IMAGE... -o DIR [--threshold T]`: runs a fine-tuned detector (`zoo finetune`) on image files
// and writes, per image, DIR/NAME.png with the detections drawn (boxes, masks for detectors that predict them,
// class names and scores) and prints one line per detection.

import ArgumentParser
import Foundation
import KilnData
import KilnZoo

struct DetectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "detect",
        abstract: "Detect objects in images with a fine-tuned detector and draw them.")

    @Argument(help: "A checkpoint written by `zoo finetune`.") var checkpoint: String
    @Argument(help: "PNG or JPEG images.") var images: [String]
    @Option(name: [.short, .customLong("out")], help: "Output folder for the drawings.") var out: String
    @Option(help: "Draw detections scoring at least this.") var threshold = 0.5
    @Option(help: "Images per inference batch (default: the training batch).") var batch: Int?

    func run() throws {
        guard !images.isEmpty else { throw UsageError("give at least one image") }
        guard threshold.isFinite else { throw UsageError("--threshold must be a number") }
        let loaded = try DetectorCheckpoint.load(URL(fileURLWithPath: checkpoint))
        var c = loaded.configuration
        if let batch {
            guard batch > 0 else { throw UsageError("--batch must be positive") }
            c.batch = batch
        }
        let inference = try DetectorInference(loaded.detector, configuration: c, batch: min(c.batch, images.count))
        let folder = URL(fileURLWithPath: out, isDirectory: true)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for first in stride(from: 0, to: images.count, by: inference.batch) {
            let paths = Array(images[first..<min(first + inference.batch, images.count)])
            let pictures = try paths.map { try ImageIO.load(URL(fileURLWithPath: $0), mode: .rgb) }
            for (path, (picture, found)) in zip(paths, zip(pictures, try inference.detect(pictures))) {
                let shown = found.filter { $0.score >= threshold }
                let name = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
                let target = folder.appendingPathComponent(name + ".png")
                try DetectionDrawing.draw(picture, shown, classNames: c.classNames).save(to: target)
                print("\(path): \(shown.count) detections ≥ \(threshold) → \(target.path)")
                for d in shown {
                    let label = d.label < c.classNames.count ? c.classNames[d.label] : "class \(d.label)"
                    print(String(format: "  %@ %.3f [%.1f, %.1f, %.1f, %.1f]", label, d.score, d.box.x0, d.box.y0, d.box.x1, d.box.y1))
                }
            }
        }
    }
}
