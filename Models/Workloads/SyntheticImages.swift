// Generated classification data for `zoo train resnet18` and benchmarks: each class has a smooth random colour
// pattern; samples add noise, a random brightness and a random shift, so the task is learnable but not trivial.
// Deterministic in (seed, index).

import KilnKernels

public struct SyntheticImages {
    public let classes: Int
    public let size: Int
    public let seed: UInt64
    private let prototypes: [[Float]]

    public init(classes: Int, size: Int, seed: UInt64) {
        self.classes = classes
        self.size = size
        self.seed = seed
        prototypes = (0..<classes).map { c in
            // A 4×4×3 grid of random colours, bilinearly upsampled to size×size.
            var rng = RandomStream(seed: seed, stream: UInt64(c))
            let grid = (0..<48).map { _ in Float(rng.uniform(-1, 1)) }
            var image = [Float](repeating: 0, count: size * size * 3)
            for y in 0..<size {
                for x in 0..<size {
                    let gy = Float(y) / Float(max(size - 1, 1)) * 3, gx = Float(x) / Float(max(size - 1, 1)) * 3
                    let y0 = min(Int(gy), 2), x0 = min(Int(gx), 2)
                    let fy = gy - Float(y0), fx = gx - Float(x0)
                    for ch in 0..<3 {
                        func g(_ i: Int, _ j: Int) -> Float { grid[(i * 4 + j) * 3 + ch] }
                        let top = g(y0, x0) * (1 - fx) + g(y0, x0 + 1) * fx
                        let bottom = g(y0 + 1, x0) * (1 - fx) + g(y0 + 1, x0 + 1) * fx
                        image[(y * size + x) * 3 + ch] = top * (1 - fy) + bottom * fy
                    }
                }
            }
            return image
        }
    }

    /// The label of sample `index`.
    public func label(_ index: Int) -> Int32 {
        var rng = RandomStream(seed: seed &+ 1, stream: UInt64(index))
        return Int32(rng.below(classes))
    }

    /// Writes sample `index` (NHWC, size×size×3) to `out`.
    public func write(_ index: Int, to out: UnsafeMutablePointer<Float>) {
        var rng = RandomStream(seed: seed &+ 2, stream: UInt64(index))
        let proto = prototypes[Int(label(index))]
        let gain = Float(rng.uniform(0.7, 1.3))
        let dy = rng.below(5) - 2, dx = rng.below(5) - 2
        for y in 0..<size {
            for x in 0..<size {
                let sy = min(max(y + dy, 0), size - 1), sx = min(max(x + dx, 0), size - 1)
                for ch in 0..<3 {
                    out[(y * size + x) * 3 + ch] = gain * proto[(sy * size + sx) * 3 + ch] + Float(rng.normal(std: 0.3))
                }
            }
        }
    }

    /// A batch of samples first..<first+count: images (count·size·size·3) and labels.
    public func batch(from first: Int, count: Int, images: UnsafeMutablePointer<Float>, labels: UnsafeMutablePointer<Int32>) {
        for i in 0..<count {
            write(first + i, to: images + i * size * size * 3)
            labels[i] = label(first + i)
        }
    }
}
