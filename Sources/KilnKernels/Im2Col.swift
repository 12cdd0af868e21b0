// im2col and col2im for NHWC convolutions, tiled over lines of the output.
//
// A "line" is one output row of one image: line r = n · outH + oh covers output pixels r·outW ..< (r+1)·outW.
// For group g, the im2col matrix has one row per output pixel and patchSize = kernelH·kernelW·groupInC columns
// ordered (kh, kw, c) — the order of a weight row in OHWI — so forward is col · W_gᵀ.
// Kernels work on a tile of lines at a time so that the column buffer stays bounded and cache-resident;
// `col` always holds the tile's rows starting at row 0.

/// Patch extraction (im2col) and its transpose (col2im) for NHWC convolution.
public enum Im2Col {
    /// Writes the patches of output lines `lines` for group `group` into col.
    /// x: (N, H, W, Cin); col: (lines.count · outW, patchSize).
    public static func im2col(
        x: UnsafePointer<Float>, geometry g: ConvGeometry, group: Int, lines: Range<Int>,
        col: UnsafeMutablePointer<Float>, pool: ThreadPool
    ) {
        let lineFloats = g.outW * g.patchSize
        pool.parallelChunks(lines.count, minChunk: max(1, 16_384 / max(lineFloats, 1)),
                            (x, g, group, lines.lowerBound, col)) { args, chunk in
            let (x, g, group, first, col) = args
            for local in chunk {
                Im2Col.im2colLine(x: x, g: g, group: group, line: first + local,
                                  dst: col + local * g.outW * g.patchSize)
            }
        }
    }

    @inline(__always)
    static func im2colLine(
        x: UnsafePointer<Float>, g: ConvGeometry, group: Int, line: Int, dst: UnsafeMutablePointer<Float>
    ) {
        let n = line / g.outH, oh = line % g.outH
        let cg = g.groupInC, patch = g.patchSize, kwRun = g.kernelW * cg
        // With one group and no horizontal dilation the kernelW taps of a row are adjacent in x.
        let tapsAdjacent = g.groups == 1 && g.dilationW == 1
        let image = x + n * g.inH * g.inW * g.inC + group * cg
        for kh in 0..<g.kernelH {
            let ih = oh * g.strideH - g.padTop + kh * g.dilationH
            let column = kh * kwRun
            if ih < 0 || ih >= g.inH {
                for ow in 0..<g.outW { zeroFloats(dst + ow * patch + column, kwRun) }
                continue
            }
            let row = image + ih * g.inW * g.inC
            for ow in 0..<g.outW {
                let out = dst + ow * patch + column
                let iw0 = ow * g.strideW - g.padLeft
                if tapsAdjacent && iw0 >= 0 && iw0 + g.kernelW <= g.inW {
                    copyFloats(row + iw0 * g.inC, out, kwRun)
                    continue
                }
                for kw in 0..<g.kernelW {
                    let iw = iw0 + kw * g.dilationW
                    if iw >= 0 && iw < g.inW {
                        copyFloats(row + iw * g.inC, out + kw * cg, cg)
                    } else {
                        zeroFloats(out + kw * cg, cg)
                    }
                }
            }
        }
    }

    /// Adds the column gradients of output lines `lines` (group `group`) into dx: the transpose of `im2col`.
    /// Written as a gather over input rows, so threads never write the same element.
    /// dcol: (lines.count · outW, patchSize); dx: (N, H, W, Cin), accumulated into.
    public static func col2im(
        dcol: UnsafePointer<Float>, geometry g: ConvGeometry, group: Int, lines: Range<Int>,
        dx: UnsafeMutablePointer<Float>, pool: ThreadPool
    ) {
        if lines.isEmpty { return }
        let firstImage = lines.lowerBound / g.outH
        let lastImage = (lines.upperBound - 1) / g.outH
        let jobs = (lastImage - firstImage + 1) * g.inH
        let rowFloats = g.inW * g.kernelH * g.kernelW * g.groupInC
        pool.parallelChunks(jobs, minChunk: max(1, 16_384 / max(rowFloats, 1)),
                            (dcol, g, group, lines, firstImage, dx)) { args, chunk in
            let (dcol, g, group, lines, firstImage, dx) = args
            for job in chunk {
                Im2Col.col2imRow(dcol: dcol, g: g, group: group, lines: lines,
                                 n: firstImage + job / g.inH, ih: job % g.inH, dx: dx)
            }
        }
    }

    @inline(__always)
    static func col2imRow(
        dcol: UnsafePointer<Float>, g: ConvGeometry, group: Int, lines: Range<Int>, n: Int, ih: Int,
        dx: UnsafeMutablePointer<Float>
    ) {
        let cg = g.groupInC, patch = g.patchSize
        let dxRow = dx + (n * g.inH + ih) * g.inW * g.inC + group * cg
        for kh in 0..<g.kernelH {
            let numerator = ih + g.padTop - kh * g.dilationH
            if numerator < 0 || numerator % g.strideH != 0 { continue }
            let oh = numerator / g.strideH
            let line = n * g.outH + oh
            if oh >= g.outH || !lines.contains(line) { continue }
            let lineBase = dcol + (line - lines.lowerBound) * g.outW * patch + kh * g.kernelW * cg
            for iw in 0..<g.inW {
                let out = dxRow + iw * g.inC
                let shifted = iw + g.padLeft
                // Taps with (shifted − kw·dilation) divisible by the stride. Without dilation they form the
                // progression kw ≡ shifted (mod stride), so the others are never visited.
                var kw = g.dilationW == 1 ? shifted % g.strideW : 0
                let step = g.dilationW == 1 ? g.strideW : 1
                while kw < g.kernelW {
                    let numeratorW = shifted - kw * g.dilationW
                    if numeratorW < 0 { break }
                    if numeratorW % g.strideW == 0 {
                        let ow = numeratorW / g.strideW
                        if ow < g.outW { accumulateFloats(lineBase + ow * patch + kw * cg, out, cg) }
                    }
                    kw += step
                }
            }
        }
    }
}
