// `LinePlot`: line charts (loss curves, accuracies) rendered to a Canvas / PNG with axes, "nice" ticks
// (1, 2, 5 × 10^k), light grid lines, a title, axis labels and a legend. Non-finite points are skipped and
// break the line. `layout()` exposes the data → pixel mapping, so callers (and tests) can locate points.

import Foundation

/// A line chart of one or more series.
public struct LinePlot: Sendable {
    public struct Series: Sendable {
        public var name: String
        public var points: [SIMD2<Double>]
        /// Nil picks the palette colour of the series' position.
        public var color: Color?

        public init(name: String, points: [SIMD2<Double>], color: Color? = nil) {
            self.name = name
            self.points = points
            self.color = color
        }

        /// A series over x = 0, 1, 2, ... (e.g. one value per step).
        public init(name: String, values: [Double], color: Color? = nil) {
            self.init(name: name, points: values.enumerated().map { SIMD2(Double($0), $1) }, color: color)
        }
    }

    public var series: [Series]
    public var title = ""
    public var xLabel = ""
    public var yLabel = ""
    public var width = 640
    public var height = 400

    public init(series: [Series], title: String = "", xLabel: String = "", yLabel: String = "") {
        self.series = series
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
    }

    /// The mapping from data to pixels for the current series and size.
    public struct Layout: Sendable {
        /// Plot area in pixels: x in left...right, y in top...bottom.
        public var left: Int, right: Int, top: Int, bottom: Int
        public var xRange: ClosedRange<Double>
        public var yRange: ClosedRange<Double>

        /// Pixel position of a data point (fractional; kept within ±1e6 so it converts to Int safely).
        public func pixel(_ point: SIMD2<Double>) -> SIMD2<Double> {
            let fx = (point.x - xRange.lowerBound) / (xRange.upperBound - xRange.lowerBound)
            let fy = (point.y - yRange.lowerBound) / (yRange.upperBound - yRange.lowerBound)
            let p = SIMD2(Double(left) + fx * Double(right - left), Double(bottom) - fy * Double(bottom - top))
            func safe(_ v: Double) -> Double { v.isFinite ? min(max(v, -1e6), 1e6) : 0 }
            return SIMD2(safe(p.x), safe(p.y))
        }
    }

    public func layout() -> Layout {
        let finite = series.flatMap(\.points).filter { $0.x.isFinite && $0.y.isFinite }
        func range(_ values: [Double]) -> ClosedRange<Double> {
            guard let low = values.min(), let high = values.max() else { return 0...1 }
            if high > low, (high - low).isFinite { return low...high }
            if high > low { return (low / 2)...(high / 2) }  // span overflows: halve (ticks need a finite span)
            let pad = max(abs(low) * 0.1, 1e-9)
            return (low - pad)...(high + pad)
        }
        let yRange = range(finite.map(\.y))
        let labelWidth = ticks(yRange).map { BitmapFont.size(of: Self.format($0)).width }.max() ?? 0
        let left = 14 + labelWidth + (yLabel.isEmpty ? 0 : 12)
        return Layout(left: left, right: width - 16, top: title.isEmpty ? 14 : 26,
                      bottom: height - (xLabel.isEmpty ? 22 : 34), xRange: range(finite.map(\.x)), yRange: yRange)
    }

    public func render() -> Canvas {
        var canvas = Canvas(width: width, height: height, background: .white)
        let layout = layout()
        // Grid and ticks.
        for value in ticks(layout.xRange) {
            let x = Int(layout.pixel(SIMD2(value, layout.yRange.lowerBound)).x.rounded())
            canvas.line(x, layout.top, x, layout.bottom, .lightGray)
            canvas.line(x, layout.bottom, x, layout.bottom + 3, .black)
            let label = Self.format(value)
            canvas.text(label, x: x - BitmapFont.size(of: label).width / 2, y: layout.bottom + 6, .black)
        }
        for value in ticks(layout.yRange) {
            let y = Int(layout.pixel(SIMD2(layout.xRange.lowerBound, value)).y.rounded())
            canvas.line(layout.left, y, layout.right, y, .lightGray)
            canvas.line(layout.left - 3, y, layout.left, y, .black)
            let label = Self.format(value)
            canvas.text(label, x: layout.left - 6 - BitmapFont.size(of: label).width, y: y - 3, .black)
        }
        // Axes.
        canvas.line(layout.left, layout.top, layout.left, layout.bottom, .black)
        canvas.line(layout.left, layout.bottom, layout.right, layout.bottom, .black)
        // Series.
        for (index, item) in series.enumerated() {
            let color = item.color ?? .palette(index)
            var previous: SIMD2<Double>?
            for point in item.points {
                guard point.x.isFinite, point.y.isFinite else { previous = nil; continue }
                let p = layout.pixel(point)
                if let previous { canvas.smoothLine(previous, p, color) } else { canvas.plot(Int(p.x.rounded()), Int(p.y.rounded()), color) }
                previous = p
            }
        }
        // Labels, title, legend.
        if !title.isEmpty {
            canvas.text(title, x: (width - BitmapFont.size(of: title).width) / 2, y: 8, .black)
        }
        if !xLabel.isEmpty {
            canvas.text(xLabel, x: (layout.left + layout.right - BitmapFont.size(of: xLabel).width) / 2, y: height - 12, .black)
        }
        if !yLabel.isEmpty {
            // No rotated text in a bitmap font: the y label stacks its characters vertically.
            let stacked = yLabel.map(String.init).joined(separator: "\n")
            canvas.text(stacked, x: 4, y: (layout.top + layout.bottom - BitmapFont.size(of: stacked).height) / 2, .black)
        }
        drawLegend(&canvas, layout: layout)
        return canvas
    }

    /// Top-left of the legend's first colour swatch, for locating it (e.g. in tests).
    public func legendOrigin(_ layout: Layout) -> (x: Int, y: Int) {
        let textWidth = series.map { BitmapFont.size(of: $0.name).width }.max() ?? 0
        return (layout.right - textWidth - 26, layout.top + 6)
    }

    private func drawLegend(_ canvas: inout Canvas, layout: Layout) {
        guard !series.isEmpty else { return }
        let origin = legendOrigin(layout)
        let boxWidth = layout.right - origin.x, boxHeight = series.count * 12 + 6
        canvas.fillRect(x: origin.x - 4, y: origin.y - 4, width: boxWidth, height: boxHeight, .white)
        canvas.strokeRect(Box(x0: Double(origin.x - 4), y0: Double(origin.y - 4), x1: Double(origin.x - 4 + boxWidth),
                              y1: Double(origin.y - 4 + boxHeight)), .gray)
        for (index, item) in series.enumerated() {
            let y = origin.y + index * 12
            canvas.fillRect(x: origin.x, y: y, width: 12, height: 7, item.color ?? .palette(index))
            canvas.text(item.name, x: origin.x + 16, y: y, .black)
        }
    }

    /// About five round tick values inside `range`.
    func ticks(_ range: ClosedRange<Double>) -> [Double] {
        let span = range.upperBound - range.lowerBound
        guard span > 0, span.isFinite else { return [] }
        let raw = span / 5
        let magnitude = pow(10, (log10(raw)).rounded(.down))
        let step = [1.0, 2.0, 5.0, 10.0].map { $0 * magnitude }.first { $0 >= raw } ?? 10 * magnitude
        var values: [Double] = []
        var value = (range.lowerBound / step).rounded(.up) * step
        while value <= range.upperBound + step * 1e-9, values.count < 20 {
            values.append(abs(value) < step * 1e-9 ? 0 : value)
            value += step
        }
        return values
    }

    /// Compact tick labels: integers plainly, others with up to 4 significant digits.
    static func format(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 1e7 { return String(Int(value)) }
        if abs(value) >= 1e4 || abs(value) < 1e-3 { return String(format: "%.2e", value) }
        var text = String(format: "%.4g", value)
        if text.contains(".") { while text.hasSuffix("0") { text.removeLast() } }
        return text
    }

    public func pngData() throws -> [UInt8] { try render().pngData() }

    public func save(to url: URL) throws { try render().save(to: url) }
}
