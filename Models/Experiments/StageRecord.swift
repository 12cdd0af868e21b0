// `DIR/stage.json`: what one stage of a multi-stage experiment was run with, whether it finished, how long it took
// and (for evaluations) its scores. Written when a stage starts and again when it finishes, so a re-run of the
// experiment can tell a finished stage (reused), an interrupted one (resumed from its checkpoint) and a folder made
// with other inputs (refused: reusing it would mix configurations, and silently redoing it would destroy hours of
// work done with other flags).

import Foundation
import KilnData

/// AP numbers of one evaluation, in [0, 1] (−1 where undefined), keyed by pycocotools' names (AP, AP50, AP75, …).
public struct DetectionScores: Codable, Equatable, Sendable {
    public var bbox: [String: Double]
    /// Mask AP, when the detector predicts masks.
    public var segm: [String: Double]?
    /// Images evaluated.
    public var images: Int

    public init(bbox: [String: Double], segm: [String: Double]?, images: Int) {
        self.bbox = bbox
        self.segm = segm
        self.images = images
    }

    public init(_ result: DetectorEvaluationResult) {
        func named(_ stats: [Double]) -> [String: Double] {
            Dictionary(zip(COCOSummary.names, stats), uniquingKeysWith: { a, _ in a })
        }
        bbox = named(result.bbox.summary.stats)
        segm = result.segm.map { named($0.summary.stats) }
        images = result.images
    }
}

public struct StageRecord: Codable, Equatable, Sendable {
    public static let fileName = "stage.json"

    /// The stage's folder name (for messages).
    public var stage: String
    /// Everything the stage's output depends on (configurations, data, upstream stages), as named strings.
    public var inputs: [String: String]
    public var finished: Bool
    /// Wall-clock seconds of the invocation that finished the stage.
    public var seconds: Double
    public var scores: DetectionScores?

    public init(stage: String, inputs: [String: String], finished: Bool = false, seconds: Double = 0,
                scores: DetectionScores? = nil) {
        self.stage = stage
        self.inputs = inputs
        self.finished = finished
        self.seconds = seconds
        self.scores = scores
    }

    /// The record in `folder`, nil when there is none.
    public static func read(_ folder: URL) throws -> StageRecord? {
        let url = folder.appendingPathComponent(fileName)
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        do {
            return try JSONDecoder().decode(StageRecord.self, from: Data(contentsOf: url))
        } catch {
            throw ExperimentError("\(url.path) cannot be read (\(error)); delete \(folder.path) to run that stage again")
        }
    }

    /// Writes the record to `folder/stage.json` (atomically, creating the folder).
    public func write(_ folder: URL) throws {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(self).write(to: folder.appendingPathComponent(Self.fileName), options: .atomic)
    }
}

/// What to do with a stage's folder.
public enum StageState: Equatable, Sendable {
    /// No record: run the stage from the start.
    case fresh
    /// Started with the same inputs but not finished: continue from its checkpoint where there is one.
    case interrupted
    /// Finished with the same inputs: reuse its output.
    case finished(StageRecord)

    /// The state of the stage in `folder` for `inputs`.
    /// - Throws: `ExperimentError` when the folder holds a stage made with other inputs, naming the first input
    ///   that differs.
    public static func of(_ folder: URL, inputs: [String: String]) throws -> StageState {
        guard let record = try StageRecord.read(folder) else { return .fresh }
        guard record.inputs == inputs else {
            let names = Set(record.inputs.keys).union(inputs.keys).sorted()
            let differing = names.first { record.inputs[$0] != inputs[$0] } ?? "?"
            throw ExperimentError("\(folder.path) was made with different inputs ('\(differing)' differs: another "
                                  + "--budget, --seed or data?); choose another --out or delete that folder")
        }
        return record.finished ? .finished(record) : .interrupted
    }
}

public struct ExperimentError: Error, CustomStringConvertible {
    public var description: String
    public init(_ message: String) { description = message }
}
