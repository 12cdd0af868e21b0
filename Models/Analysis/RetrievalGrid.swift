// The retrieval figure: one row per query — the query, a gap, then its neighbours best first — each picture with
// a caption (label name when known, similarity for neighbours). A neighbour's frame is green when its label
// matches the query's, red when it does not, absent without labels.

import Foundation
import KilnData

public struct RetrievalGrid {
    /// Side of each picture in pixels.
    public var cell = 96
    public var margin = 8
    /// Extra space between the query column and the neighbours.
    public var queryGap = 16

    public init(cell: Int = 96) { self.cell = cell }

    static let captionHeight = 2 * BitmapFont.lineHeight + 4
    static let headerHeight = BitmapFont.lineHeight + 4

    /// Draws `rows`; `picture(i)` is gallery image i (any size: it is resized and centre-cropped to the cell),
    /// `label(i)` its class name if known.
    public func render(_ rows: [RetrievalRow], picture: (Int) throws -> Image, label: (Int) -> String?) throws -> Canvas {
        let columns = 1 + (rows.map(\.neighbours.count).max() ?? 0)
        let rowHeight = cell + Self.captionHeight + margin
        let width = 2 * margin + queryGap + columns * cell + (columns - 1) * margin
        let height = 2 * margin + Self.headerHeight + rows.count * rowHeight
        var canvas = Canvas(width: width, height: height)
        let scratch = TransformScratch()
        func x(_ column: Int) -> Int { margin + column * (cell + margin) + (column > 0 ? queryGap : 0) }
        canvas.text("query", x: x(0), y: margin, .black)
        for c in 1..<max(columns, 1) { canvas.text("\(c)", x: x(c), y: margin, .black) }
        let maxCharacters = max(1, (cell + 1) / BitmapFont.advance)
        for (r, row) in rows.enumerated() {
            let y = margin + Self.headerHeight + r * rowHeight
            let queryLabel = label(row.query)
            let entries = [(row.query, Float?.none)] + row.neighbours.map { ($0.index, Optional($0.similarity)) }
            for (c, (index, similarity)) in entries.enumerated() {
                let small = SquareInput.prepare(try picture(index), size: cell, normalization: .identity, scratch: scratch)
                canvas.paste(SquareInput.display(small, normalization: .identity), x: x(c), y: y)
                let name = label(index)
                if c > 0, let name, let queryLabel {
                    let box = Box(x0: Double(x(c) - 2), y0: Double(y - 2), x1: Double(x(c) + cell + 2), y1: Double(y + cell + 2))
                    canvas.strokeRect(box, name == queryLabel ? .green : .red, thickness: 2)
                }
                let captionY = y + cell + 3
                if let name { canvas.text(String(name.prefix(maxCharacters)), x: x(c), y: captionY, .black) }
                if let similarity {
                    canvas.text(String(format: "%.3f", similarity), x: x(c), y: captionY + BitmapFont.lineHeight, .gray)
                }
            }
        }
        return canvas
    }
}
