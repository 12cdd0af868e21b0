// Polygon → RLE rasterisation with pycocotools' pixel rule (`frPyObjects` / `rleFrPoly`), so masks, areas and
// mask IoUs agree with the reference evaluator:
// 1. Vertices are scaled ×5 and rounded (C-style truncation of v·5 + 0.5) onto a fine grid; each edge is walked
//    with one point per fine-grid step along its major axis, rounding the minor coordinate.
// 2. Wherever the walk crosses a fine-grid column that is the centre of an image pixel column, the crossing's
//    y (the upper of the two walk points, rounded up to the next pixel centre, clamped to the image) becomes a
//    boundary in that column.
// 3. Sorting the column-major boundary indices and differencing them gives the alternating runs: each boundary
//    toggles inside/outside, which is the even-odd fill rule evaluated at pixel centres.

import Foundation

extension RLE {
    /// Largest number of fine-grid points a single polygon may produce; a bound on memory for corrupt input
    /// (a real polygon in a 10,000-pixel image stays far below it).
    public static let maxPolygonWalk = 1 << 24

    /// Rasterises one polygon `[x0, y0, x1, y1, ...]` (pixel coordinates, pixel centres at integers + 0.5)
    /// into a `height × width` mask, exactly as pycocotools does.
    public init(polygon: [Double], height: Int, width: Int, file: String = "<memory>", field: String = "segmentation") throws {
        let scale = 5.0
        let k = polygon.count / 2
        guard k >= 1, polygon.allSatisfy({ $0.isFinite && abs($0) < 1e8 }) else {
            throw DataError(.invalid, file: file, field: field, "polygon needs finite coordinates below 1e8 in magnitude")
        }
        var xs = [Int](repeating: 0, count: k + 1), ys = [Int](repeating: 0, count: k + 1)
        for j in 0..<k {
            xs[j] = Int((scale * polygon[2 * j] + 0.5).rounded(.towardZero))
            ys[j] = Int((scale * polygon[2 * j + 1] + 0.5).rounded(.towardZero))
        }
        xs[k] = xs[0]; ys[k] = ys[0]
        var walkLength = 0
        for j in 0..<k { walkLength += max(abs(xs[j] - xs[j + 1]), abs(ys[j] - ys[j + 1])) + 1 }
        guard walkLength <= Self.maxPolygonWalk else {
            throw DataError(.invalid, file: file, field: field, "polygon is too large to rasterise (\(walkLength) boundary steps)")
        }

        // Step 1: dense walk along every edge, from its start vertex to its end vertex.
        var u = [Int](), v = [Int]()
        u.reserveCapacity(walkLength); v.reserveCapacity(walkLength)
        for j in 0..<k {
            var x0 = xs[j], x1 = xs[j + 1], y0 = ys[j], y1 = ys[j + 1]
            let dx = abs(x1 - x0), dy = abs(y1 - y0)
            let flip = (dx >= dy && x0 > x1) || (dx < dy && y0 > y1)
            if flip { swap(&x0, &x1); swap(&y0, &y1) }
            if dx >= dy {
                // A zero-length edge yields its vertex once; its y never matters because u does not change.
                let slope = dx == 0 ? 0 : Double(y1 - y0) / Double(dx)
                for d in 0...dx {
                    let t = flip ? dx - d : d
                    u.append(t + x0)
                    v.append(Int((Double(y0) + slope * Double(t) + 0.5).rounded(.towardZero)))
                }
            } else {
                let slope = Double(x1 - x0) / Double(dy)
                for d in 0...dy {
                    let t = flip ? dy - d : d
                    v.append(t + y0)
                    u.append(Int((Double(x0) + slope * Double(t) + 0.5).rounded(.towardZero)))
                }
            }
        }

        // Step 2: boundaries where the walk crosses a pixel-centre column.
        var boundaries: [Int] = []
        for j in 1..<max(u.count, 1) where u[j] != u[j - 1] {
            var xd = Double(u[j] < u[j - 1] ? u[j] : u[j] - 1)
            xd = (xd + 0.5) / scale - 0.5
            if xd.rounded(.down) != xd || xd < 0 || xd > Double(width - 1) { continue }
            var yd = Double(min(v[j], v[j - 1]))
            yd = (yd + 0.5) / scale - 0.5
            yd = min(max(yd, 0), Double(height)).rounded(.up)
            boundaries.append(Int(xd) * height + Int(yd))
        }

        // Step 3: sorted boundaries → run lengths; coincident boundaries cancel by merging their runs.
        boundaries.append(height * width)
        boundaries.sort()
        var previous = 0
        for j in boundaries.indices {
            let t = boundaries[j]
            boundaries[j] -= previous
            previous = t
        }
        var counts: [UInt32] = [UInt32(boundaries[0])]
        var j = 1
        while j < boundaries.count {
            if boundaries[j] > 0 {
                counts.append(UInt32(boundaries[j])); j += 1
            } else {
                j += 1
                if j < boundaries.count { counts[counts.count - 1] += UInt32(boundaries[j]); j += 1 }
            }
        }
        self.init(height: height, width: width, counts: counts)
    }

    /// Union of several polygons (one COCO annotation), as pycocotools' `annToRLE`.
    public init(polygons: [[Double]], height: Int, width: Int, file: String = "<memory>", field: String = "segmentation") throws {
        var parts: [RLE] = []
        for (i, polygon) in polygons.enumerated() {
            parts.append(try RLE(polygon: polygon, height: height, width: width, file: file, field: "\(field)[\(i)]"))
        }
        self = parts.isEmpty ? RLE(mask: BinaryMask(width: width, height: height)) : RLE.merge(parts)
    }
}
