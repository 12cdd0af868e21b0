// Image features of a ResNet trunk for the evaluations: GAP(Res5), the 512-d (ResNet-18) or 2048-d (ResNet-50)
// pooled output of layer4, computed in eval mode (BN running statistics, as MoCo's and DetCo's evaluations freeze
// the backbone). One forward graph is compiled for a fixed batch; a short last batch is zero-padded, which does not
// change the other rows because eval-mode layers treat samples independently.

import Foundation
import Kiln
import KilnData

public final class FeatureExtractor {
    public let backbone: ResNet
    public let batch: Int
    public let size: Int
    private let function: InferenceFunction
    public static let imagesInput = "images"
    public static let featuresOutput = "features"

    /// Compiles the eval-mode forward of `backbone` for batches of `batch` images of `size` × `size`.
    public init(backbone: ResNet, batch: Int = 64, size: Int) throws {
        guard batch > 0 else { throw AnalysisError("the feature batch must be positive, got \(batch)") }
        guard size >= 32 else { throw AnalysisError("the image size must be at least 32 (ResNet downsamples 32×), got \(size)") }
        self.backbone = backbone
        self.batch = batch
        self.size = size
        function = try InferenceFunction(models: [backbone],
                                         inputs: [(Self.imagesInput, TensorType(.f32, [batch, size, size, 3]))]) { _, x in
            [Self.featuresOutput: backbone(x[Self.imagesInput]!).res5.globalAvgPool()]
        }
    }

    /// Feature dimension (channels of Res5).
    public var dimension: Int { backbone.featureDimension }

    /// Features of `count` images; `fill(i, pointer)` writes image i, normalised, as (size, size, 3) floats.
    /// `progress` is called with the number of images done after each batch.
    public func features(count: Int, fill: (Int, UnsafeMutablePointer<Float>) throws -> Void,
                         progress: ((Int) -> Void)? = nil) throws -> FeatureMatrix {
        let exe = function.executable
        guard let input = exe.inputBuffer(Self.imagesInput)?.assumingMemoryBound(to: Float.self) else {
            throw AnalysisError("the compiled feature graph has no input '\(Self.imagesInput)'")
        }
        let perImage = size * size * 3, d = dimension
        var out = [Float](repeating: 0, count: count * d)
        var start = 0
        while start < count {
            let n = min(batch, count - start)
            for slot in 0..<n { try fill(start + slot, input + slot * perImage) }
            if n < batch { (input + n * perImage).update(repeating: 0, count: (batch - n) * perImage) }
            try exe.run()
            guard let result = exe.outputBuffer(Self.featuresOutput)?.assumingMemoryBound(to: Float.self) else {
                throw AnalysisError("the compiled feature graph has no output '\(Self.featuresOutput)'")
            }
            for i in 0..<(n * d) { out[start * d + i] = result[i] }
            start += n
            progress?(start)
        }
        return FeatureMatrix(rows: count, columns: d, values: out)
    }

    /// Features of prepared inputs (each `size` × `size`, normalised).
    public func features(of inputs: [FloatImage]) throws -> FeatureMatrix {
        if let bad = inputs.first(where: { $0.width != size || $0.height != size || $0.channels != 3 }) {
            throw AnalysisError("inputs must be \(size)×\(size)×3, got \(bad.width)×\(bad.height)×\(bad.channels)")
        }
        return try features(count: inputs.count) { i, p in
            inputs[i].data.withUnsafeBufferPointer { p.update(from: $0.baseAddress!, count: $0.count) }
        }
    }

    /// Features of images `indices` of `source`, each prepared by `SquareInput` at this extractor's size.
    public func features(of source: any ImageSource, indices: [Int], progress: ((Int) -> Void)? = nil) throws -> FeatureMatrix {
        let scratch = TransformScratch()
        return try features(count: indices.count, fill: { i, p in
            let input = SquareInput.prepare(try source.loadImage(at: indices[i]), size: size, scratch: scratch)
            input.data.withUnsafeBufferPointer { p.update(from: $0.baseAddress!, count: $0.count) }
        }, progress: progress)
    }
}
