// Safetensors checkpoints: round trip with PyTorch layouts, and clear errors for every kind of damage.

import Foundation
import Kiln
import KilnIR
import Testing

final class TinyNet: Layer {
    let conv = Conv2d(3, 4, kernelSize: 3, padding: 1)
    let bn = BatchNorm2d(4)
    let fc = Linear(4, 2)
    func forward(_ x: Tensor) -> Tensor { fc(bn(conv(x)).relu().globalAvgPool()) }
}

func temporaryFile(_ name: String) -> URL {
    URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("kiln-test-\(ProcessInfo.processInfo.processIdentifier)-\(name)")
}

@Suite("Checkpoints")
struct CheckpointTests {
    @Test("save then load restores every parameter and stores convolution weights as OIHW")
    func roundTrip() throws {
        let a = TinyNet()
        try a.initialize(seed: 1)
        let url = temporaryFile("roundtrip.safetensors")
        try Checkpoint.save(a, metadata: ["format": "pt"], to: url)
        let (tensors, metadata) = try SafeTensors.read(url)
        #expect(metadata["format"] == "pt")
        #expect(tensors["conv.weight"]?.shape == [4, 3, 3, 3])
        #expect(tensors["bn.num_batches_tracked"]?.dtype == .I64)
        // OIHW element (o=1, i=2, h=0, w=1) equals the internal OHWI element (1, 0, 1, 2).
        let oihw: [Float] = tensors["conv.weight"]!.floats()
        let ohwi: [Float] = a.conv.weight.values!
        let oihwIndex = ((1 * 3 + 2) * 3 + 0) * 3 + 1
        let ohwiIndex = ((1 * 3 + 0) * 3 + 1) * 3 + 2
        #expect(oihw[oihwIndex] == ohwi[ohwiIndex])
        let b = TinyNet()
        try Checkpoint.load(url, into: b)
        for ((n1, p1), (_, p2)) in zip(try a.namedParameters(), try b.namedParameters()) {
            #expect(p1.values == p2.values, "\(n1) differs")
        }
    }

    @Test("a truncated, corrupt or mismatched checkpoint is a one-line error naming file and tensor")
    func damage() throws {
        let a = TinyNet()
        try a.initialize(seed: 1)
        let url = temporaryFile("damage.safetensors")
        try Checkpoint.save(a, to: url)
        let full = try Data(contentsOf: url)
        let cases: [(Data, String)] = [
            (full.prefix(full.count - 10), "outside"),
            (full.prefix(5), "truncated"),
            (Data([255, 255, 255, 255, 0, 0, 0, 0]) + full.dropFirst(8), "header length"),
            (full.prefix(8) + Data(repeating: UInt8(ascii: "x"), count: full.count - 8), "not valid JSON"),
        ]
        for (i, (data, expected)) in cases.enumerated() {
            let bad = temporaryFile("damage-\(i).safetensors")
            try data.write(to: bad)
            do {
                try Checkpoint.load(bad, into: TinyNet())
                Issue.record("case \(i) loaded")
            } catch {
                #expect("\(error)".contains(bad.path), "\(error)")
                #expect("\(error)".contains(expected), "\(error)")
                #expect(!"\(error)".contains("\n"))
            }
        }
        // A tensor of the wrong shape and a missing tensor.
        var tensors = try SafeTensors.read(url).tensors
        tensors["fc.weight"] = SafeTensor(floats: [Float](repeating: 0, count: 6), shape: [2, 3])
        tensors["bn.bias"] = nil
        let mismatched = temporaryFile("mismatch.safetensors")
        try SafeTensors.write(tensors, to: mismatched)
        #expect(throws: (any Error).self) { try Checkpoint.load(mismatched, into: TinyNet()) }
        do { try Checkpoint.load(mismatched, into: TinyNet()) } catch {
            #expect("\(error)".contains("bn.bias") || "\(error)".contains("fc.weight"))
        }
    }

    @Test("writes are atomic: no temporary file is left behind and the target is replaced whole")
    func atomic() throws {
        let dir = temporaryFile("atomic-dir")
        let url = dir.appendingPathComponent("model.safetensors")
        try SafeTensors.write(["a": SafeTensor(floats: [1, 2], shape: [2])], to: url)
        try SafeTensors.write(["a": SafeTensor(floats: [3, 4, 5], shape: [3])], to: url)
        #expect(try SafeTensors.read(url).tensors["a"]?.floats() == [3, 4, 5])
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["model.safetensors"])
    }
}
