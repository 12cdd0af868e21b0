// Drawing tests check pixels: rectangle borders, line positions, glyph bits, mask blending, colormaps and the
// position of a plotted line and legend swatch.

import Foundation
import Testing
import KilnData

@Suite struct DrawingTests {
    @Test func rectangleBorderAndInterior() {
        var canvas = Canvas(width: 20, height: 10)
        canvas.strokeRect(Box(x0: 2, y0: 3, x1: 12, y1: 8), .red, thickness: 1)
        #expect(canvas[2, 3] == .red && canvas[11, 7] == .red && canvas[6, 3] == .red && canvas[2, 5] == .red)
        #expect(canvas[6, 5] == .white && canvas[12, 5] == .white && canvas[1, 3] == .white)
        canvas.fillRect(x: -5, y: -5, width: 8, height: 7, .blue)  // clipped at the canvas corner
        #expect(canvas[0, 0] == .blue && canvas[2, 1] == .blue && canvas[3, 0] == .white)
    }

    @Test func linesHitTheExpectedPixels() {
        var canvas = Canvas(width: 30, height: 30)
        canvas.line(2, 10, 25, 10, .black)
        #expect((2...25).allSatisfy { canvas[$0, 10] == .black } && canvas[26, 10] == .white && canvas[10, 9] == .white)
        canvas.line(0, 0, 29, 29, .green)
        #expect((0..<30).allSatisfy { canvas[$0, $0] == .green })
        canvas.line(-1000, 5, 1000, 5, .blue)
        #expect(canvas[0, 5] == .blue && canvas[29, 5] == .blue)

        var smooth = Canvas(width: 20, height: 20)
        smooth.smoothLine(SIMD2(1, 4.5), SIMD2(18, 4.5), .black)
        // Halfway between rows 4 and 5: both get half intensity.
        #expect(smooth[9, 4] == Color(128, 128, 128) && smooth[9, 5] == Color(128, 128, 128) && smooth[9, 6] == .white)
    }

    @Test func textUsesTheBuiltInFont() {
        var canvas = Canvas(width: 40, height: 12)
        canvas.text("I-", x: 1, y: 2, .black)
        // 'I' has a vertical bar in its middle column (x = 1 + 2) from row 0 to 6 and serifs on rows 0 and 6.
        #expect((2...8).allSatisfy { canvas[3, $0] == .black })
        #expect(canvas[1, 2] == .white && canvas[2, 2] == .black && canvas[2, 4] == .white)
        // '-' (advance 6) is a full-width bar on row 3.
        #expect((7...11).allSatisfy { canvas[$0, 5] == .black } && canvas[9, 4] == .white)
        #expect(BitmapFont.size(of: "abc").width == 17 && BitmapFont.rows("é") == BitmapFont.rows("?"))
        var big = Canvas(width: 20, height: 20)
        big.text(".", x: 0, y: 0, .red, scale: 2)
        #expect(big[2, 10] == .red && big[3, 13] == .red && big[1, 10] == .white)
    }

    @Test func masksAndHeatmapsBlend() {
        var canvas = Canvas(width: 4, height: 2, background: .black)
        var mask = BinaryMask(width: 4, height: 2)
        mask[1, 0] = true
        canvas.blend(mask: mask, .white, alpha: 0.5)
        #expect(canvas[1, 0] == Color(128, 128, 128) && canvas[0, 0] == .black)
        canvas.blend(heatmap: [0, 1, 0, 1, 0.5, 0.5, 0.5, 0.5], colormap: .gray, alpha: 1)
        #expect(canvas[0, 0] == .black && canvas[1, 0] == .white && canvas[2, 1] == Color(128, 128, 128))
    }

    @Test func colormapsAreOrderedRamps() {
        #expect(Colormap.viridis.color(0) == Color(68, 1, 84) && Colormap.viridis.color(1) == Color(253, 231, 37))
        #expect(Colormap.jet.color(0).b > 100 && Colormap.jet.color(0).r == 0)
        #expect(Colormap.jet.color(1).r > 100 && Colormap.jet.color(1).b == 0)
        #expect(Colormap.jet.color(0.5) == Color(128, 255, 128))
        let brightness = stride(from: Float(0), through: 1, by: 0.1).map { c -> Int in
            let v = Colormap.viridis.color(c); return Int(v.r) * 299 + Int(v.g) * 587 + Int(v.b) * 114
        }
        #expect(brightness == brightness.sorted())
        #expect(Colormap.gray.color(.nan) == .black)
    }

    @Test func linePlotDrawsSeriesWhereTheLayoutSays() throws {
        var plot = LinePlot(series: [LinePlot.Series(name: "loss", points: [SIMD2(0, 2), SIMD2(10, 2)], color: .red),
                                     LinePlot.Series(name: "acc", values: [0, 1, 4, 9, 16, .nan, 25], color: .blue)],
                            title: "Training", xLabel: "step", yLabel: "value")
        plot.width = 300
        plot.height = 200
        let canvas = plot.render()
        let layout = plot.layout()
        #expect(layout.xRange == 0...10 && layout.yRange == 0...25)
        // The horizontal red series at y = 2 sits on one pixel row across the plot.
        let from = layout.pixel(SIMD2(5, 2)), to = layout.pixel(SIMD2(9, 2))
        let redRow = Int(from.y.rounded(.down))
        let columns = Int(from.x.rounded())..<Int(to.x.rounded())
        let hits = columns.filter { x in
            canvas[x, redRow].r > 200 && canvas[x, redRow].g < 150 || canvas[x, redRow + 1].r > 200 && canvas[x, redRow + 1].g < 150
        }
        #expect(columns.count > 80 && hits.count == columns.count)
        #expect(canvas[columns.lowerBound + 10, redRow - 3] != .red && canvas[columns.lowerBound + 10, redRow + 3] != .red)
        // Axes are black at the plot's left and bottom edges.
        #expect(canvas[layout.left, (layout.top + layout.bottom) / 2] == .black && canvas[(layout.left + layout.right) / 2, layout.bottom] == .black)
        // The legend swatches carry the series colours.
        let origin = plot.legendOrigin(layout)
        #expect(canvas[origin.x + 3, origin.y + 3] == .red && canvas[origin.x + 3, origin.y + 15] == .blue)
        let decoded = try PNG.decode(data: try plot.pngData())
        #expect(decoded == canvas.image)
    }
}

@Suite struct DrawingRobustnessTests {
    @Test func absurdCoordinatesAreClipped() throws {
        var canvas = Canvas(width: 16, height: 16)
        canvas.strokeRect(Box(x0: -1e300, y0: 2, x1: 1e300, y1: 1e300), .red)
        #expect(canvas[8, 2] == .red && canvas[8, 3] == .white)
        canvas.strokeRect(Box(x0: .nan, y0: 2, x1: 9, y1: .infinity), .red)
        canvas.smoothLine(SIMD2(-1e300, 3), SIMD2(1e300, .nan), .red)
        canvas.line(Int.min / 4, 0, Int.max / 4, 15, .blue)
        let plot = LinePlot(series: [LinePlot.Series(name: "wild", values: [1e308, -1e308, .infinity, 0])])
        let decoded = try PNG.decode(data: try plot.pngData())
        #expect(decoded.width == 640 && (canvas[0, 7] == .blue || canvas[0, 8] == .blue))
    }
}
