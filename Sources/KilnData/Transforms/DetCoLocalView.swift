// DetCo's local view (detco-spec §2.2): RandomResizedCrop(scale 0.6–1) to a 255×255 crop → the photometric
// "aug+" ops applied once to the whole crop (all nine patches share them, as both public re-implementations
// do) → a 3×3 grid of 85×85 cells → a random 64×64 crop inside each cell → the nine patches randomly permuted
// → normalised. Sizes are the paper's at a 224 input and scale with the global view size (cell = round(85·s/224),
// crop = 3·cell, patch = round(64·s/224)), as does the blur σ.
// Random draw order: crop box, photometric draw, nine cell offsets (row-major), then the permutation.

import KilnKernels

/// The 3×3 jigsaw patch set of DetCo.
public struct DetCoLocalView: Equatable, Sendable {
    /// Side of each of the nine grid cells of the resized crop.
    public var cellSize: Int
    /// Side of each output patch (≤ cellSize).
    public var patchSize: Int
    public var crop = RandomResizedCrop(scale: 0.6...1.0)
    public var photometric = PhotometricAugment()
    public var normalization = Normalization.imagenet

    /// Side of the resized crop (3 cells).
    public var cropSize: Int { 3 * cellSize }

    /// The paper's proportions for a global view of `size` pixels (255/85/64 at 224).
    public init(size: Int = 224) {
        let factor = Double(size) / 224
        cellSize = max(1, Int((85 * factor).rounded()))
        patchSize = max(1, min(cellSize, Int((64 * factor).rounded())))
        photometric.blurSigma = Float(0.1 * factor)...Float(2.0 * factor)
    }

    /// Explicit cell and patch sizes (blur σ range left at 0.1–2 pixels).
    public init(cellSize: Int, patchSize: Int) {
        precondition(cellSize >= 1 && patchSize >= 1 && patchSize <= cellSize, "DetCoLocalView: need 1 ≤ patch ≤ cell")
        self.cellSize = cellSize
        self.patchSize = patchSize
    }

    public struct Draw: Equatable, Sendable {
        public var crop: CropBox
        public var photometric: PhotometricAugment.Draw
        /// Top-left of the patch inside each cell, cells in row-major order.
        public var offsets: [SIMD2<Int>]
        /// `order[k]` is the cell whose patch becomes output patch k.
        public var order: [Int]

        public init(crop: CropBox, photometric: PhotometricAugment.Draw, offsets: [SIMD2<Int>], order: [Int]) {
            self.crop = crop
            self.photometric = photometric
            self.offsets = offsets
            self.order = order
        }
    }

    public func sample(width: Int, height: Int, rng: inout RandomStream) -> Draw {
        let box = crop.sample(width: width, height: height, rng: &rng)
        let photo = photometric.sample(&rng)
        let slack = cellSize - patchSize + 1
        let offsets = (0..<9).map { _ in SIMD2(rng.below(slack), rng.below(slack)) }
        var order = Array(0..<9)
        rng.shuffle(&order)
        return Draw(crop: box, photometric: photo, offsets: offsets, order: order)
    }

    /// Renders the nine patches into `output` (9 × patch × patch × 3 normalised floats).
    // output: (9, patchSize, patchSize, 3)
    public func render(_ draw: Draw, from image: Image, into output: UnsafeMutablePointer<Float>, scratch: TransformScratch) {
        let side = cropSize
        let crop = scratch.floats(.localCrop, side * side * 3)
        Resample.cropResize(image, crop: draw.crop, outWidth: side, outHeight: side, flip: draw.photometric.flip,
                            output: crop, scratch: scratch)
        photometric.render(draw.photometric, crop, width: side, height: side, scratch: scratch)
        let patchFloats = patchSize * patchSize * 3
        for k in 0..<9 {
            let cell = draw.order[k]
            let x0 = (cell % 3) * cellSize + draw.offsets[cell].x
            let y0 = (cell / 3) * cellSize + draw.offsets[cell].y
            let patch = output + k * patchFloats
            for y in 0..<patchSize {
                normalization.apply(crop + ((y0 + y) * side + x0) * 3, patch + y * patchSize * 3, pixels: patchSize)
            }
        }
    }

    /// Samples and renders one patch set into `output`.
    public func apply(_ image: Image, into output: UnsafeMutablePointer<Float>, rng: inout RandomStream,
                      scratch: TransformScratch) {
        render(sample(width: image.width, height: image.height, rng: &rng), from: image, into: output, scratch: scratch)
    }

    /// Convenience: the nine patches as new `FloatImage`s, in output order.
    public func apply(_ image: Image, rng: inout RandomStream) -> [FloatImage] {
        var all = [Float](repeating: 0, count: 9 * patchSize * patchSize * 3)
        let scratch = TransformScratch()
        all.withUnsafeMutableBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return }
            apply(image, into: base, rng: &rng, scratch: scratch)
        }
        let n = patchSize * patchSize * 3
        return (0..<9).map { FloatImage(width: patchSize, height: patchSize, data: Array(all[($0 * n)..<(($0 + 1) * n)])) }
    }
}
