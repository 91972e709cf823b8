/// Where an interaction happened.
public enum Channel: String, Sendable, Hashable, CaseIterable, Comparable {
    case web, email, chat

    public static func < (a: Channel, b: Channel) -> Bool { a.rawValue < b.rawValue }
}

/// What the person (or the business, towards the person) did.
///
/// The common actions are cases so the hot path never builds a string for them; a generic
/// reader's unknown action names land in `.custom`.
public enum Action: Sendable, Hashable {
    case pageView
    case emailProcessed, emailDelivered, emailDeferred, emailDropped, emailBounce
    case emailOpen, emailClick, emailComplaint, emailUnsubscribe, emailResubscribe
    case chatStarted, chatMessageVisitor, chatMessageAgent, chatMessageBot, chatRating, chatSurvey, chatClosed
    case purchase
    /// An open that a machine made, not the person (SendGrid's `sg_machine_open`: Apple Mail
    /// Privacy Protection and other proxies that fetch every image on delivery): kept, but not
    /// something the person did.
    case emailMachineOpen
    case custom(String)

    public static let named: [(String, Action)] = [
        ("page_view", .pageView),
        ("email_processed", .emailProcessed), ("email_delivered", .emailDelivered),
        ("email_deferred", .emailDeferred), ("email_dropped", .emailDropped), ("email_bounce", .emailBounce),
        ("email_open", .emailOpen), ("email_click", .emailClick), ("email_complaint", .emailComplaint),
        ("email_unsubscribe", .emailUnsubscribe), ("email_resubscribe", .emailResubscribe),
        ("chat_started", .chatStarted), ("chat_message_visitor", .chatMessageVisitor),
        ("chat_message_agent", .chatMessageAgent), ("chat_message_bot", .chatMessageBot),
        ("chat_rating", .chatRating), ("chat_survey", .chatSurvey), ("chat_closed", .chatClosed),
        ("purchase", .purchase), ("email_machine_open", .emailMachineOpen),
    ]

    /// Whether it is something the person did: it can open and extend a session, and on its
    /// record an id is the person's own (on an agent's reply, a bot's greeting, a delivery, an id
    /// may be the agent's). A custom action is.
    public var isPersonInitiated: Bool {
        switch self {
        case .pageView, .emailOpen, .emailClick, .emailUnsubscribe, .emailResubscribe,
             .chatStarted, .chatMessageVisitor, .chatRating, .chatSurvey, .purchase, .custom:
            true
        case .emailProcessed, .emailDelivered, .emailDeferred, .emailDropped, .emailBounce, .emailComplaint,
             .chatMessageAgent, .chatMessageBot, .chatClosed, .emailMachineOpen:
            false
        }
    }

    /// The named action spelled by `name`, byte for byte; nil for a custom action's name.
    public static func named(_ name: UnsafeBufferPointer<UInt8>) -> Action? {
        Action.named.first { n in n.0.utf8.count == name.count && n.0.utf8.elementsEqual(name) }?.1
    }

    /// The snake_case name used in outputs and pipeline files.
    public var name: String {
        switch self {
        case .pageView: "page_view"
        case .emailProcessed: "email_processed"
        case .emailDelivered: "email_delivered"
        case .emailDeferred: "email_deferred"
        case .emailDropped: "email_dropped"
        case .emailBounce: "email_bounce"
        case .emailOpen: "email_open"
        case .emailClick: "email_click"
        case .emailComplaint: "email_complaint"
        case .emailUnsubscribe: "email_unsubscribe"
        case .emailResubscribe: "email_resubscribe"
        case .chatStarted: "chat_started"
        case .chatMessageVisitor: "chat_message_visitor"
        case .chatMessageAgent: "chat_message_agent"
        case .chatMessageBot: "chat_message_bot"
        case .chatRating: "chat_rating"
        case .chatSurvey: "chat_survey"
        case .chatClosed: "chat_closed"
        case .purchase: "purchase"
        case .emailMachineOpen: "email_machine_open"
        case .custom(let s): s
        }
    }

    /// The action with this output name; unknown names become `.custom(name)`.
    public init(name: String) {
        self = Action.named.first(where: { $0.0 == name })?.1 ?? .custom(name)
    }
}

/// Device class derived from the user agent.
public enum DeviceClass: String, Sendable, Hashable {
    case desktop, mobile, tablet, unknown
}

/// Where a touchpoint came from: the input (index into the run's input list), the 1-based line
/// number and the byte offset of the line's first byte in the decompressed stream.
public struct Origin: Sendable, Hashable, Comparable {
    public var input: Int32
    public var line: Int64
    public var offset: Int64

    public init(input: Int32, line: Int64, offset: Int64) {
        self.input = input
        self.line = line
        self.offset = offset
    }

    public static func < (a: Origin, b: Origin) -> Bool {
        (a.input, a.line, a.offset) < (b.input, b.line, b.offset)
    }
}

/// The identity keys one record carries. Keys seen together on one touchpoint belong to one person.
public struct IdentityKeys: Sendable, Hashable {
    /// First-party cookie / visitor id (or, when `visitorIsFallback`, a hash of client IP + user agent).
    public var visitor: String?
    /// Login / customer id.
    public var customer: String?
    /// Email address, trimmed and lower-cased.
    public var email: String?
    /// The live-chat tool's visitor id.
    public var chatVisitor: String?
    /// True when `visitor` is the IP + user-agent fallback rather than a real cookie.
    public var visitorIsFallback: Bool

    public init(visitor: String? = nil, customer: String? = nil, email: String? = nil,
                chatVisitor: String? = nil, visitorIsFallback: Bool = false) {
        self.visitor = visitor
        self.customer = customer
        self.email = email
        self.chatVisitor = chatVisitor
        self.visitorIsFallback = visitorIsFallback
    }

    public var isEmpty: Bool { visitor == nil && customer == nil && email == nil && chatVisitor == nil }
}

/// Campaign fields from `utm_*` parameters (or an email's campaign / category).
public struct Campaign: Sendable, Hashable {
    public var source: String?
    public var medium: String?
    public var name: String?
    public var term: String?
    public var content: String?

    public init(source: String? = nil, medium: String? = nil, name: String? = nil,
                term: String? = nil, content: String? = nil) {
        self.source = source
        self.medium = medium
        self.name = name
        self.term = term
        self.content = content
    }

    public var isEmpty: Bool { source == nil && medium == nil && name == nil && term == nil && content == nil }
}

/// An advertising click id such as `gclid`, `fbclid` or `msclkid` (its value's case is kept).
public struct ClickID: Sendable, Hashable {
    public var kind: String
    public var value: String
    public init(kind: String, value: String) {
        self.kind = kind
        self.value = value
    }
}

/// One name / value pair of a decoded query string.
public struct QueryParam: Sendable, Hashable {
    public var name: String
    public var value: String
    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }
}

/// One interaction of one person with the business on one channel at one instant.
///
/// Every reader turns its log records into this one shape. Fields a format does not carry stay
/// `nil` (or `0` for `status`).
public struct Touchpoint: Sendable, Hashable {
    /// UTC milliseconds since 1970-01-01.
    public var time: Int64
    public var channel: Channel
    public var action: Action
    public var keys: IdentityKeys
    /// URL path without the query (page views, email clicks).
    public var path: String?
    /// Decoded query parameters, in their order in the URL.
    public var query: [QueryParam]
    public var campaign: Campaign
    public var clickID: ClickID?
    /// Referrer host, lower-cased, without port.
    public var referrerHost: String?
    /// HTTP status, 0 when the format has none.
    public var status: Int16
    /// Response time in milliseconds, when the log has it.
    public var responseTimeMs: Int32?
    public var device: DeviceClass
    /// Monetary value, where a rule says a URL parameter or field carries one.
    public var value: Double?
    public var currency: String?
    /// Chat rating or survey score, as logged (e.g. 1–5 stars, 0–10 NPS).
    public var score: Double?
    /// Chat message text, email bounce reason and similar free text (capped by the reader).
    public var text: String?
    /// Chat conversation / session id.
    public var conversation: String?
    /// The source's own event id (SendGrid `sg_event_id`, SES message id + event), when it has one.
    public var eventID: String?
    public var origin: Origin

    public init(time: Int64, channel: Channel, action: Action, keys: IdentityKeys = IdentityKeys(),
                origin: Origin) {
        self.time = time
        self.channel = channel
        self.action = action
        self.keys = keys
        self.path = nil
        self.query = []
        self.campaign = Campaign()
        self.clickID = nil
        self.referrerHost = nil
        self.status = 0
        self.responseTimeMs = nil
        self.device = .unknown
        self.value = nil
        self.currency = nil
        self.score = nil
        self.text = nil
        self.conversation = nil
        self.eventID = nil
        self.origin = origin
    }
}
