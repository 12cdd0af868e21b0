// Simplify on a real training graph: the ResNet-18 train step (forward, autodiff, SGD with momentum and weight
// decay, BN statistics) must get smaller and compute the same loss and updates in the reference interpreter.

import Foundation
import KilnIR
import KilnPasses
import KilnZoo
import Testing

@Suite("Simplify on ResNet-18 training")
struct ResNetSimplifyTests {
    @Test("resnet18-train gets smaller under simplify and computes the same step")
    func resnet18Train() throws {
        let before = try Workload.resnet18Train.graph(batch: 2, size: 32)
        let after = try Pipeline([Simplify()], environment: [:]).run(before)
        let histogram = { (g: Graph) in Dictionary(grouping: g.nodes, by: \.op).mapValues(\.count) }
        let hb = histogram(before), ha = histogram(after)
        let changed = Set(hb.keys).union(ha.keys).sorted().filter { hb[$0] != ha[$0] }
            .map { "\($0) \(hb[$0, default: 0])→\(ha[$0, default: 0])" }
        print("resnet18-train (batch 2, 32×32): \(before.nodes.count) nodes before simplify, \(after.nodes.count) after;",
              changed.joined(separator: ", "))
        #expect(after.nodes.count < before.nodes.count)
        #expect(after.outputs.map(\.name) == before.outputs.map(\.name))
        #expect(after.assignments.count == before.assignments.count)

        let problems = try Equivalence.mismatches(before, after, seed: 3)
        #expect(problems.isEmpty, "\(problems.prefix(5).joined(separator: "; "))")
    }
}
