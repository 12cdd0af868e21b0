// A training run's visible record: metrics.jsonl (one JSON object per step) and loss.png (the curves).

import Foundation
import KilnData

public final class MetricsLog {
    public let directory: URL
    public private(set) var records: [[String: Double]] = []
    private var handle: FileHandle?

    public var jsonlURL: URL { directory.appendingPathComponent("metrics.jsonl") }
    public var plotURL: URL { directory.appendingPathComponent("loss.png") }
    public var knnPlotURL: URL { directory.appendingPathComponent("knn.png") }

    /// Opens the log in `directory`. When resuming at `step`, lines of later steps are dropped so the file equals
    /// an uninterrupted run's.
    public init(directory: URL, resumingAfter step: Int?) throws {
        self.directory = directory
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        if let step, let text = try? String(contentsOf: jsonlURL, encoding: .utf8) {
            var kept: [String] = []
            for line in text.split(separator: "\n") {
                guard let data = line.data(using: .utf8),
                      let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
                      let s = (object["step"] as? NSNumber)?.intValue, s <= step else { continue }
                kept.append(String(line))
                records.append(object.compactMapValues { ($0 as? NSNumber)?.doubleValue })
            }
            try (kept.map { $0 + "\n" }.joined()).write(to: jsonlURL, atomically: true, encoding: .utf8)
        } else {
            try Data().write(to: jsonlURL)
        }
        handle = try FileHandle(forWritingTo: jsonlURL)
        try handle?.seekToEnd()
    }

    deinit { try? handle?.close() }

    /// Appends one step's record (keys sorted; `step` first).
    public func append(_ record: [String: Double]) {
        records.append(record)
        let keys = ["step"] + record.keys.filter { $0 != "step" }.sorted()
        let fields = keys.compactMap { key -> String? in
            guard let v = record[key] else { return nil }
            let text = key == "step" ? String(Int(v)) : (v.isFinite ? "\(v)" : "null")
            return "\"\(key)\": \(text)"
        }
        handle?.write(Data(("{" + fields.joined(separator: ", ") + "}\n").utf8))
    }

    /// Renders the loss curves (every key starting with "loss") to loss.png, and the kNN monitor's top-1 (in %) to
    /// knn.png when records have `knn_top1`.
    public func plot(title: String) throws {
        let knn = records.compactMap { r -> SIMD2<Double>? in
            guard let s = r["step"], let v = r["knn_top1"], v.isFinite else { return nil }
            return SIMD2(s, 100 * v)
        }
        if !knn.isEmpty {
            try LinePlot(series: [LinePlot.Series(name: "kNN top-1", points: knn)], title: title, xLabel: "step",
                         yLabel: "kNN top-1 (%)").render().save(to: knnPlotURL)
        }
        let keys = Set(records.flatMap { $0.keys.filter { $0.hasPrefix("loss") } }).sorted()
        guard !records.isEmpty, !keys.isEmpty else { return }
        let series = keys.map { key in
            LinePlot.Series(name: key, points: records.compactMap { r in
                guard let s = r["step"], let v = r[key], v.isFinite else { return nil }
                return SIMD2(s, v)
            })
        }
        try LinePlot(series: series, title: title, xLabel: "step", yLabel: "loss").render().save(to: plotURL)
    }
}
