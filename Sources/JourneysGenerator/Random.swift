#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// SplitMix64: a tiny generator used to seed others and to derive independent seeds.
///
/// Its output is fixed by the algorithm alone (no process seed, no platform source), which
/// is what keeps `journeys generate` byte-identical across runs and machines.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    public var state: UInt64

    public init(seed: UInt64) { state = seed }

    @inline(__always)
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A well-mixed 64-bit value from two inputs (e.g. a seed and a person index).
    @inline(__always)
    public static func mix(_ a: UInt64, _ b: UInt64) -> UInt64 {
        var s = SplitMix64(seed: a ^ (b &* 0xD1B5_4A32_D192_ED03))
        _ = s.next()
        return s.next()
    }
}

/// xoshiro256**: the generator behind every random choice of the data generator.
public struct Xoshiro256: RandomNumberGenerator, Sendable {
    var s0, s1, s2, s3: UInt64

    public init(seed: UInt64) {
        var sm = SplitMix64(seed: seed)
        s0 = sm.next(); s1 = sm.next(); s2 = sm.next(); s3 = sm.next()
    }

    @inline(__always)
    public mutating func next() -> UInt64 {
        let result = ((s1 &* 5) << 7 | (s1 &* 5) >> 57) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = s3 << 45 | s3 >> 19
        return result
    }

    /// A uniform integer in `0..<n` (Lemire's multiply-high; the tiny bias does not matter here).
    @inline(__always)
    public mutating func below(_ n: Int) -> Int {
        precondition(n > 0)
        return Int(UInt64(n).multipliedFullWidth(by: next()).high)
    }

    /// A uniform integer in the closed range.
    @inline(__always)
    public mutating func int(_ r: ClosedRange<Int>) -> Int { r.lowerBound + below(r.count) }

    /// A uniform double in [0, 1).
    @inline(__always)
    public mutating func unit() -> Double { Double(next() >> 11) * 0x1p-53 }

    @inline(__always)
    public mutating func chance(_ p: Double) -> Bool { unit() < p }

    /// An exponentially distributed value with the given mean.
    public mutating func exponential(mean: Double) -> Double { -mean * log(1 - unit()) }

    /// A log-uniform value between `lo` and `hi` (both > 0): many short, some long.
    public mutating func logUniform(_ lo: Double, _ hi: Double) -> Double { lo * pow(hi / lo, unit()) }

    /// An index chosen with the given weights (they need not sum to 1).
    public mutating func weighted(_ w: [Double]) -> Int {
        var total = 0.0
        for x in w { total += x }
        var r = unit() * total
        for (i, x) in w.enumerated() {
            if r < x { return i }
            r -= x
        }
        return w.count - 1
    }

    /// A random element.
    @inline(__always)
    public mutating func pick<T>(_ a: [T]) -> T { a[below(a.count)] }
}
