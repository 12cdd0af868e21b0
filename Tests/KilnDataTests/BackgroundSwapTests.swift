// Scenes composed on demand equal the generated PNGs; background swapping redraws exactly the background.

import Foundation
import Testing
import KilnData
import KilnKernels

@Suite struct BackgroundSwapTests {
    @Test func composedScenesEqualTheGeneratedFiles() throws {
        let root = try TestData.temporaryDirectory("scene-source")
        defer { try? FileManager.default.removeItem(at: root) }
        try FashionScenes.generate(count: 12, seed: 5, size: 64, out: root)
        let folder = try ImageFolder(root: root.appendingPathComponent("images"))
        let source = try FashionSceneSource(count: 8, first: 4, seed: 5, size: 64)
        #expect(source.count == 8)
        for index in 0..<8 {
            let composed = try source.loadImage(at: index)
            #expect(composed == (try folder.loadImage(at: index + 4)), "scene \(index + 4)")
            let layers = try source.loadLayers(at: index)
            #expect(layers.image == composed)
            #expect(layers.foreground.contains(true) && layers.foreground.contains(false))
        }
    }

    @Test func swapRedrawsOnlyTheBackground() throws {
        let layers = try FashionSceneSource(count: 1, seed: 1, size: 48).loadLayers(at: 0)
        var rng = RandomStream(seed: 9)
        let a = BackgroundSwap().apply(layers, rng: &rng), b = BackgroundSwap().apply(layers, rng: &rng)
        var changedA = 0, changedB = 0, differ = 0
        for p in 0..<(48 * 48) {
            let pixel = { (image: Image) in Array(image.pixels[(3 * p)..<(3 * p + 3)]) }
            if layers.foreground[p] {
                #expect(pixel(a) == pixel(layers.image) && pixel(b) == pixel(layers.image), "foreground pixel \(p)")
            } else {
                if pixel(a) != pixel(layers.image) { changedA += 1 }
                if pixel(b) != pixel(layers.image) { changedB += 1 }
                if pixel(a) != pixel(b) { differ += 1 }
            }
        }
        let background = layers.foreground.filter { !$0 }.count
        // Two independent textures: most background pixels change, and the two views' backgrounds differ.
        #expect(changedA > background / 2 && changedB > background / 2 && differ > background / 2)
        var never = RandomStream(seed: 9)
        #expect(BackgroundSwap(probability: 0).apply(layers, rng: &never) == layers.image)
    }

    @Test func swappingWithoutMasksIsAnError() throws {
        let source = EncodedImages(files: [try PNG.encode(Image(width: 8, height: 8), fast: true)])
        #expect(throws: DataError.self) { try ViewImages(source: source, backgrounds: BackgroundSwap()) }
        #expect(throws: Never.self) { try ViewImages(source: source, backgrounds: nil) }
    }
}
