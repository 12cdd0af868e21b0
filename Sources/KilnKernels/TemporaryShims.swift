// TEMPORARY serial stand-ins with the agreed KilnKernels API; deleted when the kernels branch merges.
import COpenBLAS
public final class ThreadPool: @unchecked Sendable {
    public static let shared = ThreadPool()
    public var threadCount: Int { 1 }
    public func parallelFor(_ count: Int, _ body: (Int) -> Void) { for i in 0..<count { body(i) } }
    public func parallelChunks(_ count: Int, minChunk: Int, _ body: (Range<Int>) -> Void) { if count > 0 { body(0..<count) } }
}
public enum Gemm {
    public static func sgemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
                             a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int, beta: Float,
                             c: UnsafeMutablePointer<Float>, ldc: Int) {
        cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }
}
public enum Reduce {
    public static func sum(x: UnsafePointer<Float>, shape: [Int], axes: [Int], y: UnsafeMutablePointer<Float>, pool: ThreadPool) {
        reduce(x: x, shape: shape, axes: axes, y: y, initial: 0) { $0 + $1 }
    }
    public static func max(x: UnsafePointer<Float>, shape: [Int], axes: [Int], y: UnsafeMutablePointer<Float>, pool: ThreadPool) {
        reduce(x: x, shape: shape, axes: axes, y: y, initial: -.infinity) { $0.isNaN || $1.isNaN ? .nan : Swift.max($0, $1) }
    }
    static func reduce(x: UnsafePointer<Float>, shape: [Int], axes: [Int], y: UnsafeMutablePointer<Float>, initial: Float, _ f: (Float, Float) -> Float) {
        let kept = shape.indices.map { axes.contains($0) ? 1 : shape[$0] }
        var ks = [Int](repeating: 1, count: shape.count); var s = 1
        for d in stride(from: shape.count - 1, through: 0, by: -1) { ks[d] = s; s *= kept[d] }
        var xs = [Int](repeating: 1, count: shape.count); s = 1
        for d in stride(from: shape.count - 1, through: 0, by: -1) { xs[d] = s; s *= shape[d] }
        let outCount = kept.reduce(1, *)
        for i in 0..<outCount { y[i] = initial }
        for i in 0..<shape.reduce(1, *) {
            var rest = i, o = 0
            for d in shape.indices { let c = rest / xs[d]; rest -= c * xs[d]; if !axes.contains(d) { o += c * ks[d] } }
            y[o] = f(y[o], x[i])
        }
    }
    public static func argmax(x: UnsafePointer<Float>, shape: [Int], axis: Int, y: UnsafeMutablePointer<Int64>) {
        let inner = shape[(axis + 1)...].reduce(1, *), n = shape[axis]
        let outer = shape.reduce(1, *) / Swift.max(n * inner, 1)
        for o in 0..<outer { for i in 0..<inner {
            var best = 0
            for k in 0..<n where x[(o * n + k) * inner + i] > x[(o * n + best) * inner + i] { best = k }
            y[o * inner + i] = Int64(best)
        } }
    }
}
public enum Transpose {
    public static func permute(x: UnsafePointer<Float>, shape: [Int], permutation: [Int], y: UnsafeMutablePointer<Float>, pool: ThreadPool) {
        var xs = [Int](repeating: 1, count: shape.count); var s = 1
        for d in stride(from: shape.count - 1, through: 0, by: -1) { xs[d] = s; s *= shape[d] }
        let outShape = permutation.map { shape[$0] }
        var os = [Int](repeating: 1, count: shape.count); s = 1
        for d in stride(from: shape.count - 1, through: 0, by: -1) { os[d] = s; s *= outShape[d] }
        for i in 0..<shape.reduce(1, *) {
            var rest = i, src = 0
            for d in permutation.indices { let c = rest / os[d]; rest -= c * os[d]; src += c * xs[permutation[d]] }
            y[i] = x[src]
        }
    }
}
