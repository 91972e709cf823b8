import JourneysCore
import JourneysStages

/// `channels.csv`: persons by first-touch acquisition channel (the channel of their first
/// session; `(none)` for a person without sessions), sorted by channel.
///
/// `converters` have at least one order; `conversion_rate` is converters / persons (0–1, 4
/// decimals); `orders` and `revenue` are all of those persons' orders, whenever they happened.
public struct ChannelsReport: JourneyAggregate {
    public static let name = "channels"
    public static let columns = ["channel", "persons", "converters", "conversion_rate", "orders", "revenue"]

    public struct Row: Sendable, Equatable {
        public var channel: String
        public var persons = 0
        public var converters = 0
        public var orders = 0
        /// In cents.
        public var revenue: Int128 = 0
        public var conversionRate: Double? { ratio(converters, persons) }
    }

    private var by: [String: Row] = [:]
    public var rows: [Row] { by.values.sorted { $0.channel < $1.channel } }

    public init(config: JourneyConfig) {}

    public mutating func add(_ j: Journey) {
        let c = j.firstTouchChannel
        by[c, default: Row(channel: c)].persons += 1
        if j.converted { by[c]!.converters += 1 }
        by[c]!.orders += j.orders.count
        by[c]!.revenue += j.revenueCents
    }

    public mutating func merge(_ other: Self) {
        by.merge(other.by) { a, b in
            Row(channel: a.channel, persons: a.persons + b.persons, converters: a.converters + b.converters,
                orders: a.orders + b.orders, revenue: a.revenue + b.revenue)
        }
    }

    public var table: Table {
        Table(columns: Self.columns, rows: rows.map {
            [.text($0.channel), .integer($0.persons), .integer($0.converters), .rate($0.conversionRate), .integer($0.orders), .money($0.revenue)]
        })
    }
}
