// A dataset over a folder of JPEG/PNG images, either flat (unlabeled) or with one sub-folder per class
// (torchvision ImageFolder layout: classes are the sorted sub-folder names, files are found recursively).
// File order is sorted, so indices are stable across runs and machines.

import Foundation

/// Images in a folder, optionally labeled by sub-folder.
public struct ImageFolder: Sendable {
    public struct Entry: Sendable, Equatable {
        public var url: URL
        /// Class index into `classNames`, or nil for a flat folder.
        public var label: Int?
    }

    public let root: URL
    /// Sorted class (sub-folder) names; empty for a flat folder.
    public let classNames: [String]
    public let entries: [Entry]

    public static let defaultExtensions: Set<String> = ["jpg", "jpeg", "png"]

    /// Scans `root`. Class layout is used when sub-folders hold images; images next to class folders are an
    /// error because their label would be ambiguous.
    public init(root: URL, extensions: Set<String> = defaultExtensions) throws {
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        guard fm.fileExists(atPath: root.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw DataError(.io, file: root.path, "no such folder")
        }
        let children = try Self.listing(root)
        let topImages = children.filter { !$0.isDirectory && extensions.contains($0.url.pathExtension.lowercased()) }
        var classes: [(String, [URL])] = []
        for child in children where child.isDirectory {
            let files = try Self.imagesRecursively(in: child.url, extensions: extensions)
            if !files.isEmpty { classes.append((child.url.lastPathComponent, files)) }
        }
        if classes.isEmpty {
            guard !topImages.isEmpty else { throw DataError(.invalid, file: root.path, "no JPEG or PNG images found") }
            self.init(root: root, classNames: [], entries: topImages.map { Entry(url: $0.url, label: nil) })
        } else {
            if let stray = topImages.first {
                throw DataError(.invalid, file: stray.url.path,
                                "image next to class folders (\(classes.map(\.0).joined(separator: ", "))): move it into one")
            }
            var entries: [Entry] = []
            for (label, item) in classes.enumerated() {
                entries += item.1.map { Entry(url: $0, label: label) }
            }
            self.init(root: root, classNames: classes.map(\.0), entries: entries)
        }
    }

    private init(root: URL, classNames: [String], entries: [Entry]) {
        self.root = root
        self.classNames = classNames
        self.entries = entries
    }

    public var count: Int { entries.count }

    /// Decodes image `index`.
    public func load(_ index: Int, mode: ColorMode = .rgb) throws -> Image {
        try ImageIO.load(entries[index].url, mode: mode)
    }

    private static func listing(_ folder: URL) throws -> [(url: URL, isDirectory: Bool)] {
        let names: [String]
        do { names = try FileManager.default.contentsOfDirectory(atPath: folder.path) } catch {
            throw DataError(.io, file: folder.path, "cannot list folder")
        }
        return names.filter { !$0.hasPrefix(".") }.sorted().map { name in
            let url = folder.appendingPathComponent(name)
            var isDirectory: ObjCBool = false
            _ = FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory)
            return (url, isDirectory.boolValue)
        }
    }

    private static func imagesRecursively(in folder: URL, extensions: Set<String>) throws -> [URL] {
        var found: [URL] = []
        for child in try listing(folder) {
            if child.isDirectory {
                found += try imagesRecursively(in: child.url, extensions: extensions)
            } else if extensions.contains(child.url.pathExtension.lowercased()) {
                found.append(child.url)
            }
        }
        return found
    }
}
