// Reading a fine-tuning checkpoint (`FineTuneRun.saveCheckpoint`) back as a ready detector: the configuration
// stored in its metadata rebuilds the model through DetectorFactory, and every model parameter and buffer is
// loaded strictly (optimizer slots and step counters in the file are ignored).

import Foundation
import Kiln

public enum DetectorCheckpoint {
    /// The configuration and the detector, with the checkpoint's weights, of the file at `url`.
    public static func load(_ url: URL) throws -> (configuration: FineTuneConfiguration, detector: any Detector) {
        let (tensors, metadata) = try SafeTensors.read(url)
        guard metadata["kiln"] == "detector-checkpoint", let json = metadata["configuration"] else {
            throw FineTuneError("\(url.path): not a detector checkpoint written by `zoo finetune` (metadata 'kiln' / 'configuration' missing)")
        }
        let configuration: FineTuneConfiguration
        do {
            configuration = try JSONDecoder().decode(FineTuneConfiguration.self, from: Data(json.utf8))
        } catch {
            throw FineTuneError("\(url.path): metadata 'configuration' cannot be read (\(error))")
        }
        let detector = try DetectorFactory.make(configuration)
        _ = try Checkpoint.apply(tensors, file: url.path, to: detector, strict: true)
        return (configuration, detector)
    }
}
