// Scalar libm functions under names that do not collide with VMath's or the kernels' own helpers.

import Foundation

@inline(__always) func Foundation_exp(_ x: Double) -> Double { Foundation.exp(x) }
@inline(__always) func Foundation_log(_ x: Double) -> Double { Foundation.log(x) }
