import JourneysCore
import JourneysStages

/// The label of "no session / no touch" in channel columns (`channels.csv`, `attribution.csv`,
/// `paths.csv`): it starts with `(` so it sorts before every channel group name.
public let noChannel = "(none)"

extension Journey {
    /// Time of the earliest order.
    public var firstPurchaseTime: Int64? { orders.lazy.map(\.time).min() }

    /// Sessions in start order (ties keep their index order). The model keeps them in order
    /// already; reports do not rely on it.
    public var sessionsInOrder: [Session] {
        var ordered = true
        for i in sessions.indices.dropFirst() where sessions[i].start < sessions[i - 1].start { ordered = false; break }
        if ordered { return sessions }
        return sessions.enumerated().sorted { ($0.element.start, $0.offset) < ($1.element.start, $1.offset) }.map(\.element)
    }

    /// The acquisition channel of the first session, `(none)` without sessions.
    public var firstTouchChannel: String { sessionsInOrder.first?.channel ?? noChannel }

    /// The touchpoint channel of a session's first touchpoint, nil when the model does not know it.
    public func touchpointChannel(of session: Session) -> Channel? { session.firstChannel }

    /// The value of all orders in cents (see `Order.cents`).
    public var revenueCents: Int128 { orders.reduce(0) { $0 + $1.cents } }
}

extension Order {
    /// The value in cents, rounded half away from zero as money is written (12.345 is 1235):
    /// the reports add cents, so every sum of money is exact, in any order.
    public var cents: Int128 { Fixed.units(value, places: 2) }
}

/// How many times each value was seen: the median of many values in memory that grows with
/// the distinct values, merged by adding counts.
struct Histogram: Sendable {
    private(set) var counts: [Int64: Int] = [:]
    private(set) var total = 0

    mutating func add(_ v: Int64) {
        counts[v, default: 0] += 1
        total += 1
    }

    mutating func merge(_ other: Histogram) {
        counts.merge(other.counts, uniquingKeysWith: +)
        total += other.total
    }

    /// The median (mean of the two middle values for an even count), nil when empty.
    var median: Double? {
        guard total > 0 else { return nil }
        let (low, high) = ((total - 1) / 2, total / 2) // ranks of the middle values, from 0
        var seen = 0
        var lowValue: Int64?
        for v in counts.keys.sorted() {
            seen += counts[v]!
            if lowValue == nil, seen > low { lowValue = v }
            if seen > high { return (Double(lowValue!) + Double(v)) / 2 }
        }
        return nil
    }
}

/// `a / b`, nil when `b` is zero.
func ratio(_ a: Int, _ b: Int) -> Double? { b == 0 ? nil : Double(a) / Double(b) }

let millisPerHour = 3_600_000.0
