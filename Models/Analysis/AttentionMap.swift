// Attention maps as in DetCo's appendix (detco-spec §4.5, paper Fig. 6): the image at 448 × 448 (default) through
// the trunk in eval mode, the Res5 map averaged over channels, min–max normalised to [0, 1], bilinearly upsampled
// to the input size (PyTorch's align_corners = False) and overlaid on the image with a colormap.
// The channel mean and the upsampling run in the compiled graph; the normalisation uses the range of the low-
// resolution map, which equals normalising first because bilinear weights are convex and sum to one.

import Kiln
import KilnData

/// One attention map.
public struct AttentionMap: Equatable, Sendable {
    /// The map at input resolution, row-major (height, width), in [0, 1].
    public var width: Int
    public var height: Int
    public var values: [Float]
    /// The raw channel mean of Res5 (lowResHeight, lowResWidth).
    public var lowResWidth: Int
    public var lowResHeight: Int
    public var lowRes: [Float]

    /// `upsampled` min–max normalised with the range of `lowRes` (a constant map becomes all zeros), clamped to
    /// [0, 1] against rounding.
    public static func normalized(lowRes: [Float], upsampled: [Float]) -> [Float] {
        guard let lo = lowRes.min(), let hi = lowRes.max(), hi > lo else { return Array(repeating: 0, count: upsampled.count) }
        let scale = 1 / (hi - lo)
        return upsampled.map { min(max(($0 - lo) * scale, 0), 1) }
    }
}

public final class AttentionMapper {
    public let size: Int
    private let function: InferenceFunction
    static let imagesInput = "image", lowResOutput = "res5_mean", mapOutput = "map"

    /// Compiles the eval-mode forward of `backbone` for one `size` × `size` image.
    public init(backbone: ResNet, size: Int = 448) throws {
        guard size >= 32 else { throw AnalysisError("the attention input size must be at least 32, got \(size)") }
        self.size = size
        function = try InferenceFunction(models: [backbone], inputs: [(Self.imagesInput, TensorType(.f32, [1, size, size, 3]))]) { _, x in
            let channelMean = backbone(x[Self.imagesInput]!).res5.mean(axes: [3], keepdims: true)   // (1, h, w, 1)
            return [Self.lowResOutput: channelMean, Self.mapOutput: channelMean.upsampled(size: [size, size], mode: .bilinear)]
        }
    }

    /// The attention map of a prepared input (size × size, normalised).
    public func map(_ input: FloatImage) throws -> AttentionMap {
        guard input.width == size, input.height == size, input.channels == 3 else {
            throw AnalysisError("the attention input must be \(size)×\(size)×3, got \(input.width)×\(input.height)×\(input.channels)")
        }
        let exe = function.executable
        try input.data.withUnsafeBufferPointer { try exe.setInput(Self.imagesInput, floats: $0) }
        try exe.run()
        guard let low = exe.output(Self.lowResOutput), let up = exe.output(Self.mapOutput) else {
            throw AnalysisError("the compiled attention graph lacks its outputs")
        }
        let lowRes = low.data.map(Float.init)
        return AttentionMap(width: size, height: size, values: AttentionMap.normalized(lowRes: lowRes, upsampled: up.data.map(Float.init)),
                            lowResWidth: low.shape[2], lowResHeight: low.shape[1], lowRes: lowRes)
    }

    /// The map of any image (shorter side resized to `size`, centre crop, normalised) and the cropped picture.
    public func map(image: Image) throws -> (map: AttentionMap, picture: Image) {
        let input = SquareInput.prepare(image, size: size)
        return (try map(input), SquareInput.display(input))
    }

    /// The picture and, to its right after a white gap, the picture with the map blended through `colormap`.
    public static func overlay(_ picture: Image, _ map: AttentionMap, colormap: Colormap = .jet, alpha: Float = 0.5,
                               gap: Int = 8) throws -> Canvas {
        guard picture.width == map.width, picture.height == map.height else {
            throw AnalysisError("picture \(picture.width)×\(picture.height) and map \(map.width)×\(map.height) differ in size")
        }
        var blended = Canvas(image: picture)
        blended.blend(heatmap: map.values, colormap: colormap, alpha: alpha)
        var canvas = Canvas(width: 2 * picture.width + gap, height: picture.height)
        canvas.paste(picture, x: 0, y: 0)
        canvas.paste(blended.image, x: picture.width + gap, y: 0)
        return canvas
    }
}
