import Testing
import JourneysCore
import JourneysStages
@testable import JourneysReports

/// Reports as accumulators: journeys added to several partial reports, in any order, and the
/// partial reports merged in any order, write the same bytes as one report fed everything.
@Suite struct MergeTests {
    let config = JourneyConfig()

    /// A small deterministic generator (SplitMix64), so every run tries the same splits.
    struct Random {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
        mutating func pick<T>(_ xs: [T]) -> T { xs[below(xs.count)] }
        mutating func shuffle<T>(_ xs: inout [T]) {
            for i in xs.indices.dropLast().reversed() { xs.swapAt(i, i + 1 + below(xs.count - i - 1)) }
        }
    }

    /// 400 persons with up to 6 sessions over a month, touchpoints on every channel, stages
    /// reached at any millisecond (some out of order), pain points, survey scores, and up to 3
    /// orders each: refunds, cents, and values near the largest a reader accepts (1e12), whose
    /// sums need more than a `Double`'s 53 bits to keep their cents. Linear, time decay and
    /// position based credit splits an order in thirds, sevenths …, which a `Double` cannot hold.
    func journeys(values: [Double]) -> [Journey] {
        var r = Random(state: 2026)
        let groups = ["direct", "email", "organic_search", "paid_search", "referral", "display"]
        let kinds = PainKind.allCases
        return (0..<400).map { i in
            let n = r.below(7)
            var t = at(1, 0) + Int64(r.below(20)) * day
            var sessions: [Session] = []
            var tps: [Touchpoint] = []
            for s in 0..<n {
                t += Int64(1 + r.below(5 * 24)) * hour + Int64(r.below(3_600_000))
                sessions.append(Session(start: t, end: t, channel: r.pick(groups), first: s, count: 1))
                tps.append(tp(t, r.pick([.web, .web, .email, .chat])))
            }
            let orders: [Order] = n == 0 ? [] : (0..<r.below(4)).map { _ in
                let s = r.below(n)
                return Order(time: sessions[s].start + Int64(r.below(2)) * hour, value: r.pick(values), currency: "EUR", touchpoint: s, session: s)
            }
            let base = at(1, 0) + Int64(r.below(30)) * day
            let stageTimes: [Int64?] = (0..<6).map { _ in r.below(3) == 0 ? nil : base + Int64(r.below(72 * 3_600_000)) }
            let pains = (0..<r.below(3)).map { _ in
                PainPoint(kind: r.pick(kinds), stage: r.pick(["", "awareness", "decision", "purchase"]), time: t, touchpoint: 0)
            }
            let nps: Double? = r.below(2) == 0 ? nil : Double(r.below(11))
            return Journey(personID: "p\(1000 + i)", customerID: nil, touchpoints: tps, sessions: sessions,
                           stageTimes: stageTimes, orders: orders, painPoints: pains, nps: nps)
        }
    }

    /// Every table in CSV and JSON, and `summary.json`, by file name.
    func written(_ all: Reports.Aggregates) -> [String: [UInt8]] {
        var out: [String: [UInt8]] = ["summary.json": all.summary.encode()]
        for kind in ReportKind.allCases {
            guard let table = all.table(kind) else { continue }
            out[kind.fileName(.csv)] = CSVWriter.encode(table)
            out[kind.fileName(.json)] = JSONWriter.encode(table)
        }
        return out
    }

    /// The first line of each file where `got` differs from `want` (empty when they are equal).
    func differences(_ got: [String: [UInt8]], _ want: [String: [UInt8]]) -> [String] {
        want.keys.sorted().compactMap { name -> String? in
            guard got[name] != want[name] else { return nil }
            let a = String(decoding: got[name] ?? [], as: UTF8.self).split(whereSeparator: \.isNewline)
            let b = String(decoding: want[name]!, as: UTF8.self).split(whereSeparator: \.isNewline)
            let i = a.indices.first { $0 >= b.count || a[$0] != b[$0] } ?? a.count
            return "\(name) line \(i + 1): \(i < a.count ? String(a[i]) : "(none)") instead of \(i < b.count ? String(b[i]) : "(none)")"
        }
    }

    /// Order values: everyday ones (cents, refunds), and with them values near the largest a
    /// reader accepts (1e12).
    static let everyday = [0.1, 0.2, 0.7, 19.99, 33.33, 0.01, -5.55, 1, 250]
    static let large = everyday + [999_999_999_999.99, 123_456_789_012.34, 1e12]

    @Test(arguments: [everyday, large]) func anySplitAndMergeOrderWritesTheSameBytes(values: [Double]) {
        let js = journeys(values: values)
        var one = Reports.Aggregates(config: config)
        for j in js { one.add(j) }
        let want = written(one)
        #expect(want.count == 13)

        var r = Random(state: 7)
        for k in [1, 2, 3, 5, 8] {
            for trial in 0..<4 {
                // Shuffle the persons, cut them into k parts (some may be empty), feed one report per part.
                var shuffled = js
                r.shuffle(&shuffled)
                var cuts = (0..<(k - 1)).map { _ in r.below(js.count + 1) }.sorted()
                cuts = [0] + cuts + [js.count]
                var parts = (0..<k).map { p in
                    var a = Reports.Aggregates(config: config)
                    for j in shuffled[cuts[p]..<cuts[p + 1]] { a.add(j) }
                    return a
                }
                // Merge two parts picked at random until one is left.
                while parts.count > 1 {
                    let i = r.below(parts.count)
                    let other = parts.remove(at: i)
                    parts[r.below(parts.count)].merge(other)
                }
                let diff = differences(written(parts[0]), want)
                #expect(diff.isEmpty, "\(k) parts, trial \(trial): \(diff)")
            }
        }
    }
}
