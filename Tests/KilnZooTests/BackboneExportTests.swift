// Backbone export: a MoCo v2 / DetCo checkpoint's query trunk comes out under torchvision names with nothing else,
// values unchanged, depth inferred (18 and 50), loadable strictly into ResNet(depth, classes: nil); bad inputs give
// errors naming the file and tensor; Python's `safetensors` opens the file when it is installed.

import Foundation
import Kiln
import KilnZoo
import Testing

@Suite("Backbone export")
struct BackboneExportTests {
    static func temporaryFile(_ name: String) -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("kiln-export-\(ProcessInfo.processInfo.processIdentifier)-\(name)")
    }

    static func trunkNames(_ depth: ResNet.Depth) throws -> [String] {
        try ResNet(depth, classes: nil).namedParameters().map(\.0)
    }

    @Test("a MoCo v2 checkpoint exports exactly the query trunk, values unchanged, and loads strictly")
    func mocoRoundTrip() throws {
        var c = MoCoConfiguration()
        c.queueSize = 64
        let moco = MoCoV2(c)
        try moco.initialize(seed: 3)
        // A stand-in for a training checkpoint: every state name a real one has (incl. an optimizer slot).
        let slot = SafeTensor(floats: [Float](repeating: 1, count: 64 * 3 * 7 * 7), shape: [64, 3, 7, 7])
        let source = Self.temporaryFile("moco.safetensors"), exported = Self.temporaryFile("moco-backbone.safetensors")
        defer { try? FileManager.default.removeItem(at: source); try? FileManager.default.removeItem(at: exported) }
        try Checkpoint.save(moco, extra: ["optimizer.momentum.encoder_q.conv1.weight": slot],
                            metadata: ["step": "7", "configuration": #"{"method":"mocov2","size":64}"#], to: source)

        let backbone = try BackboneExport.export(from: source, to: exported)
        #expect(backbone.depth == .resnet18)
        #expect(backbone.prefix == "encoder_q.")
        #expect(backbone.pretrainingSize == 64)
        let (tensors, metadata) = try SafeTensors.read(exported)
        #expect(tensors.keys.sorted() == (try Self.trunkNames(.resnet18)).sorted())
        #expect(metadata["depth"] == "18" && metadata["arch"] == "resnet18" && metadata["method"] == "mocov2")
        #expect(metadata["source_step"] == "7" && metadata["source"] == source.path)

        let original = try SafeTensors.read(source).tensors
        for (name, t) in tensors { #expect(t == original["encoder_q." + name], "tensor \(name) changed") }
        #expect(tensors["conv1.weight"]?.shape == [64, 3, 7, 7])   // OIHW, as PyTorch

        let model = ResNet(.resnet18, classes: nil)
        let rest = try Checkpoint.load(exported, into: model, strict: true)
        #expect(rest.isEmpty)
        let query = Dictionary(uniqueKeysWithValues: try moco.encoderQ.backbone.namedParameters().map { ($0.0, $0.1.values) })
        for (name, p) in try model.namedParameters() { #expect(p.values == query[name]!, "\(name) differs after loading") }

        // Exporting an exported backbone is the identity.
        let again = Self.temporaryFile("again.safetensors")
        defer { try? FileManager.default.removeItem(at: again) }
        let second = try BackboneExport.export(from: exported, to: again)
        #expect(second.prefix == "")
        #expect(try SafeTensors.read(again).tensors == tensors)
    }

    @Test("a DetCo checkpoint drops global and local heads, the key encoder and the queues")
    func detco() throws {
        var c = DetCoConfiguration()
        c.queueSize = 64
        let model = DetCo(c)
        try model.initialize(seed: 1)
        let source = Self.temporaryFile("detco.safetensors"), exported = Self.temporaryFile("detco-backbone.safetensors")
        defer { try? FileManager.default.removeItem(at: source); try? FileManager.default.removeItem(at: exported) }
        try Checkpoint.save(model, to: source)
        #expect(try SafeTensors.read(source).tensors.keys.contains("encoder_q.local_heads.3.0.weight"))
        try BackboneExport.export(from: source, to: exported)
        #expect(try SafeTensors.read(exported).tensors.keys.sorted() == (try Self.trunkNames(.resnet18)).sorted())
    }

    @Test("ResNet-50 with an fc layer: depth 50 inferred, fc dropped")
    func resnet50() throws {
        let model = ResNet(.resnet50, classes: 1000)
        try model.initialize(seed: 0)
        let source = Self.temporaryFile("r50.safetensors"), exported = Self.temporaryFile("r50-backbone.safetensors")
        defer { try? FileManager.default.removeItem(at: source); try? FileManager.default.removeItem(at: exported) }
        try Checkpoint.save(model, to: source)
        let backbone = try BackboneExport.export(from: source, to: exported)
        #expect(backbone.depth == .resnet50)
        let (tensors, metadata) = try SafeTensors.read(exported)
        #expect(metadata["depth"] == "50")
        #expect(tensors["fc.weight"] == nil && tensors["layer4.2.conv3.weight"]?.shape == [2048, 512, 1, 1])
        #expect(tensors.count == (try Self.trunkNames(.resnet50)).count)
    }

    @Test("depth inference reads the blocks per stage")
    func depthInference() throws {
        for depth in ResNet.Depth.allCases {
            #expect(try BackboneExport.inferDepth(try Self.trunkNames(depth), file: "x") == depth)
        }
        #expect(throws: AnalysisError.self) { try BackboneExport.inferDepth(["layer1.0.conv1.weight"], file: "x") }
    }

    @Test("missing, mis-shaped and foreign tensors are errors naming the tensor")
    func badInputs() throws {
        let model = ResNet(.resnet18, classes: nil)
        try model.initialize(seed: 0)
        var tensors = try Checkpoint.tensors(try model.namedParameters())
        let file = Self.temporaryFile("bad.safetensors")
        defer { try? FileManager.default.removeItem(at: file) }

        func message(_ t: [String: SafeTensor]) throws -> String {
            try SafeTensors.write(t, to: file)
            do { _ = try BackboneExport.load(file); return "" } catch { return "\(error)" }
        }
        var missing = tensors
        missing["layer3.1.bn2.running_var"] = nil
        #expect(try message(missing).contains("layer3.1.bn2.running_var"))
        tensors["layer2.0.conv1.weight"] = SafeTensor(floats: [1, 2, 3], shape: [3])
        #expect(try message(tensors).contains("layer2.0.conv1.weight"))
        #expect(try message(["queue": SafeTensor(floats: [1], shape: [1])]).contains("no ResNet backbone"))
    }

    static let pythonHasSafetensors: Bool = {
        (try? runPython("import safetensors, numpy"))?.status == 0
    }()

    static func runPython(_ code: String) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", code]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    @Test("Python's safetensors opens the exported file (skipped without python3 + safetensors + numpy)",
          .enabled(if: pythonHasSafetensors, "python3 -c 'import safetensors, numpy' failed: pip install safetensors numpy"))
    func pythonOpens() throws {
        let model = ResNet(.resnet18, classes: 10)
        try model.initialize(seed: 2)
        let source = Self.temporaryFile("py.safetensors"), exported = Self.temporaryFile("py-backbone.safetensors")
        defer { try? FileManager.default.removeItem(at: source); try? FileManager.default.removeItem(at: exported) }
        try Checkpoint.save(model, to: source)
        try BackboneExport.export(from: source, to: exported)
        let script = """
            from safetensors import safe_open
            with safe_open("\(exported.path)", framework="np") as f:
                keys = sorted(f.keys())
                w = f.get_tensor("conv1.weight")
                print(len(keys), f.metadata()["depth"], tuple(w.shape), w.dtype, "fc.weight" in keys)
            """
        let (status, output) = try Self.runPython(script)
        #expect(status == 0, "python failed: \(output)")
        let names = try Self.trunkNames(.resnet18)
        #expect(output.trimmingCharacters(in: .whitespacesAndNewlines) == "\(names.count) 18 (64, 3, 7, 7) float32 False")
    }
}
