import JourneysCore

/// How touchpoints become journeys: sessions, channel grouping, stages, attribution, pain points.
///
/// A pipeline file's `sessions:`, `channels:`, `stages:`, `attribution:`, `pain_points:` and
/// `identity:` sections fill it; the defaults below are the embedded default pipeline.
public struct JourneyConfig: Sendable, Equatable {
    // MARK: Stitching
    /// A key linked to more than this many distinct keys of one kind (a shared device, a
    /// placeholder id) is not used to merge persons.
    public var mergeLimit = 20
    /// The chat tool's visitor id is the site's visitor cookie (a chat widget that reuses it):
    /// chat visitor ids are then `visitor` keys and join web history directly. Off by default:
    /// two tools' ids are different spaces, and an equal string must not merge strangers.
    public var chatVisitorIsWebVisitor = false

    // MARK: Sessions
    /// Inactivity timeout: a gap longer than this starts a new session.
    public var sessionTimeoutMs: Int64 = 30 * 60 * 1000
    /// Also start a new session at midnight (in `zone`).
    public var breakAtMidnight = false
    /// The report's zone: where days start and end (midnight breaks, each journey's days of
    /// activity, `daily.csv`). The pipeline's `timezone:`.
    public var zone = Zone.utc
    /// Also start a new session when a web touchpoint arrives with a different campaign (utm_source / utm_campaign / click id).
    public var breakOnCampaignChange = false

    // MARK: Channels
    public var channelRules = ChannelRules.default

    // MARK: Stages
    /// Stage names in order (furthest = highest index).
    public var stages: [String] = ["awareness", "consideration", "decision", "purchase", "retention", "advocacy"]
    /// Rules that advance a journey to a stage; evaluated for every touchpoint.
    public var stageRules: [StageRule] = StageRule.defaults
    /// Only successful requests (status < 400, or no status) advance a stage.
    public var successOnly = true
    /// The stage a purchase reaches (orders are counted from its rules) and the stage a repeat purchase reaches.
    public var purchaseStage = "purchase"
    public var repeatPurchaseStage: String? = "retention"

    // MARK: Attribution
    public var attributionModels: [AttributionModel] = AttributionModel.allCases
    /// Half-life of the time-decay model.
    public var timeDecayHalfLifeMs: Int64 = 7 * 86_400_000
    /// Sessions older than this before a conversion get no credit.
    public var lookbackMs: Int64 = 30 * 86_400_000

    // MARK: Paths
    /// Channel paths keep at most this many steps (the first ones), consecutive repeats collapsed.
    public var pathDepth = 5

    // MARK: Pain points
    /// A page slower than this is a slow page.
    public var slowPageMs: Int32 = 3000
    /// A visitor's first chat message answered later than this (or never) is a slow first response.
    public var slowChatResponseMs: Int64 = 5 * 60 * 1000
    /// A chat rating at or below this (on 1–5) is a bad rating.
    public var badRatingMax: Double = 2

    public init() {}
}

/// A rule that puts a journey into a stage when a touchpoint matches.
///
/// Every condition given must hold: one of `paths` (a prefix such as `/pricing`, or a pattern
/// with `*` such as `/products/*/reviews`), one of `actions`, a `minScore` (survey / rating).
/// `order: true` marks the touchpoint as an order (its value is revenue).
public struct StageRule: Sendable, Equatable {
    public var stage: String
    public var paths: [String]
    public var actions: [Action]
    public var channels: [Channel]
    public var minScore: Double?
    public var order: Bool

    public init(stage: String, paths: [String] = [], actions: [Action] = [], channels: [Channel] = [],
                minScore: Double? = nil, order: Bool = false) {
        self.stage = stage
        self.paths = paths
        self.actions = actions
        self.channels = channels
        self.minScore = minScore
        self.order = order
    }

    /// The embedded default rules.
    public static let defaults: [StageRule] = [
        StageRule(stage: "awareness"), // any touchpoint
        StageRule(stage: "consideration", paths: ["/pricing", "/products", "/product", "/compare", "/features", "/plans"]),
        StageRule(stage: "consideration", actions: [.emailClick, .chatMessageVisitor]),
        StageRule(stage: "decision", paths: ["/cart", "/basket", "/checkout"]),
        StageRule(stage: "purchase", paths: ["/checkout/complete", "/checkout/success", "/order/complete", "/thank-you"], order: true),
        StageRule(stage: "purchase", actions: [.purchase], order: true),
        StageRule(stage: "advocacy", paths: ["/refer", "/review"]),
        StageRule(stage: "advocacy", actions: [.chatSurvey], minScore: 9),
    ]
}

/// Attribution models for `attribution.csv`.
public enum AttributionModel: String, Sendable, CaseIterable, Equatable {
    case firstTouch = "first_touch"
    case lastTouch = "last_touch"
    case lastNonDirect = "last_non_direct"
    case linear
    case timeDecay = "time_decay"
    case positionBased = "position_based"
}
