// Weighted cosine kNN on problems with known answers: well-separated directions are classified perfectly, the
// exp(s/τ) weights let one very similar neighbour outvote two weak ones at τ 0.07 but not at a large τ, and the
// feature-matrix normalisations behave.

import Foundation
import Kiln
import KilnZoo
import Testing

@Suite("kNN evaluation")
struct KNNTests {
    /// Points around three directions 120° apart in the first two of four dimensions (label = direction).
    static func directions(perClass: Int, seed: UInt64) -> (FeatureMatrix, [Int]) {
        var rng = RandomStream(seed: seed)
        var values: [Float] = [], labels: [Int] = []
        for i in 0..<(3 * perClass) {
            let label = i % 3
            let angle = Double(label) * 2 * Double.pi / 3
            let radius = 1 + rng.uniform(0, 4)       // cosine ignores the length
            values += [Float(radius * cos(angle) + rng.normal(std: 0.1)), Float(radius * sin(angle) + rng.normal(std: 0.1)),
                       Float(rng.normal(std: 0.1)), Float(rng.normal(std: 0.1))]
            labels.append(label)
        }
        return (FeatureMatrix(rows: labels.count, columns: 4, values: values), labels)
    }

    @Test("separated clusters are classified perfectly", arguments: [1, 5, 200])
    func clusters(k: Int) throws {
        let (gallery, galleryLabels) = Self.directions(perClass: 20, seed: 1)
        let (queries, queryLabels) = Self.directions(perClass: 10, seed: 2)
        let predictions = try KNNClassifier(k: k, temperature: 0.07, classes: 3)
            .predict(queries: queries, gallery: gallery, galleryLabels: galleryLabels)
        #expect(predictions == queryLabels)
        #expect(topOneAccuracy(predictions, queryLabels) == 1)
    }

    @Test("one close neighbour outvotes two far ones at τ 0.07; at τ 100 the majority wins")
    func weighting() throws {
        // Query (1, 0); gallery: class 0 at cos 0.99, class 1 twice at cos 0.5, class 2 at cos -1 (not in the top 3).
        let angle = { (c: Double) in [Float(c), Float((1 - c * c).squareRoot())] }
        let gallery = FeatureMatrix(rows: 4, columns: 2, values: angle(0.99) + angle(0.5) + angle(0.5) + [-1, 0])
        let query = FeatureMatrix(rows: 1, columns: 2, values: [1, 0])
        let labels = [0, 1, 1, 2]
        #expect(try KNNClassifier(k: 3, temperature: 0.07, classes: 3).predict(queries: query, gallery: gallery, galleryLabels: labels) == [0])
        #expect(try KNNClassifier(k: 3, temperature: 100, classes: 3).predict(queries: query, gallery: gallery, galleryLabels: labels) == [1])
        #expect(try KNNClassifier(k: 1, temperature: 100, classes: 3).predict(queries: query, gallery: gallery, galleryLabels: labels) == [0])
        #expect(throws: AnalysisError.self) {
            try KNNClassifier(k: 3, classes: 2).predict(queries: query, gallery: gallery, galleryLabels: labels)
        }
    }

    @Test("accuracy counts matches")
    func accuracy() {
        #expect(topOneAccuracy([0, 1, 2, 2], [0, 1, 1, 2]) == 0.75)
        #expect(topOneAccuracy([], []) == 0)
    }

    @Test("L2 rows and standardised columns")
    func normalizations() {
        let m = FeatureMatrix(rows: 3, columns: 2, values: [3, 4, 0, 0, 1, 10])
        #expect(m.l2Normalized().values == [0.6, 0.8, 0, 0, Float(1 / 101.0.squareRoot()), Float(10 / 101.0.squareRoot())])
        let (mean, std) = m.columnStatistics()
        #expect(Swift.abs(mean[0] - 4 / 3) < 1e-6 && Swift.abs(mean[1] - 14 / 3) < 1e-6)
        let z = m.standardized(mean: mean, std: std)
        let (zm, zs) = z.columnStatistics()
        #expect(zm.allSatisfy { Swift.abs($0) < 1e-6 } && zs.allSatisfy { Swift.abs($0 - 1) < 1e-5 })
        #expect(m.selecting([2, 0]).values == [1, 10, 3, 4])
    }
}
