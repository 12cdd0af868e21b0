// Test tags of the model-zoo tests and the `KILN_SLOW` switch for long runs (training to a target).

import Foundation
import Testing

extension Tag {
    /// Long tests (training runs); they run only with `KILN_SLOW=1`.
    @Tag static var slow: Self
}

/// True when the environment asks for slow tests (`KILN_SLOW=1`).
let slowTestsEnabled = ProcessInfo.processInfo.environment["KILN_SLOW"] == "1"
