// Memory-plan acceptance on real workloads: the ResNet-18 train step (batch 32, 64×64) must plan into at most half
// of the naive arena and within 15% of the live-bytes lower bound; the planned step must also run and agree with
// the same step on the naive plan.

import Kiln
import KilnIR
import KilnPasses
import KilnRuntime
import KilnZoo
import Testing

@Suite("Memory plans of zoo workloads")
struct MemoryPlanAcceptanceTests {
    @Test("ResNet-18 train step, batch 32, 64×64: planned ≤ 0.5 × naive and ≤ 1.15 × lower bound")
    func resnet18Train() throws {
        let stats = try GraphStatistics.measure(try Workload.resnet18Train.graph(batch: 32, size: 64))
        #expect(stats.lowerBoundBytes <= stats.plannedBytes)
        #expect(Double(stats.plannedBytes) <= 0.5 * Double(stats.naiveBytes), "\(stats)")
        #expect(Double(stats.plannedBytes) <= 1.15 * Double(stats.lowerBoundBytes), "\(stats)")
        #expect(stats.stateBufferValues > 0 && stats.inPlaceValues > 0)
    }

    @Test("ResNet-50 inference plans within 15% of its lower bound")
    func resnet50Inference() throws {
        let stats = try GraphStatistics.measure(try Workload.resnet50.graph(batch: 1, size: 224))
        #expect(Double(stats.plannedBytes) <= 1.15 * Double(stats.lowerBoundBytes), "\(stats)")
        #expect(Double(stats.plannedBytes) <= 0.5 * Double(stats.naiveBytes), "\(stats)")
    }

    @Test("a planned ResNet-18 train step matches the naive plan step for step")
    func plannedMatchesNaive() throws {
        let (model, traced) = try ResNetTraining.trace(depth: .resnet18, classes: 10, batch: 4, size: 32,
                                                       optimizer: SGD(momentum: 0.9, weightDecay: 1e-4))
        try model.initialize(seed: 7)
        let graph = try Pipeline(StandardPipeline.passes()).run(traced.graph)
        let planned = try Executable(graph: graph)
        let naive = try Executable(graph: graph, plan: MemoryPlan.naive(graph))
        #expect(planned.plan.arenaBytes < naive.plan.arenaBytes / 2)
        for exe in [planned, naive] {
            for (name, p) in traced.parameters { try exe.setState(name, HostTensor(p.type, p.values!.map(Double.init))) }
        }
        let data = SyntheticImages(classes: 10, size: 32, seed: 1)
        for step in 0..<3 {
            var losses: [Double] = []
            for exe in [planned, naive] {
                let images = exe.inputBuffer(ResNetTraining.imagesInput)!.assumingMemoryBound(to: Float.self)
                let labels = exe.inputBuffer(ResNetTraining.labelsInput)!.assumingMemoryBound(to: Int32.self)
                data.batch(from: step * 4, count: 4, images: images, labels: labels)
                exe.inputBuffer(TrainStep.learningRateInput)!.storeBytes(of: Float(0.05), as: Float.self)
                try exe.run()
                losses.append(exe.scalarOutput("loss")!)
            }
            #expect(Swift.abs(losses[0] - losses[1]) <= 1e-5 * Swift.max(1, Swift.abs(losses[1])), "step \(step): \(losses)")
        }
        let name = "layer1.0.conv1.weight"
        let a = planned.state(name)!.data, b = naive.state(name)!.data
        #expect(zip(a, b).allSatisfy { Swift.abs($0 - $1) <= 1e-5 })
    }
}
