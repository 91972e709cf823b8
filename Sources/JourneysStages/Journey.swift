import JourneysCore

/// A person's touchpoints with no gap longer than the inactivity timeout.
public struct Session: Sendable, Equatable {
    public var start: Int64
    public var end: Int64
    /// Acquisition channel group of the session's first touchpoint (`organic_search`, `email`, …).
    public var channel: String
    public var source: String?
    public var medium: String?
    public var campaign: String?
    /// Index of the session's first touchpoint in `Journey.touchpoints`, and how many it has.
    public var first: Int
    public var count: Int
    /// The touchpoint channel (`web`, `email`, `chat`) of the session's first touchpoint.
    public var firstChannel: Channel?

    public init(start: Int64, end: Int64, channel: String, source: String? = nil, medium: String? = nil,
                campaign: String? = nil, first: Int, count: Int, firstChannel: Channel? = nil) {
        self.start = start
        self.end = end
        self.channel = channel
        self.source = source
        self.medium = medium
        self.campaign = campaign
        self.first = first
        self.count = count
        self.firstChannel = firstChannel
    }
}

/// An order: a touchpoint an order rule matched, with its value.
public struct Order: Sendable, Equatable {
    public var time: Int64
    public var value: Double
    public var currency: String?
    /// Index in `Journey.touchpoints`, and of the session it belongs to (nil for a touchpoint outside sessions).
    public var touchpoint: Int
    public var session: Int?
    /// The touchpoint channel of the order's touchpoint.
    public var channel: Channel?

    public init(time: Int64, value: Double, currency: String?, touchpoint: Int, session: Int?, channel: Channel? = nil) {
        self.time = time
        self.value = value
        self.currency = currency
        self.touchpoint = touchpoint
        self.session = session
        self.channel = channel
    }
}

/// Where a journey broke.
public enum PainKind: String, Sendable, CaseIterable, Comparable {
    /// A 5xx response.
    case failingPage = "failing_page"
    /// A 4xx response before the person's first purchase.
    case clientErrorBeforePurchase = "client_error_before_purchase"
    /// A response slower than `slowPageMs`.
    case slowPage = "slow_page"
    /// A session that reached the cart but not the checkout nor a purchase.
    case abandonedCart = "abandoned_cart"
    /// A session that reached the checkout but no purchase.
    case abandonedCheckout = "abandoned_checkout"
    case emailBounce = "email_bounce"
    case emailComplaint = "email_complaint"
    case emailUnsubscribe = "email_unsubscribe"
    /// A chat whose first visitor message got no agent answer within `slowChatResponseMs`.
    case slowChatResponse = "slow_chat_response"
    /// A chat rating at or below `badRatingMax`.
    case badChatRating = "bad_chat_rating"

    public static func < (a: PainKind, b: PainKind) -> Bool { a.rawValue < b.rawValue }
}

public struct PainPoint: Sendable, Equatable {
    public var kind: PainKind
    /// The furthest stage the journey had reached when it happened.
    public var stage: String
    public var time: Int64
    /// Index in `Journey.touchpoints` of the touchpoint that shows it.
    public var touchpoint: Int

    public init(kind: PainKind, stage: String, time: Int64, touchpoint: Int) {
        self.kind = kind
        self.stage = stage
        self.time = time
        self.touchpoint = touchpoint
    }
}

/// Touchpoints of one journey on one UTC day and touchpoint channel.
public struct DayActivity: Sendable, Equatable {
    /// Days since 1970-01-01 (UTC).
    public var day: Int64
    public var channel: Channel
    public var touchpoints: Int

    public init(day: Int64, channel: Channel, touchpoints: Int) {
        self.day = day
        self.channel = channel
        self.touchpoints = touchpoints
    }
}

/// One person's journey: every touchpoint across channels in time order, and what it means.
///
/// The reports need only a summary of each touchpoint (`touchpointCount`, `activity`,
/// `firstSeen`, `lastSeen`, and the channel kept on sessions and orders), so a run builds
/// journeys without their `touchpoints` and holds a few words per person-day instead of every
/// touchpoint (`JourneyBuilder.journey(for:in:)`; only `JourneyBuilder.build`, for tests and small
/// inputs, fills `touchpoints`).
public struct Journey: Sendable {
    /// Stable across runs for the same keys (never from Swift's seeded `hashValue`).
    public var personID: String
    /// The person's customer id, when one of its keys is one (the smallest if several).
    public var customerID: String?
    /// Touchpoints ordered by time, ties broken by input path, line and position in the line;
    /// empty when the journey was built without them.
    public var touchpoints: [Touchpoint]
    public var sessions: [Session]
    /// First time each stage of `JourneyConfig.stages` was reached (same indices), nil if never.
    public var stageTimes: [Int64?]
    public var orders: [Order]
    public var painPoints: [PainPoint]
    /// The person's last NPS survey score (0–10).
    public var nps: Double?
    /// Share of the person's chat ratings that are satisfied (4–5 on a 1–5 scale), 0–1.
    public var csat: Double?
    /// How many touchpoints the journey has.
    public private(set) var touchpointCount: Int
    /// Earliest and latest touchpoint time, nil for a journey without touchpoints.
    public private(set) var firstSeen: Int64?
    public private(set) var lastSeen: Int64?
    /// Touchpoints per UTC day and channel, sorted by day, then channel.
    public private(set) var activity: [DayActivity]

    public init(personID: String, customerID: String?, touchpoints: [Touchpoint], sessions: [Session] = [],
                stageTimes: [Int64?] = [], orders: [Order] = [], painPoints: [PainPoint] = [], nps: Double? = nil, csat: Double? = nil) {
        self.init(personID: personID, customerID: customerID, times: touchpoints.map(\.time), channels: touchpoints.map(\.channel),
                  sessions: sessions, stageTimes: stageTimes, orders: orders, painPoints: painPoints, nps: nps, csat: csat)
        self.touchpoints = touchpoints
    }

    /// A journey without its touchpoint list, from the time and channel of each of its
    /// touchpoints in journey order (what `JourneyBuilder` uses, so no touchpoint is copied).
    init(personID: String, customerID: String?, times: [Int64], channels: [Channel],
         sessions: [Session], stageTimes: [Int64?], orders: [Order], painPoints: [PainPoint], nps: Double?, csat: Double?,
         zone: Zone = .utc) {
        self.personID = personID
        self.customerID = customerID
        self.touchpoints = []
        self.sessions = sessions
        self.stageTimes = stageTimes
        self.orders = orders
        self.painPoints = painPoints
        self.nps = nps
        self.csat = csat
        let count = times.count
        touchpointCount = count
        var days: [DayActivity] = []
        var first: Int64?, last: Int64?
        for i in 0..<count {
            let t = times[i], c = channels[i]
            if first.map({ t < $0 }) ?? true { first = t }
            if last.map({ t > $0 }) ?? true { last = t }
            let d = zone.day(t)
            if let k = days.lastIndex(where: { $0.day == d && $0.channel == c }) {
                days[k].touchpoints += 1
            } else {
                days.append(DayActivity(day: d, channel: c, touchpoints: 1))
            }
        }
        firstSeen = first
        lastSeen = last
        activity = days.sorted { ($0.day, $0.channel) < ($1.day, $1.channel) }
        for i in self.sessions.indices where self.sessions[i].firstChannel == nil && (0..<count).contains(self.sessions[i].first) {
            self.sessions[i].firstChannel = channels[self.sessions[i].first]
        }
        for i in self.orders.indices where self.orders[i].channel == nil && (0..<count).contains(self.orders[i].touchpoint) {
            self.orders[i].channel = channels[self.orders[i].touchpoint]
        }
    }

    /// Index of the furthest stage reached, or nil.
    public var furthestStage: Int? { stageTimes.lastIndex(where: { $0 != nil }) }
    public var converted: Bool { !orders.isEmpty }
    public var revenue: Double { orders.reduce(0) { $0 + $1.value } }
}
