// Ground truth for detection workloads (`zoo bench retinanet-train`, …): per image 1…G random boxes of 10–50 %
// of the canvas side, classes in 0..<classes, −1 padding past the count, and box-shaped instance masks, written
// straight into a compiled step's `boxes`, `labels`, `counts` and `masks` inputs. Deterministic in the seed.

import Kiln

public enum SyntheticDetections {
    /// Fills whichever of the inputs boxes (N, G, 4) f32, labels (N, G) i32, counts (N) i32 and masks (N, G, H, W)
    /// bool the executable has; returns false when it has no `boxes` input (not a detection step).
    @discardableResult
    public static func fill(_ exe: Executable, classes: Int, seed: UInt64) -> Bool {
        guard let boxType = exe.inputType(FineTuneRun.boxesInput), boxType.rank == 3,
              let boxes = exe.inputBuffer(FineTuneRun.boxesInput)?.assumingMemoryBound(to: Float.self) else { return false }
        let n = boxType.shape[0], g = boxType.shape[1]
        let imageType = exe.inputType(FineTuneRun.imagesInput)
        let height = imageType?.shape[1] ?? 64, width = imageType?.shape[2] ?? 64
        let labels = exe.inputBuffer(FineTuneRun.labelsInput)?.assumingMemoryBound(to: Int32.self)
        let counts = exe.inputBuffer(FineTuneRun.countsInput)?.assumingMemoryBound(to: Int32.self)
        let masks = exe.inputBuffer(FineTuneRun.masksInput)?.assumingMemoryBound(to: UInt8.self)
        var rng = RandomStream(seed: seed, stream: 0xD7EC7)
        for image in 0..<n {
            let count = 1 + rng.below(g)
            counts?[image] = Int32(count)
            for k in 0..<g {
                let row = image * g + k
                let plane = masks.map { $0 + row * height * width }
                plane?.update(repeating: 0, count: height * width)
                guard k < count else {
                    for c in 0..<4 { boxes[4 * row + c] = 0 }
                    labels?[row] = -1
                    continue
                }
                let w = Double(width) * rng.uniform(0.1, 0.5), h = Double(height) * rng.uniform(0.1, 0.5)
                let x0 = rng.uniform(0, Double(width) - w), y0 = rng.uniform(0, Double(height) - h)
                boxes[4 * row] = Float(x0); boxes[4 * row + 1] = Float(y0)
                boxes[4 * row + 2] = Float(x0 + w); boxes[4 * row + 3] = Float(y0 + h)
                labels?[row] = Int32(rng.below(max(classes, 1)))
                if let plane {
                    for y in Int(y0)..<min(Int(y0 + h), height) { (plane + y * width + Int(x0)).update(repeating: 1, count: min(Int(w), width - Int(x0))) }
                }
            }
        }
        return true
    }
}
