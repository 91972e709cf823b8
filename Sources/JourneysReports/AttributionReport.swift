import JourneysCore
import JourneysStages

/// `attribution.csv`: credit for each order, and its revenue, to acquisition channels, under
/// each model of `JourneyConfig.attributionModels` (rows in that model order, then by channel).
///
/// Every order is one conversion. Its touches are the person's sessions that start at or before
/// the order and no more than `lookbackMs` before it, in start order; an order without a touch
/// is credited wholly to `(none)`. The models split one conversion over the touches:
/// - `first_touch` / `last_touch`: all to the first / last touch;
/// - `last_non_direct`: all to the last touch whose channel is not `direct` (the last touch
///   when every one is direct);
/// - `linear`: equal shares;
/// - `time_decay`: weight 2^(−Δt / half-life), Δt = order time − session start, normalised;
/// - `position_based` (40/20/40): one touch 100 %; two 50/50; more: 40 % first, 40 % last and
///   20 % split evenly over the middle ones.
/// A channel's revenue is the sum over orders of value (in cents, `Order.cents`) × its share.
/// Rows list the channels a model credited.
///
/// Credit is counted exactly, so it is the same whatever order journeys come in and however
/// partial reports are merged: each order's shares are whole units of 1/`unitsPerConversion`
/// of a conversion that add up to one conversion (rounded by largest remainder, ties to the
/// earlier touch), and a share of revenue is the order's cents × its units. Only the written
/// rows are rounded, once: conversions to 4 decimals and revenue to 2, by largest remainder
/// (ties to the earlier channel), so that each model's conversions add up to exactly the number
/// of orders and its revenue to exactly the total revenue.
public struct AttributionReport: JourneyAggregate {
    public static let name = "attribution"
    public static let columns = ["model", "channel", "conversions", "revenue"]
    /// The channel group that `last_non_direct` passes over.
    public static let directChannel = "direct"

    /// A session that may take credit for an order.
    public struct Touch: Sendable, Equatable {
        public var channel: String
        public var time: Int64
        public init(channel: String, time: Int64) {
            self.channel = channel
            self.time = time
        }
    }

    public struct Row: Sendable, Equatable {
        public var model: AttributionModel
        public var channel: String
        /// In ten-thousandths of a conversion and in cents, rounded as written.
        public var conversions: Int128
        public var revenue: Int128
    }

    /// The units of one conversion that credit is counted in: 10,000 (the written places) ×
    /// lcm(1 … 22), so that the equal shares of linear and position based credit over up to 22
    /// touches are whole units, exact (1/3 of a conversion is 7,759,752,000,000 units).
    public static let unitsPerConversion: Int128 = 10_000 * 232_792_560

    /// A channel's credit under one model: conversions in units (`unitsPerConversion`), revenue
    /// in units of 1/`unitsPerConversion` of a cent.
    struct Credit: Sendable {
        var conversions: Int128 = 0
        var revenue: Int128 = 0
    }

    private let models: [AttributionModel]
    private let lookbackMs: Int64
    private let halfLifeMs: Int64
    /// Per model, each channel's credit so far.
    private var credit: [[String: Credit]]
    private var orders = 0
    /// In cents.
    private var total: Int128 = 0

    public init(config: JourneyConfig) {
        models = config.attributionModels
        lookbackMs = config.lookbackMs
        halfLifeMs = config.timeDecayHalfLifeMs
        credit = [[String: Credit]](repeating: [:], count: models.count)
    }

    public mutating func add(_ j: Journey) {
        let sessions = j.sessionsInOrder
        for o in j.orders {
            let cents = o.cents
            orders += 1
            total += cents
            let touches = Self.touches(sessions, before: o.time, lookbackMs: lookbackMs)
            for (m, model) in models.enumerated() {
                if touches.isEmpty {
                    credit[m][noChannel, default: Credit()].conversions += Self.unitsPerConversion
                    credit[m][noChannel]!.revenue += cents * Self.unitsPerConversion
                    continue
                }
                let w = Self.weights(model, touches: touches, conversionTime: o.time, halfLifeMs: halfLifeMs)
                let units = Self.apportion(w.map { $0 * Double(Self.unitsPerConversion) }, total: Self.unitsPerConversion)
                for (t, u) in zip(touches, units) where u > 0 {
                    credit[m][t.channel, default: Credit()].conversions += u
                    credit[m][t.channel]!.revenue += cents * u
                }
            }
        }
    }

    public mutating func merge(_ other: Self) {
        precondition(models == other.models, "merged reports have the same models")
        orders += other.orders
        total += other.total
        for m in models.indices {
            credit[m].merge(other.credit[m]) { a, b in Credit(conversions: a.conversions + b.conversions, revenue: a.revenue + b.revenue) }
        }
    }

    /// Rounded so that each model's conversions and revenue add up (see the type's description).
    public var rows: [Row] {
        var rows: [Row] = []
        for (m, model) in models.enumerated() {
            let channels = credit[m].keys.sorted()
            let c = Self.apportion(channels.map { credit[m][$0]!.conversions }, unit: Self.unitsPerConversion / 10_000,
                                   total: Int128(orders) * 10_000)
            let r = Self.apportion(channels.map { credit[m][$0]!.revenue }, unit: Self.unitsPerConversion, total: total)
            for (i, ch) in channels.enumerated() {
                rows.append(Row(model: model, channel: ch, conversions: c[i], revenue: r[i]))
            }
        }
        return rows
    }

    public var table: Table {
        Table(columns: Self.columns, rows: rows.map {
            [.text($0.model.rawValue), .text($0.channel), .fixed($0.conversions, places: 4), .money($0.revenue)]
        })
    }

    /// The touches of an order at `time`: sessions (in start order) that start in
    /// [time − lookbackMs, time].
    public static func touches(_ sessions: [Session], before time: Int64, lookbackMs: Int64) -> [Touch] {
        sessions.filter { $0.start <= time && time - $0.start <= lookbackMs }.map { Touch(channel: $0.channel, time: $0.start) }
    }

    /// Each touch's share of one conversion under `model`; the shares add up to 1 (for at
    /// least one touch).
    public static func weights(_ model: AttributionModel, touches: [Touch], conversionTime: Int64, halfLifeMs: Int64) -> [Double] {
        let n = touches.count
        guard n > 0 else { return [] }
        var w = [Double](repeating: 0, count: n)
        switch model {
        case .firstTouch: w[0] = 1
        case .lastTouch: w[n - 1] = 1
        case .lastNonDirect: w[touches.lastIndex { $0.channel != directChannel } ?? n - 1] = 1
        case .linear: w = w.map { _ in 1 / Double(n) }
        case .timeDecay:
            let halfLife = Double(max(halfLifeMs, 1))
            w = touches.map { exp2(-Double(max(conversionTime - $0.time, 0)) / halfLife) }
            let sum = w.reduce(0, +)
            w = w.map { $0 / sum }
        case .positionBased:
            switch n {
            case 1: w[0] = 1
            case 2: w[0] = 0.5; w[1] = 0.5
            default:
                for i in 1..<(n - 1) { w[i] = 0.2 / Double(n - 2) }
                w[0] = 0.4; w[n - 1] = 0.4
            }
        }
        return w
    }

    /// Integer parts of `shares` (already scaled to units) that add up to `total`: each share
    /// rounded down, then the units still missing go one each to the largest remainders (ties
    /// to the earlier share); units in excess are taken from the smallest remainders. Shares
    /// are finite (weights of touches).
    static func apportion(_ shares: [Double], total: Int128) -> [Int128] {
        let units = shares.map { Int128($0.rounded(.down)) }
        return apportion(units, rests: zip(shares, units).map { $0 - Double($1) }, total: total)
    }

    /// `shares`, in units of 1/`unit`, as whole units that add up to `total`, as the other
    /// `apportion` does. `Int128`, because the cents of 100,000 orders at the largest value
    /// (`NumberRange.value`) are over `Int64.max`.
    static func apportion(_ shares: [Int128], unit: Int128, total: Int128) -> [Int128] {
        let parts = shares.map { Fixed.floorDivision($0, unit) }
        return apportion(parts.map(\.quotient), rests: parts.map(\.rest), total: total)
    }

    /// `units` (shares rounded down) plus or minus one each where they are furthest from their
    /// share (`rests`, what rounding down left), so that they add up to `total`.
    private static func apportion<Rest: Comparable>(_ units: [Int128], rests rest: [Rest], total: Int128) -> [Int128] {
        guard !units.isEmpty else { return [] }
        var units = units
        var missing = total - units.reduce(0, +)
        let byRest = units.indices.sorted { (rest[$0], $1) > (rest[$1], $0) } // largest first, earlier first on ties
        var k = 0
        while missing > 0 { units[byRest[k % byRest.count]] += 1; missing -= 1; k += 1 }
        k = 0
        while missing < 0 { units[byRest[byRest.count - 1 - k % byRest.count]] -= 1; missing += 1; k += 1 }
        return units
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
