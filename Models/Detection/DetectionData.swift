// The data of detection fine-tuning runs: a COCO folder (`DIR/annotations.json`, image paths relative to DIR) or,
// by default, Kiln's demo fashion scenes; and the deterministic train/val split every command uses: the images in
// file order, the last `validationFraction` (at least one image) held out for validation.

import Foundation
import KilnData

public enum DetectionData {
    /// The held-out share of the images.
    public static let validationFraction = 0.1

    /// The folder of `--data DIR`, or the demo scenes (generated once, then cached).
    public static func directory(_ path: String?) throws -> URL {
        if let path { return URL(fileURLWithPath: path, isDirectory: true) }
        return try FashionScenes.ensureCached()
    }

    /// `DIR/annotations.json`. `forEvaluation` keeps boxes exactly as written (pycocotools); otherwise they are
    /// cleaned for training (clipped, degenerate ones dropped).
    public static func load(_ directory: URL, forEvaluation: Bool) throws -> COCODataset {
        let file = directory.appendingPathComponent("annotations.json")
        guard FileManager.default.fileExists(atPath: file.path) else {
            throw FineTuneError("\(file.path) does not exist (--data needs a folder holding annotations.json and its images)")
        }
        return try COCODataset.load(file, options: COCOLoadOptions(cleanBoxes: !forEvaluation))
    }

    public enum Split: String, CaseIterable, Sendable {
        case train, val, all
    }

    /// The images of `split` with their annotations (file order kept).
    public static func split(_ dataset: COCODataset, _ split: Split) -> COCODataset {
        let count = dataset.images.count
        let held = count < 2 ? 0 : max(1, Int((Double(count) * validationFraction).rounded()))
        let range: Range<Int>
        switch split {
        case .all: return dataset
        case .train: range = 0..<(count - held)
        case .val: range = (count - held)..<count
        }
        return subset(dataset, range)
    }

    /// The images at `range` (file order) with their annotations.
    public static func subset(_ dataset: COCODataset, _ range: Range<Int>) -> COCODataset {
        let images = Array(dataset.images[range.clamped(to: dataset.images.indices)])
        let ids = Set(images.map(\.id))
        var out = COCODataset(images: images, annotations: dataset.annotations.filter { ids.contains($0.imageID) },
                              categories: dataset.categories, imageRoot: dataset.imageRoot)
        out.sourceFile = dataset.sourceFile
        return out
    }
}
