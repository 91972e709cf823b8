import JourneysCore
import JourneysStages

/// `daily.csv`: activity per day (in the pipeline's `timezone`, UTC by default) and touchpoint channel (`web`, `email`, `chat`), sorted by
/// date, then channel.
///
/// `touchpoints` that day on that channel; `persons` with at least one of them; `sessions` that
/// start that day and whose first touchpoint is on that channel; `orders` whose touchpoint is on
/// that day and channel, and their `revenue` (2 decimals). A day and channel without any
/// touchpoint has no row.
public struct DailyReport: JourneyAggregate {
    public static let name = "daily"
    public static let columns = ["date", "channel", "touchpoints", "persons", "sessions", "orders", "revenue"]

    public struct Row: Sendable, Equatable {
        /// Days since 1970-01-01 (the local date in the report's zone).
        public var day: Int64
        public var channel: Channel
        public var touchpoints = 0
        public var persons = 0
        public var sessions = 0
        public var orders = 0
        /// In cents.
        public var revenue: Int128 = 0
    }

    private struct Key: Hashable { var day: Int64; var channel: Channel }
    private var by: [Key: Row] = [:]
    public var rows: [Row] { by.values.sorted { ($0.day, $0.channel.rawValue) < ($1.day, $1.channel.rawValue) } }

    let zone: Zone

    public init(config: JourneyConfig) { zone = config.zone }

    public mutating func add(_ j: Journey) {
        for a in j.activity { // one entry per (day, channel) of the journey
            let k = Key(day: a.day, channel: a.channel)
            by[k, default: Row(day: k.day, channel: k.channel)].touchpoints += a.touchpoints
            by[k]!.persons += 1
        }
        for s in j.sessions {
            guard let c = j.touchpointChannel(of: s) else { continue }
            let k = Key(day: zone.day(s.start), channel: c)
            by[k, default: Row(day: k.day, channel: c)].sessions += 1
        }
        for o in j.orders {
            guard let c = o.channel else { continue } // the model always sets it
            let k = Key(day: zone.day(o.time), channel: c)
            by[k, default: Row(day: k.day, channel: c)].orders += 1
            by[k]!.revenue += o.cents
        }
    }

    public mutating func merge(_ other: Self) {
        by.merge(other.by) { a, b in
            Row(day: a.day, channel: a.channel, touchpoints: a.touchpoints + b.touchpoints, persons: a.persons + b.persons,
                sessions: a.sessions + b.sessions, orders: a.orders + b.orders, revenue: a.revenue + b.revenue)
        }
    }

    public var table: Table {
        Table(columns: Self.columns, rows: rows.map {
            [.date($0.day * 86_400_000), .text($0.channel.rawValue), .integer($0.touchpoints), .integer($0.persons),
             .integer($0.sessions), .integer($0.orders), .money($0.revenue)]
        })
    }
}
