// A one-line progress display: redrawn in place on a terminal, one line per update interval otherwise (CI logs).

import Foundation

final class ProgressBar {
    let total: Int
    let isTerminal = isatty(STDERR_FILENO) == 1
    let start = Date()
    private var lastLine = Date.distantPast

    init(total: Int) { self.total = total }

    /// Shows progress `done`/`total` with extra fields (e.g. "loss 2.31").
    func update(_ done: Int, _ fields: String, force: Bool = false) {
        let elapsed = Date().timeIntervalSince(start)
        let eta = done > 0 ? elapsed / Double(done) * Double(total - done) : 0
        let width = 24
        let filled = total > 0 ? min(width, width * done / total) : width
        let bar = String(repeating: "=", count: filled) + (filled < width ? ">" : "") + String(repeating: " ", count: max(0, width - filled - 1))
        let line = "\(done)/\(total) [\(bar)] \(fields) ETA \(ProgressBar.clock(eta))"
        if isTerminal {
            FileHandle.standardError.write(Data(("\r\u{1B}[2K" + line).utf8))
            if done >= total { FileHandle.standardError.write(Data("\n".utf8)) }
        } else if force || done >= total || Date().timeIntervalSince(lastLine) >= 2 {
            FileHandle.standardError.write(Data((line + "\n").utf8))
            lastLine = Date()
        }
    }

    static func clock(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String(format: "%02d:%02d", s / 60, s % 60)
    }
}
