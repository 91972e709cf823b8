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
/// A channel's revenue is the sum over orders of value × its share. Rows list the channels a
/// model credited. Conversions have 4 decimals and revenue 2; they are rounded by largest
/// remainder so that, as written, each model's conversions add up to exactly the number of
/// orders and its revenue to exactly the total revenue.
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
        /// Rounded to 4 and 2 places as written.
        public var conversions: Double
        public var revenue: Double
    }

    private let models: [AttributionModel]
    private let lookbackMs: Int64
    private let halfLifeMs: Int64
    /// Per model, each channel's credit so far.
    private var credit: [[String: (conversions: Double, revenue: Double)]]
    private var orders = 0
    private var total = 0.0

    public init(config: JourneyConfig) {
        models = config.attributionModels
        lookbackMs = config.lookbackMs
        halfLifeMs = config.timeDecayHalfLifeMs
        credit = [[String: (conversions: Double, revenue: Double)]](repeating: [:], count: models.count)
    }

    public mutating func add(_ j: Journey) {
        let sessions = j.sessionsInOrder
        for o in j.orders {
            orders += 1
            total += o.value
            let touches = Self.touches(sessions, before: o.time, lookbackMs: lookbackMs)
            for (m, model) in models.enumerated() {
                if touches.isEmpty {
                    credit[m][noChannel, default: (0, 0)].conversions += 1
                    credit[m][noChannel]!.revenue += o.value
                    continue
                }
                let w = Self.weights(model, touches: touches, conversionTime: o.time, halfLifeMs: halfLifeMs)
                for (t, share) in zip(touches, w) where share > 0 {
                    credit[m][t.channel, default: (0, 0)].conversions += share
                    credit[m][t.channel]!.revenue += share * o.value
                }
            }
        }
    }

    /// Rounded so that each model's conversions and revenue add up (see the type's description).
    public var rows: [Row] {
        let conversionUnits = Int128(orders) * 10_000
        let revenueUnits = Fixed.units(total, places: 2)
        var rows: [Row] = []
        for (m, model) in models.enumerated() {
            let channels = credit[m].keys.sorted()
            let c = Self.apportion(channels.map { credit[m][$0]!.conversions * 10_000 }, total: conversionUnits)
            let r = Self.apportion(channels.map { credit[m][$0]!.revenue * 100 }, total: revenueUnits)
            for (i, ch) in channels.enumerated() {
                rows.append(Row(model: model, channel: ch, conversions: Double(c[i]) / 10_000, revenue: Double(r[i]) / 100))
            }
        }
        return rows
    }

    public var table: Table {
        Table(columns: Self.columns, rows: rows.map {
            [.text($0.model.rawValue), .text($0.channel), .rate($0.conversions), .money($0.revenue)]
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
    /// to the earlier share); units in excess are taken from the smallest remainders. `Int128`,
    /// because the cents of 100,000 orders at the largest value (`NumberRange.value`) are over
    /// `Int64.max`; shares are finite (values are range-checked when read).
    static func apportion(_ shares: [Double], total: Int128) -> [Int128] {
        guard !shares.isEmpty else { return [] }
        var units = shares.map { Int128($0.rounded(.down)) }
        let rest = zip(shares, units).map { $0 - Double($1) }
        var missing = total - units.reduce(0, +)
        let byRest = shares.indices.sorted { (rest[$0], $1) > (rest[$1], $0) } // largest first, earlier first on ties
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
