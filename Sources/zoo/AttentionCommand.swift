// `zoo attention CKPT IMAGE... -o DIR`: DetCo-appendix attention maps (Res5 channel mean, min–max to [0, 1],
// bilinear upsampling, overlay) written as DIR/<name>-attention.png, the picture beside its overlay.

import ArgumentParser
import Foundation
import KilnData
import KilnZoo

struct AttentionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "attention",
        abstract: "Draw Res5 attention maps of a backbone over images.",
        discussion: """
            Each image (JPEG or PNG) is resized so its shorter side is --size, centre-cropped to a square and \
            ImageNet-normalised; the backbone runs in eval mode; the channel mean of Res5 is min–max normalised, \
            bilinearly upsampled and blended over the picture. Output: DIR/<image name>-attention.png.
            """)

    @Argument(help: "The checkpoint (omitted with --random-init), then the images.") var paths: [String] = []
    @OptionGroup var backbone: BackboneOptions
    @Option(name: [.short, .customLong("output")], help: "Output folder.") var output: String
    @Option(help: "Input side in pixels (the paper uses 448).") var size = 448
    @Option(help: "Colormap: jet, viridis or gray.") var colormap = "jet"
    @Option(help: "Opacity of the map over the picture, 0...1.") var alpha: Float = 0.5

    func run() throws {
        let map: Colormap
        switch colormap {
        case "jet": map = .jet
        case "viridis": map = .viridis
        case "gray": map = .gray
        default: throw UsageError("unknown colormap '\(colormap)' (jet, viridis or gray)")
        }
        guard (0...1).contains(alpha) else { throw UsageError("--alpha must be in 0...1") }
        let checkpoint = backbone.randomInit ? nil : paths.first
        let images = Array(paths.dropFirst(backbone.randomInit ? 0 : 1))
        guard !images.isEmpty else { throw UsageError("give at least one image after the checkpoint") }
        let (model, description, _) = try backbone.load(checkpoint)
        let mapper = try AttentionMapper(backbone: model, size: size)
        let folder = URL(fileURLWithPath: output, isDirectory: true)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        print("\(description), \(size)×\(size) inputs")
        var used: [String: Int] = [:]
        for path in images {
            let url = URL(fileURLWithPath: path)
            let (attention, picture) = try mapper.map(image: try ImageIO.load(url))
            let base = url.deletingPathExtension().lastPathComponent
            used[base, default: 0] += 1
            let name = used[base]! > 1 ? "\(base)-\(used[base]!)" : base
            let destination = folder.appendingPathComponent("\(name)-attention.png")
            try AttentionMapper.overlay(picture, attention, colormap: map, alpha: alpha).save(to: destination)
            print("\(destination.path)  (Res5 map \(attention.lowResWidth)×\(attention.lowResHeight))")
        }
    }
}
