// Small vectorised helpers over raw float pointers shared by the kernels: unaligned SIMD16 loads and stores,
// copy, fill, accumulate and scale of short runs. Internal: hot loops inline them.

@inline(__always)
func load16(_ p: UnsafePointer<Float>) -> SIMD16<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD16<Float>.self)
}

@inline(__always)
func load16(_ p: UnsafeMutablePointer<Float>) -> SIMD16<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD16<Float>.self)
}

@inline(__always)
func store16(_ v: SIMD16<Float>, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD16<Float>.self)
}

@inline(__always)
func load8(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
}

@inline(__always)
func store8(_ v: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD8<Float>.self)
}

/// dst[0..<count] = src[0..<count] (the ranges must not overlap).
@inline(__always)
func copyFloats(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, _ count: Int) {
    var i = 0
    while i + 16 <= count {
        store16(load16(src + i), dst + i)
        i += 16
    }
    while i < count {
        dst[i] = src[i]
        i += 1
    }
}

/// dst[0..<count] = 0.
@inline(__always)
func zeroFloats(_ dst: UnsafeMutablePointer<Float>, _ count: Int) {
    var i = 0
    while i + 16 <= count {
        store16(SIMD16<Float>(repeating: 0), dst + i)
        i += 16
    }
    while i < count {
        dst[i] = 0
        i += 1
    }
}

/// dst[0..<count] += src[0..<count].
@inline(__always)
func accumulateFloats(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, _ count: Int) {
    var i = 0
    while i + 16 <= count {
        store16(load16(dst + i) + load16(src + i), dst + i)
        i += 16
    }
    while i < count {
        dst[i] += src[i]
        i += 1
    }
}

/// Fills `count` floats with zeros using the pool for large buffers.
func zeroFloats(_ dst: UnsafeMutablePointer<Float>, count: Int, pool: ThreadPool) {
    pool.parallelChunks(count, minChunk: 1 << 16) { range in
        zeroFloats(dst + range.lowerBound, range.count)
    }
}
