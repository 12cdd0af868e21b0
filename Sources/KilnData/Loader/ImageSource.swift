// `ImageSource`: anything the loader can pull decoded images from by index (image folders, COCO datasets,
// in-memory encoded images). Decoding happens on the loader's worker threads, so sources must be Sendable
// and `loadImage` must be safe to call concurrently.

import Foundation

/// Indexed access to decoded RGB images.
public protocol ImageSource: Sendable {
    var count: Int { get }
    /// Decodes image `index` (RGB); throws `DataError` naming the file for bad or missing files.
    func loadImage(at index: Int) throws -> Image
}

extension ImageFolder: ImageSource {
    public func loadImage(at index: Int) throws -> Image { try load(index, mode: .rgb) }
}

extension COCODataset: ImageSource {
    public var count: Int { images.count }
    public func loadImage(at index: Int) throws -> Image { try loadImage(at: index, mode: .rgb) }
}

/// Encoded JPEG/PNG files held in memory (benchmarks, small datasets, tests); decoded on every access.
public struct EncodedImages: ImageSource {
    public var files: [[UInt8]]
    public var names: [String]

    public init(files: [[UInt8]], names: [String]? = nil) {
        self.files = files
        self.names = names ?? files.indices.map { "<memory #\($0)>" }
    }

    public var count: Int { files.count }

    public func loadImage(at index: Int) throws -> Image { try ImageIO.decode(files[index], file: names[index], mode: .rgb) }
}
