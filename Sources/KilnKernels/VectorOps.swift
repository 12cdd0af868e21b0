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

@inline(__always)
func load4(_ p: UnsafePointer<Float>) -> SIMD4<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD4<Float>.self)
}

@inline(__always)
func store4(_ v: SIMD4<Float>, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD4<Float>.self)
}

/// dst[0..<count] = src[0..<count] (the ranges must not overlap). Short runs (im2col copies 3–21 floats per
/// tap) are done with two overlapping vector moves instead of a scalar tail.
@inline(__always)
func copyFloats(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, _ count: Int) {
    if count >= 16 {
        var i = 0
        while i + 16 <= count {
            store16(load16(src + i), dst + i)
            i += 16
        }
        if i < count { store16(load16(src + count - 16), dst + count - 16) }
    } else if count >= 8 {
        let head = load8(src), tail = load8(src + count - 8)
        store8(head, dst)
        store8(tail, dst + count - 8)
    } else if count >= 4 {
        let head = load4(src), tail = load4(src + count - 4)
        store4(head, dst)
        store4(tail, dst + count - 4)
    } else {
        for i in 0..<count { dst[i] = src[i] }
    }
}

/// dst[0..<count] = 0.
@inline(__always)
func zeroFloats(_ dst: UnsafeMutablePointer<Float>, _ count: Int) {
    if count >= 16 {
        var i = 0
        while i + 16 <= count {
            store16(SIMD16<Float>(), dst + i)
            i += 16
        }
        if i < count { store16(SIMD16<Float>(), dst + count - 16) }
    } else if count >= 8 {
        store8(SIMD8<Float>(), dst)
        store8(SIMD8<Float>(), dst + count - 8)
    } else if count >= 4 {
        store4(SIMD4<Float>(), dst)
        store4(SIMD4<Float>(), dst + count - 4)
    } else {
        for i in 0..<count { dst[i] = 0 }
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
    while i + 4 <= count {
        store4(load4(dst + i) + load4(src + i), dst + i)
        i += 4
    }
    while i < count {
        dst[i] += src[i]
        i += 1
    }
}

/// Fills `count` floats with zeros using the pool for large buffers.
func zeroFloats(_ dst: UnsafeMutablePointer<Float>, count: Int, pool: ThreadPool) {
    pool.parallelChunks(count, minChunk: 1 << 16, dst) { dst, range in
        zeroFloats(dst + range.lowerBound, range.count)
    }
}
