// Fashion-MNIST (Zalando, 70,000 28×28 gray clothing items in 10 classes) read from the IDX files that the Debian
// package `dataset-fashion-mnist` installs under /usr/share/datasets/fashion-mnist (gzip or plain).

import Foundation

/// One split of Fashion-MNIST held in memory (47 MB for train).
public struct FashionMNIST: Sendable {
    public enum Split: String, Sendable {
        case train, test
        var prefix: String { self == .train ? "train" : "t10k" }
    }

    /// Where `dataset-fashion-mnist` installs the files.
    public static let defaultDirectory = URL(fileURLWithPath: "/usr/share/datasets/fashion-mnist")

    /// Class names in label order 0...9.
    public static let classNames = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]

    public let split: Split
    public let count: Int
    public let rows: Int
    public let columns: Int
    /// All images, `count × rows × columns` bytes, row-major.
    public let pixels: [UInt8]
    /// Labels 0...9.
    public let labels: [UInt8]

    /// Loads a split; looks for `<split>-images-idx3-ubyte[.gz]` and `<split>-labels-idx1-ubyte[.gz]`.
    public static func load(split: Split, directory: URL = defaultDirectory) throws -> FashionMNIST {
        let images = try IDX.read(try locate("\(split.prefix)-images-idx3-ubyte", in: directory))
        let labelsURL = try locate("\(split.prefix)-labels-idx1-ubyte", in: directory)
        let labels = try IDX.read(labelsURL)
        let file = directory.path
        guard images.elementType == .uint8, images.shape.count == 3 else {
            throw DataError(.invalid, file: file, field: "images", "expected a uint8 N×H×W array, found shape \(images.shape)")
        }
        guard labels.elementType == .uint8, labels.shape == [images.shape[0]] else {
            throw DataError(.invalid, file: labelsURL.path, field: "labels",
                            "expected \(images.shape[0]) uint8 labels, found shape \(labels.shape)")
        }
        if let bad = labels.bytes.firstIndex(where: { $0 >= 10 }) {
            throw DataError(.invalid, file: labelsURL.path, field: "labels[\(bad)]", "label \(labels.bytes[bad]) is not in 0...9")
        }
        return FashionMNIST(split: split, count: images.shape[0], rows: images.shape[1], columns: images.shape[2],
                            pixels: images.bytes, labels: labels.bytes)
    }

    /// Item `index` as a 1-channel image.
    public func image(at index: Int) -> Image {
        let size = rows * columns
        return Image(width: columns, height: rows, channels: 1,
                     pixels: Array(pixels[(index * size)..<((index + 1) * size)]))
    }

    /// Label of item `index` (0...9).
    public func label(at index: Int) -> Int { Int(labels[index]) }

    private static func locate(_ base: String, in directory: URL) throws -> URL {
        for name in [base + ".gz", base] {
            let url = directory.appendingPathComponent(name)
            if FileManager.default.fileExists(atPath: url.path) { return url }
        }
        throw DataError(.io, file: directory.appendingPathComponent(base + ".gz").path,
                        "no such file (install the Debian package dataset-fashion-mnist: scripts/setup)")
    }
}
