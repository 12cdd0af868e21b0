// The register tile of `PackedGemm`: 6 rows × 16 columns of C held in twelve 8-lane accumulators while k runs.
// (The epilogue is not applied here but on each finished 6-row strip: see `PackedGemm.Product.run`.)
//
// Per step of k the kernel loads one 16-float row of the packed B panel (two 256-bit loads), broadcasts one A
// value per row and issues 12 fused multiply-adds — 6 cycles of the two FMA pipes of an AVX2 core against 8 loads,
// so the loop is bound by arithmetic, not by memory. 12 accumulators + 2 B vectors + 1 broadcast use 15 of the 16
// ymm registers (the BLIS Haswell shape). With `-target-cpu haswell` Swift compiles `addingProduct` on SIMD8<Float>
// to `vfmadd231ps` with the B load folded in; on baseline x86-64 the same code runs on 128-bit halves.
//
// A is read in place (rows `lda` floats apart): convolution activations and im2col columns are already row-major
// with k contiguous, so unlike B they need no packing. Tiles with fewer than 6 rows repeat the last valid row's
// pointer (the extra results are computed and dropped); panels with fewer than 16 valid columns were zero-padded
// by the packing and store only their valid lanes.

extension PackedGemm {
    /// C[tile] (rows × columns at `c`, rows `ldc` apart) = (accumulate ? C[tile] : 0) + A[tile, 0..<kc] · panel.
    /// `a` is the tile's first A row (rows `lda` apart), `panel` the packed kc × 16 block of B.
    @inline(__always)
    static func microKernel(
        kc: Int, a: UnsafePointer<Float>, lda: Int, rows: Int, panel: UnsafePointer<Float>,
        c: UnsafeMutablePointer<Float>, ldc: Int, columns: Int, accumulate: Bool
    ) {
        let a0 = a
        let a1 = rows > 1 ? a0 + lda : a0
        let a2 = rows > 2 ? a1 + lda : a1
        let a3 = rows > 3 ? a2 + lda : a2
        let a4 = rows > 4 ? a3 + lda : a3
        let a5 = rows > 5 ? a4 + lda : a4
        var c00 = SIMD8<Float>(), c01 = SIMD8<Float>(), c10 = SIMD8<Float>(), c11 = SIMD8<Float>()
        var c20 = SIMD8<Float>(), c21 = SIMD8<Float>(), c30 = SIMD8<Float>(), c31 = SIMD8<Float>()
        var c40 = SIMD8<Float>(), c41 = SIMD8<Float>(), c50 = SIMD8<Float>(), c51 = SIMD8<Float>()
        var b = panel
        for p in 0..<kc {
            let b0 = load8(b), b1 = load8(b + 8)
            var s = SIMD8<Float>(repeating: a0[p])
            c00 = c00.addingProduct(s, b0); c01 = c01.addingProduct(s, b1)
            s = SIMD8<Float>(repeating: a1[p])
            c10 = c10.addingProduct(s, b0); c11 = c11.addingProduct(s, b1)
            s = SIMD8<Float>(repeating: a2[p])
            c20 = c20.addingProduct(s, b0); c21 = c21.addingProduct(s, b1)
            s = SIMD8<Float>(repeating: a3[p])
            c30 = c30.addingProduct(s, b0); c31 = c31.addingProduct(s, b1)
            s = SIMD8<Float>(repeating: a4[p])
            c40 = c40.addingProduct(s, b0); c41 = c41.addingProduct(s, b1)
            s = SIMD8<Float>(repeating: a5[p])
            c50 = c50.addingProduct(s, b0); c51 = c51.addingProduct(s, b1)
            b += panelColumns
        }
        storeRow(c00, c01, to: c, columns: columns, accumulate: accumulate)
        if rows > 1 { storeRow(c10, c11, to: c + ldc, columns: columns, accumulate: accumulate) }
        if rows > 2 { storeRow(c20, c21, to: c + 2 * ldc, columns: columns, accumulate: accumulate) }
        if rows > 3 { storeRow(c30, c31, to: c + 3 * ldc, columns: columns, accumulate: accumulate) }
        if rows > 4 { storeRow(c40, c41, to: c + 4 * ldc, columns: columns, accumulate: accumulate) }
        if rows > 5 { storeRow(c50, c51, to: c + 5 * ldc, columns: columns, accumulate: accumulate) }
    }

    /// Writes one tile row (`low` = columns 0..<8, `high` = 8..<16) to `q`, added to what is there when
    /// `accumulate`; only the first `columns` lanes are read or written.
    @inline(__always)
    static func storeRow(_ low: SIMD8<Float>, _ high: SIMD8<Float>, to q: UnsafeMutablePointer<Float>, columns: Int,
                         accumulate: Bool) {
        if columns == panelColumns {
            if accumulate {
                store8(load8(q) + low, q)
                store8(load8(q + 8) + high, q + 8)
            } else {
                store8(low, q)
                store8(high, q + 8)
            }
        } else {
            let v = SIMD16<Float>(lowHalf: low, highHalf: high)
            for j in 0..<columns { q[j] = accumulate ? q[j] + v[j] : v[j] }
        }
    }
}
