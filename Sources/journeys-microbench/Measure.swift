import CAllocCount

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// What one run of a benchmark's body went through.
struct Work {
    /// Uncompressed input bytes.
    var bytes: Int = 0
    var lines: Int = 0
    /// Touchpoints emitted (or taken in, for stitching); nil where it does not apply.
    var touchpoints: Int?
}

/// One row of the report.
struct Row {
    var name: String
    var input: String
    var work: Work
    /// Median wall seconds of the timed runs.
    var wall: Double
    /// Median CPU seconds of this thread over the timed runs.
    var cpu: Double
    /// Heap allocations of one extra, counted run (nil when counting is unavailable).
    var allocations: UInt64?
}

enum Clock {
    static func seconds(_ id: clockid_t) -> Double {
        var ts = timespec()
        clock_gettime(id, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
    }
    static var wall: Double { seconds(CLOCK_MONOTONIC) }
    static var threadCPU: Double { seconds(CLOCK_THREAD_CPUTIME_ID) }
}

enum Allocations {
    /// Runs `body` with allocation counting on and returns how many allocations it made.
    static func count<T>(_ body: () -> T) -> (T, UInt64) {
        journeys_alloc_count_reset()
        journeys_alloc_count_enable(1)
        let r = body()
        journeys_alloc_count_enable(0)
        return (r, journeys_alloc_count_read().allocations)
    }

    /// Checks that the counter sees allocations of the Swift runtime (the interposed malloc is
    /// the one the process uses): returns the allocations counted for one new Swift array, made
    /// after a first one has paid for the runtime's one-time work (type metadata). Expect 1.
    static func selfCheck() -> UInt64 {
        guard journeys_alloc_count_supported() != 0 else { return 0 }
        let size = CommandLine.arguments.count + 1000
        var n: UInt64 = 0
        for _ in 0..<2 {
            (_, n) = count { () -> Int in
                let a = makeArray(size)
                escape(a)
                return a.count
            }
        }
        return n
    }

    @inline(never) static func makeArray(_ n: Int) -> [Int] { [Int](repeating: 1, count: n) }
    @inline(never) static func escape(_ a: [Int]) { sink = a; sink = [] }
    nonisolated(unsafe) static var sink: [Int] = []
}

func median(_ xs: [Double]) -> Double {
    let s = xs.sorted()
    guard !s.isEmpty else { return 0 }
    return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
}

/// Runs `body` once to warm up, `reps` times timed (counting off), then once more with
/// allocation counting on.
func measure(_ name: String, input: String, reps: Int, countAllocations: Bool, _ body: () -> Work) -> Row {
    _ = body()
    var walls: [Double] = []
    var cpus: [Double] = []
    var work = Work()
    for _ in 0..<max(1, reps) {
        let w0 = Clock.wall, c0 = Clock.threadCPU
        work = body()
        let c1 = Clock.threadCPU, w1 = Clock.wall
        walls.append(w1 - w0)
        cpus.append(c1 - c0)
    }
    var allocations: UInt64?
    if countAllocations {
        let (_, n) = Allocations.count(body)
        allocations = n
    }
    return Row(name: name, input: input, work: work, wall: median(walls), cpu: median(cpus), allocations: allocations)
}
