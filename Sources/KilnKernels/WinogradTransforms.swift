// The 1-D transforms of Winograd's minimal filtering algorithms F(2, 3) and F(4, 3) (Lavin & Gray 2015),
// applied to SIMD16 vectors (16 channels at a time). With α = m + 2 points:
//   forward   y  = Aᵀ [(G g) ⊙ (Bᵀ d)]          (m outputs, 3 taps, α inputs)
//   weight ∂  dw = Gᵀ [(A dy) ⊙ (Bᵀ d)]          (the transpose of the forward in g: same B, A and G swap)
// 2-D versions apply the 1-D transform to every column and then to every row of a tile.
// Interpolation points: F(2, 3) uses 0, 1, −1 and ∞; F(4, 3) uses 0, ±1, ±2 and ∞.

/// A Winograd tile size: the five 1-D transforms, each reading `count` vectors at `src` with stride `srcStride`
/// and writing at `dst` with stride `dstStride`.
protocol WinogradTile {
    /// Outputs per tile side (m) and inputs per tile side (α = m + 2).
    static var m: Int { get }
    static var alpha: Int { get }
    /// Bᵀ: α input values → α transformed values.
    static func input(_ src: UnsafePointer<SIMD16<Float>>, _ srcStride: Int,
                      _ dst: UnsafeMutablePointer<SIMD16<Float>>, _ dstStride: Int)
    /// G: 3 filter taps → α values.
    static func weight(_ src: UnsafePointer<SIMD16<Float>>, _ srcStride: Int,
                       _ dst: UnsafeMutablePointer<SIMD16<Float>>, _ dstStride: Int)
    /// Aᵀ: α products → m outputs.
    static func output(_ src: UnsafePointer<SIMD16<Float>>, _ srcStride: Int,
                       _ dst: UnsafeMutablePointer<SIMD16<Float>>, _ dstStride: Int)
    /// A: m output gradients → α values.
    static func gradient(_ src: UnsafePointer<SIMD16<Float>>, _ srcStride: Int,
                         _ dst: UnsafeMutablePointer<SIMD16<Float>>, _ dstStride: Int)
    /// Gᵀ: α products → 3 filter-tap gradients.
    static func filterGradient(_ src: UnsafePointer<SIMD16<Float>>, _ srcStride: Int,
                               _ dst: UnsafeMutablePointer<SIMD16<Float>>, _ dstStride: Int)
}

/// F(2×2, 3×3): α = 4.
enum WinogradF2: WinogradTile {
    static var m: Int { 2 }
    static var alpha: Int { 4 }

    @inline(__always)
    static func input(_ s: UnsafePointer<SIMD16<Float>>, _ ss: Int, _ d: UnsafeMutablePointer<SIMD16<Float>>, _ ds: Int) {
        let d0 = s[0], d1 = s[ss], d2 = s[2 * ss], d3 = s[3 * ss]
        d[0] = d0 - d2
        d[ds] = d1 + d2
        d[2 * ds] = d2 - d1
        d[3 * ds] = d1 - d3
    }

    @inline(__always)
    static func weight(_ s: UnsafePointer<SIMD16<Float>>, _ ss: Int, _ d: UnsafeMutablePointer<SIMD16<Float>>, _ ds: Int) {
        let g0 = s[0], g1 = s[ss], g2 = s[2 * ss]
        let even = 0.5 * (g0 + g2), odd = 0.5 * g1
        d[0] = g0
        d[ds] = even + odd
        d[2 * ds] = even - odd
        d[3 * ds] = g2
    }

    @inline(__always)
    static func output(_ s: UnsafePointer<SIMD16<Float>>, _ ss: Int, _ d: UnsafeMutablePointer<SIMD16<Float>>, _ ds: Int) {
        let m0 = s[0], m1 = s[ss], m2 = s[2 * ss], m3 = s[3 * ss]
        d[0] = m0 + m1 + m2
        d[ds] = m1 - m2 - m3
    }

    @inline(__always)
    static func gradient(_ s: UnsafePointer<SIMD16<Float>>, _ ss: Int, _ d: UnsafeMutablePointer<SIMD16<Float>>, _ ds: Int) {
        let y0 = s[0], y1 = s[ss]
        d[0] = y0
        d[ds] = y0 + y1
        d[2 * ds] = y0 - y1
        d[3 * ds] = -y1
    }

    @inline(__always)
    static func filterGradient(_ s: UnsafePointer<SIMD16<Float>>, _ ss: Int, _ d: UnsafeMutablePointer<SIMD16<Float>>, _ ds: Int) {
        let p0 = s[0], p1 = s[ss], p2 = s[2 * ss], p3 = s[3 * ss]
        let half = 0.5 * (p1 + p2)
        d[0] = p0 + half
        d[ds] = 0.5 * (p1 - p2)
        d[2 * ds] = half + p3
    }
}

/// F(4×4, 3×3): α = 6.
enum WinogradF4: WinogradTile {
    static var m: Int { 4 }
    static var alpha: Int { 6 }

    @inline(__always)
    static func input(_ s: UnsafePointer<SIMD16<Float>>, _ ss: Int, _ d: UnsafeMutablePointer<SIMD16<Float>>, _ ds: Int) {
        let d0 = s[0], d1 = s[ss], d2 = s[2 * ss], d3 = s[3 * ss], d4 = s[4 * ss], d5 = s[5 * ss]
        let a = d4 - 4 * d2, b = 4 * d1 - d3   // rows 1, 2
        let c = d4 - d2, e = 2 * (d1 - d3)     // rows 3, 4
        d[0] = 4 * d0 - 5 * d2 + d4
        d[ds] = a - b
        d[2 * ds] = a + b
        d[3 * ds] = c - e
        d[4 * ds] = c + e
        d[5 * ds] = 4 * d1 - 5 * d3 + d5
    }

    @inline(__always)
    static func weight(_ s: UnsafePointer<SIMD16<Float>>, _ ss: Int, _ d: UnsafeMutablePointer<SIMD16<Float>>, _ ds: Int) {
        let g0 = s[0], g1 = s[ss], g2 = s[2 * ss]
        let even6 = (g0 + g2) * (-1 / 6 as Float), odd6 = g1 * (-1 / 6 as Float)
        let even24 = g0 * (1 / 24 as Float) + g2 * (1 / 6 as Float), odd12 = g1 * (1 / 12 as Float)
        d[0] = g0 * 0.25
        d[ds] = even6 + odd6
        d[2 * ds] = even6 - odd6
        d[3 * ds] = even24 + odd12
        d[4 * ds] = even24 - odd12
        d[5 * ds] = g2
    }

    @inline(__always)
    static func output(_ s: UnsafePointer<SIMD16<Float>>, _ ss: Int, _ d: UnsafeMutablePointer<SIMD16<Float>>, _ ds: Int) {
        let m0 = s[0], m1 = s[ss], m2 = s[2 * ss], m3 = s[3 * ss], m4 = s[4 * ss], m5 = s[5 * ss]
        let sum12 = m1 + m2, diff12 = m1 - m2, sum34 = m3 + m4, diff34 = m3 - m4
        d[0] = m0 + sum12 + sum34
        d[ds] = diff12 + 2 * diff34
        d[2 * ds] = sum12 + 4 * sum34
        d[3 * ds] = diff12 + 8 * diff34 + m5
    }

    @inline(__always)
    static func gradient(_ s: UnsafePointer<SIMD16<Float>>, _ ss: Int, _ d: UnsafeMutablePointer<SIMD16<Float>>, _ ds: Int) {
        let y0 = s[0], y1 = s[ss], y2 = s[2 * ss], y3 = s[3 * ss]
        let even1 = y0 + y2, odd1 = y1 + y3
        let even2 = y0 + 4 * y2, odd2 = 2 * y1 + 8 * y3
        d[0] = y0
        d[ds] = even1 + odd1
        d[2 * ds] = even1 - odd1
        d[3 * ds] = even2 + odd2
        d[4 * ds] = even2 - odd2
        d[5 * ds] = y3
    }

    @inline(__always)
    static func filterGradient(_ s: UnsafePointer<SIMD16<Float>>, _ ss: Int, _ d: UnsafeMutablePointer<SIMD16<Float>>, _ ds: Int) {
        let p0 = s[0], p1 = s[ss], p2 = s[2 * ss], p3 = s[3 * ss], p4 = s[4 * ss], p5 = s[5 * ss]
        let sum12 = p1 + p2, diff12 = p1 - p2, sum34 = p3 + p4, diff34 = p3 - p4
        d[0] = p0 * 0.25 - sum12 * (1 / 6 as Float) + sum34 * (1 / 24 as Float)
        d[ds] = diff12 * (-1 / 6 as Float) + diff34 * (1 / 12 as Float)
        d[2 * ds] = (sum34 - sum12) * (1 / 6 as Float) + p5
    }
}

extension WinogradTile {
    /// Applies a 1-D transform (n → nOut values) to the n×n tile `src` (row-major) along columns, then rows,
    /// giving the nOut×nOut tile `dst`. `work` holds nOut·n vectors.
    @inline(__always)
    static func apply2D(
        _ transform: (UnsafePointer<SIMD16<Float>>, Int, UnsafeMutablePointer<SIMD16<Float>>, Int) -> Void,
        n: Int, nOut: Int, src: UnsafePointer<SIMD16<Float>>, work: UnsafeMutablePointer<SIMD16<Float>>,
        dst: UnsafeMutablePointer<SIMD16<Float>>
    ) {
        for column in 0..<n { transform(src + column, n, work + column, n) }
        for row in 0..<nOut { transform(work + row * n, 1, dst + row * nOut, 1) }
    }
}
