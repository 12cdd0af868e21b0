// Naive resize references: per output element, the PyTorch source indices and weights, Double arithmetic,
// and gradients scattered one element at a time.

extension Upsample {
    /// Reference for `nearestForward`.
    public static func naiveNearestForward(x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>, geometry g: UpsampleGeometry) {
        for n in 0..<g.batch { for oh in 0..<g.outH { for ow in 0..<g.outW { for c in 0..<g.channels {
            let ih = nearestIndex(oh, input: g.inH, output: g.outH), iw = nearestIndex(ow, input: g.inW, output: g.outW)
            y[((n * g.outH + oh) * g.outW + ow) * g.channels + c] = x[((n * g.inH + ih) * g.inW + iw) * g.channels + c]
        } } } }
    }

    /// Reference for `nearestBackward` (Double sums).
    public static func naiveNearestBackward(dy: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>, geometry g: UpsampleGeometry) {
        var sums = [Double](repeating: 0, count: g.inputCount)
        for n in 0..<g.batch { for oh in 0..<g.outH { for ow in 0..<g.outW { for c in 0..<g.channels {
            let ih = nearestIndex(oh, input: g.inH, output: g.outH), iw = nearestIndex(ow, input: g.inW, output: g.outW)
            sums[((n * g.inH + ih) * g.inW + iw) * g.channels + c] +=
                Double(dy[((n * g.outH + oh) * g.outW + ow) * g.channels + c])
        } } } }
        for i in 0..<g.inputCount { dx[i] = Float(sums[i]) }
    }

    /// The four (flat input index, weight) taps of output (n, oh, ow, c).
    static func naiveBilinearTaps(_ g: UpsampleGeometry, _ n: Int, _ oh: Int, _ ow: Int, _ c: Int) -> [(Int, Double)] {
        let h = linearTaps(oh, input: g.inH, output: g.outH), w = linearTaps(ow, input: g.inW, output: g.outW)
        func at(_ ih: Int, _ iw: Int) -> Int { ((n * g.inH + ih) * g.inW + iw) * g.channels + c }
        return [(at(h.i0, w.i0), Double(h.l0) * Double(w.l0)), (at(h.i0, w.i1), Double(h.l0) * Double(w.l1)),
                (at(h.i1, w.i0), Double(h.l1) * Double(w.l0)), (at(h.i1, w.i1), Double(h.l1) * Double(w.l1))]
    }

    /// Reference for `bilinearForward` (Double arithmetic).
    public static func naiveBilinearForward(x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>, geometry g: UpsampleGeometry) {
        for n in 0..<g.batch { for oh in 0..<g.outH { for ow in 0..<g.outW { for c in 0..<g.channels {
            var sum = 0.0
            for (i, weight) in naiveBilinearTaps(g, n, oh, ow, c) { sum += weight * Double(x[i]) }
            y[((n * g.outH + oh) * g.outW + ow) * g.channels + c] = Float(sum)
        } } } }
    }

    /// Reference for `bilinearBackward` (Double sums).
    public static func naiveBilinearBackward(dy: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>, geometry g: UpsampleGeometry) {
        var sums = [Double](repeating: 0, count: g.inputCount)
        for n in 0..<g.batch { for oh in 0..<g.outH { for ow in 0..<g.outW { for c in 0..<g.channels {
            let d = Double(dy[((n * g.outH + oh) * g.outW + ow) * g.channels + c])
            for (i, weight) in naiveBilinearTaps(g, n, oh, ow, c) { sums[i] += weight * d }
        } } } }
        for i in 0..<g.inputCount { dx[i] = Float(sums[i]) }
    }
}
