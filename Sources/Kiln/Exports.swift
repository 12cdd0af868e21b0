// `import Kiln` is all a user writes: the IR types, ops, passes and runtime come along.

@_exported import KilnIR
@_exported import KilnKernels
@_exported import KilnOps
@_exported import KilnPasses
@_exported import KilnRuntime
