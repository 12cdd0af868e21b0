// The per-tile gather / transform / scatter loops of the Winograd kernels (WinogradConv.swift).
// Each loop runs on the pool over tiles (or filter rows) and vectorises over 16 channels; a channel tail
// shorter than 16 is loaded and stored lane by lane. Transformed buffers are laid out (tiles, α², channels):
// a tile's α² vectors are written (or read) contiguously, and the GEMM for position ξ reads the matrix
// (tiles, channels) at offset ξ·channels with row stride α²·channels.
// The pool bodies are not generic: they pick the tile size from the plan and call a generic range worker, so a
// body never captures generic metadata (which would cost an allocation per call).

extension Winograd {
    /// 16 channels at p, or the first `count` (< 16) with zeros after.
    @inline(__always)
    static func loadChannels(_ p: UnsafePointer<Float>, _ count: Int) -> SIMD16<Float> {
        if count >= 16 { return load16(p) }
        var v = SIMD16<Float>()
        for lane in 0..<count { v[lane] = p[lane] }
        return v
    }

    /// Runs `body` with 108 SIMD16 vectors of stack scratch (3 tiles of 6×6). A fixed-size local rather than
    /// `withUnsafeTemporaryAllocation`, which goes to the heap for a buffer this large.
    @inline(__always)
    static func withTileScratch<R>(_ body: (UnsafeMutablePointer<SIMD16<Float>>) -> R) -> R {
        var storage = InlineArray<108, SIMD16<Float>>(repeating: SIMD16())
        return withUnsafeMutablePointer(to: &storage) { raw in
            raw.withMemoryRebound(to: SIMD16<Float>.self, capacity: 108) { body($0) }
        }
    }

    @inline(__always)
    static func storeChannels(_ v: SIMD16<Float>, _ p: UnsafeMutablePointer<Float>, _ count: Int) {
        if count >= 16 { store16(v, p); return }
        for lane in 0..<count { p[lane] = v[lane] }
    }

    // MARK: - Filter

    /// U[ξ][r][c] = (G g Gᵀ)_ξ with g[kh][kw] = w[r, kh, kw, c], or w[r, 2−kh, 2−kw, c] when flip.
    /// w: (rows, 3, 3, cols) — OHWI, so r is the output channel and c the input channel.
    static func transformFilter(
        m: Int, w: UnsafePointer<Float>, rows: Int, cols: Int, flip: Bool, u: UnsafeMutablePointer<Float>,
        pool: ThreadPool
    ) {
        pool.parallelChunks(rows, minChunk: max(1, 2048 / max(cols, 1)), (m, w, rows, cols, flip, u)) { args, range in
            let (m, w, rows, cols, flip, u) = args
            if m == 2 {
                Winograd.filterRows(WinogradF2.self, w: w, rows: rows, cols: cols, flip: flip, u: u, range: range)
            } else {
                Winograd.filterRows(WinogradF4.self, w: w, rows: rows, cols: cols, flip: flip, u: u, range: range)
            }
        }
    }

    static func filterRows<F: WinogradTile>(
        _: F.Type, w: UnsafePointer<Float>, rows: Int, cols: Int, flip: Bool, u: UnsafeMutablePointer<Float>,
        range: Range<Int>
    ) {
        let positions = F.alpha * F.alpha
        withTileScratch { taps in
            let work = taps + 9, out = work + 36  // 9 taps, 18 of work, 36 out
            for r in range {
                var c = 0
                while c < cols {
                    let lanes = min(16, cols - c)
                    for k in 0..<9 {
                        // The input-gradient convolution uses the filter rotated by 180°.
                        taps[k] = loadChannels(w + (r * 9 + (flip ? 8 - k : k)) * cols + c, lanes)
                    }
                    F.apply2D(F.weight, n: 3, nOut: F.alpha, src: taps, work: work, dst: out)
                    for position in 0..<positions {
                        storeChannels(out[position], u + (position * rows + r) * cols + c, lanes)
                    }
                    c += 16
                }
            }
        }
    }

    // MARK: - Input

    /// V[ξ][t][c] = (Bᵀ d B)_ξ for the α×α input patch d of each tile t in `tiles` (zero outside the image).
    static func transformInput(
        source: UnsafePointer<Float>, plan p: WinogradPlan, tiles: Range<Int>, v: UnsafeMutablePointer<Float>,
        pool: ThreadPool
    ) {
        pool.parallelChunks(tiles.count, minChunk: max(1, 1024 / max(p.inC, 1)), (source, p, tiles, v)) { args, range in
            let (source, p, tiles, v) = args
            if p.m == 2 {
                Winograd.inputTiles(WinogradF2.self, source: source, plan: p, tiles: tiles, v: v, range: range)
            } else {
                Winograd.inputTiles(WinogradF4.self, source: source, plan: p, tiles: tiles, v: v, range: range)
            }
        }
    }

    static func inputTiles<F: WinogradTile>(
        _: F.Type, source: UnsafePointer<Float>, plan p: WinogradPlan, tiles: Range<Int>,
        v: UnsafeMutablePointer<Float>, range: Range<Int>
    ) {
        let alpha = F.alpha, positions = alpha * alpha
        withTileScratch { patch in
            let work = patch + 36, out = work + 36
            for local in range {
                let (n, row0, column0) = p.tileOrigin(tiles.lowerBound + local)
                let image = source + n * p.inH * p.inW * p.inC
                var c = 0
                while c < p.inC {
                    let lanes = min(16, p.inC - c)
                    for i in 0..<alpha {
                        let ih = row0 - p.padTop + i
                        for j in 0..<alpha {
                            let iw = column0 - p.padLeft + j
                            patch[i * alpha + j] = ih >= 0 && ih < p.inH && iw >= 0 && iw < p.inW
                                ? loadChannels(image + (ih * p.inW + iw) * p.inC + c, lanes) : SIMD16()
                        }
                    }
                    F.apply2D(F.input, n: alpha, nOut: alpha, src: patch, work: work, dst: out)
                    for position in 0..<positions {
                        storeChannels(out[position], v + (local * positions + position) * p.inC + c, lanes)
                    }
                    c += 16
                }
            }
        }
    }

    // MARK: - Output

    /// target tile t = Aᵀ M_t A, keeping the outputs inside the image; with an epilogue (on target), each
    /// vector goes through it on its way to memory.
    static func transformOutput(
        products: UnsafePointer<Float>, plan p: WinogradPlan, tiles: Range<Int>, target: UnsafeMutablePointer<Float>,
        pool: ThreadPool, epilogue: GemmEpilogue? = nil
    ) {
        pool.parallelChunks(tiles.count, minChunk: max(1, 1024 / max(p.outC, 1)),
                            (products, p, tiles, target, epilogue)) { args, range in
            let (products, p, tiles, target, epilogue) = args
            if p.m == 2 {
                Winograd.outputTiles(WinogradF2.self, products: products, plan: p, tiles: tiles, target: target,
                                     range: range, epilogue: epilogue)
            } else {
                Winograd.outputTiles(WinogradF4.self, products: products, plan: p, tiles: tiles, target: target,
                                     range: range, epilogue: epilogue)
            }
        }
    }

    static func outputTiles<F: WinogradTile>(
        _: F.Type, products: UnsafePointer<Float>, plan p: WinogradPlan, tiles: Range<Int>,
        target: UnsafeMutablePointer<Float>, range: Range<Int>, epilogue: GemmEpilogue?
    ) {
        let alpha = F.alpha, m = F.m, positions = alpha * alpha
        withTileScratch { tile in
            let work = tile + 36, out = work + 36
            for local in range {
                let (n, row0, column0) = p.tileOrigin(tiles.lowerBound + local)
                let image = target + n * p.outH * p.outW * p.outC
                var c = 0
                while c < p.outC {
                    let lanes = min(16, p.outC - c)
                    for position in 0..<positions {
                        tile[position] = loadChannels(products + (local * positions + position) * p.outC + c, lanes)
                    }
                    F.apply2D(F.output, n: alpha, nOut: m, src: tile, work: work, dst: out)
                    for i in 0..<min(m, p.outH - row0) {
                        for j in 0..<min(m, p.outW - column0) {
                            let at = image + ((row0 + i) * p.outW + column0 + j) * p.outC + c
                            let value = out[i * m + j]
                            storeChannels(epilogue?.apply(value, at: at, channel: c, lanes: lanes) ?? value, at, lanes)
                        }
                    }
                    c += 16
                }
            }
        }
    }

    // MARK: - Weight gradient

    /// Gd[ξ][t][c] = (A dY Aᵀ)_ξ for the m×m output-gradient tile of each t (zero beyond the output).
    static func transformGradient(
        dy: UnsafePointer<Float>, plan p: WinogradPlan, tiles: Range<Int>, gradients: UnsafeMutablePointer<Float>,
        pool: ThreadPool
    ) {
        pool.parallelChunks(tiles.count, minChunk: max(1, 1024 / max(p.outC, 1)), (dy, p, tiles, gradients)) {
            args, range in
            let (dy, p, tiles, gradients) = args
            if p.m == 2 {
                Winograd.gradientTiles(WinogradF2.self, dy: dy, plan: p, tiles: tiles, gradients: gradients,
                                       range: range)
            } else {
                Winograd.gradientTiles(WinogradF4.self, dy: dy, plan: p, tiles: tiles, gradients: gradients,
                                       range: range)
            }
        }
    }

    static func gradientTiles<F: WinogradTile>(
        _: F.Type, dy: UnsafePointer<Float>, plan p: WinogradPlan, tiles: Range<Int>,
        gradients: UnsafeMutablePointer<Float>, range: Range<Int>
    ) {
        let alpha = F.alpha, m = F.m, positions = alpha * alpha
        withTileScratch { tile in
            let work = tile + 16, out = work + 36
            for local in range {
                let (n, row0, column0) = p.tileOrigin(tiles.lowerBound + local)
                let image = dy + n * p.outH * p.outW * p.outC
                var c = 0
                while c < p.outC {
                    let lanes = min(16, p.outC - c)
                    for i in 0..<m {
                        for j in 0..<m {
                            let oh = row0 + i, ow = column0 + j
                            tile[i * m + j] = oh < p.outH && ow < p.outW
                                ? loadChannels(image + (oh * p.outW + ow) * p.outC + c, lanes) : SIMD16()
                        }
                    }
                    F.apply2D(F.gradient, n: m, nOut: alpha, src: tile, work: work, dst: out)
                    for position in 0..<positions {
                        storeChannels(out[position], gradients + (local * positions + position) * p.outC + c, lanes)
                    }
                    c += 16
                }
            }
        }
    }

    /// dw[r, kh, kw, c] = (Gᵀ P G)[kh][kw] with P[ξ] = sums[ξ][r][c].
    static func transformFilterGradient(
        m: Int, sums: UnsafePointer<Float>, rows: Int, cols: Int, dw: UnsafeMutablePointer<Float>, pool: ThreadPool
    ) {
        pool.parallelChunks(rows, minChunk: max(1, 2048 / max(cols, 1)), (m, sums, rows, cols, dw)) { args, range in
            let (m, sums, rows, cols, dw) = args
            if m == 2 {
                Winograd.filterGradientRows(WinogradF2.self, sums: sums, rows: rows, cols: cols, dw: dw, range: range)
            } else {
                Winograd.filterGradientRows(WinogradF4.self, sums: sums, rows: rows, cols: cols, dw: dw, range: range)
            }
        }
    }

    static func filterGradientRows<F: WinogradTile>(
        _: F.Type, sums: UnsafePointer<Float>, rows: Int, cols: Int, dw: UnsafeMutablePointer<Float>,
        range: Range<Int>
    ) {
        let positions = F.alpha * F.alpha
        withTileScratch { tile in
            let work = tile + 36, out = work + 18
            for r in range {
                var c = 0
                while c < cols {
                    let lanes = min(16, cols - c)
                    for position in 0..<positions {
                        tile[position] = loadChannels(sums + (position * rows + r) * cols + c, lanes)
                    }
                    F.apply2D(F.filterGradient, n: F.alpha, nOut: 3, src: tile, work: work, dst: out)
                    for k in 0..<9 { storeChannels(out[k], dw + (r * 9 + k) * cols + c, lanes) }
                    c += 16
                }
            }
        }
    }
}
