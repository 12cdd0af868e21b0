// torchvision's `RandomResizedCrop.get_params`: up to 10 tries of (area fraction ~ U(scale), log aspect ratio
// ~ U(log ratio)); the first box that fits is placed uniformly; otherwise a central crop clamped to the ratio range.

import Foundation
import KilnKernels

/// Random crop-box sampler of RandomResizedCrop (the resize is done by the view transforms).
public struct RandomResizedCrop: Equatable, Sendable {
    /// Fraction of the image area covered by the crop.
    public var scale: ClosedRange<Double>
    /// Aspect ratio (width / height) range.
    public var ratio: ClosedRange<Double>

    public init(scale: ClosedRange<Double>, ratio: ClosedRange<Double> = (3.0 / 4.0)...(4.0 / 3.0)) {
        self.scale = scale
        self.ratio = ratio
    }

    /// Draws an integer crop box inside a `width × height` image.
    public func sample(width: Int, height: Int, rng: inout RandomStream) -> CropBox {
        let area = Double(width * height)
        let logRatio = log(ratio.lowerBound)...log(ratio.upperBound)
        for _ in 0..<10 {
            let targetArea = area * rng.uniform(scale.lowerBound, scale.upperBound)
            let aspect = exp(rng.uniform(logRatio.lowerBound, logRatio.upperBound))
            let w = Int((targetArea * aspect).squareRoot().rounded(.toNearestOrEven))
            let h = Int((targetArea / aspect).squareRoot().rounded(.toNearestOrEven))
            if w > 0, w <= width, h > 0, h <= height {
                let top = rng.below(height - h + 1)
                let left = rng.below(width - w + 1)
                return CropBox(x: Double(left), y: Double(top), width: Double(w), height: Double(h))
            }
        }
        let inputRatio = Double(width) / Double(height)
        var w = width, h = height
        if inputRatio < ratio.lowerBound {
            h = Int((Double(w) / ratio.lowerBound).rounded(.toNearestOrEven))
        } else if inputRatio > ratio.upperBound {
            w = Int((Double(h) * ratio.upperBound).rounded(.toNearestOrEven))
        }
        return CropBox(x: Double((width - w) / 2), y: Double((height - h) / 2), width: Double(w), height: Double(h))
    }
}
