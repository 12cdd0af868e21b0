// The error type of the analysis tools (backbone export, attention maps, retrieval, kNN and linear evaluation):
// bad user input — an unreadable checkpoint, tensors that are not a ResNet, an empty image list — as one line.

/// A problem with the input of an analysis tool; `description` names the file or option at fault.
public struct AnalysisError: Error, CustomStringConvertible {
    public var description: String
    public init(_ message: String) { description = message }
}
