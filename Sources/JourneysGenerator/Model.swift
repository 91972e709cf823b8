/// How a person came to the shop (Google Analytics' default channel groups, in snake_case).
public enum AcquisitionChannel: UInt8, CaseIterable, Sendable {
    case organicSearch, paidSearch, organicSocial, paidSocial, email, referral, direct

    public var name: String {
        switch self {
        case .organicSearch: "organic_search"
        case .paidSearch: "paid_search"
        case .organicSocial: "organic_social"
        case .paidSocial: "paid_social"
        case .email: "email"
        case .referral: "referral"
        case .direct: "direct"
        }
    }
}

/// Which file stream an event goes to.
enum Stream: Int, CaseIterable {
    case web = 0, email = 1, chat = 2
}

/// What a line is, for the ground truth.
enum EventKind: UInt8 {
    /// A person's request for a page (GET or POST, any status): a touchpoint.
    case page
    /// A person's request for a static file: skipped by readers.
    case asset
    /// A crawler or script: skipped by readers.
    case bot
    /// A line that belongs to no format: rejected by readers.
    case malformed
    case email
    case chat

    var stream: Stream {
        switch self {
        case .page, .asset, .bot, .malformed: .web
        case .email: .email
        case .chat: .chat
        }
    }
}

/// SendGrid event names, in the order the model emits them.
enum EmailEvent: UInt8, CaseIterable {
    case processed, delivered, open, click, bounce, unsubscribe, spamreport
    var name: String {
        switch self {
        case .processed: "processed"
        case .delivered: "delivered"
        case .open: "open"
        case .click: "click"
        case .bounce: "bounce"
        case .unsubscribe: "unsubscribe"
        case .spamreport: "spamreport"
        }
    }
}

/// Chat event types with their author.
enum ChatEvent: UInt8, CaseIterable {
    case started, visitorMessage, agentMessage, botMessage, rating, survey, closed
    var type: String {
        switch self {
        case .started: "chat_started"
        case .visitorMessage, .agentMessage, .botMessage: "message"
        case .rating: "rating"
        case .survey: "survey"
        case .closed: "closed"
        }
    }
    var role: String {
        switch self {
        case .agentMessage, .closed: "agent"
        case .botMessage: "bot"
        default: "visitor"
        }
    }
}

/// One line to be written, in compact form; `Renderer` turns it into bytes.
///
/// Field meaning depends on `kind`:
/// - page / asset: `page` is the page (asset) id, `ref` the referring page id (`noRef`: the
///   landing referrer of `channel`), `value` the order value in cents (complete) or the
///   campaign index (landing), `session` the person's session number (mobile IPs change).
/// - email: `sub` the `EmailEvent`, `session` the person's send number, `value` the
///   newsletter index (or the order number for `transactional`), `page` the click's landing page.
/// - chat: `sub` the `ChatEvent`, `session` the person's chat number, `page` the line
///   template, `value` the product (templates), rating or survey score.
struct Ev {
    var time: Int64
    var person: Int32
    var seq: Int32
    var kind: EventKind
    var sub: UInt8 = 0
    var page: UInt16 = 0
    var ref: UInt16 = Ev.noRef
    var channel: UInt8 = 0
    var flags: UInt8 = 0
    var session: UInt16 = 0
    var value: Int32 = 0
    var salt: UInt32 = 0

    static let noRef: UInt16 = 0xFFFF

    // web flags
    static let loggedIn: UInt8 = 1
    static let landing: UInt8 = 2
    static let slow: UInt8 = 4
    static let serverError: UInt8 = 8
    static let notModified: UInt8 = 16
    /// The landing URL carries `cid=` (a newsletter click of a known customer).
    static let withCid: UInt8 = 32
    // email flags
    static let hasCustomer: UInt8 = 1
    static let transactional: UInt8 = 2
    // chat flags
    static let withEmail: UInt8 = 1

    @inline(__always)
    static func before(_ a: Ev, _ b: Ev) -> Bool {
        if a.time != b.time { return a.time < b.time }
        if a.person != b.person { return a.person < b.person }
        return a.seq < b.seq
    }
}

/// The fixed attributes of one person, derived from the seed and the person's index alone.
struct PersonInfo {
    var visitorHi: UInt64
    var visitorLo: UInt64
    var agent: Int
    var baseIP: UInt32
    var first: Int
    var last: Int
    var domain: Int
    var index: Int

    init(seed: UInt64, index: Int) {
        var r = Xoshiro256(seed: SplitMix64.mix(seed ^ 0x5045_5253_4F4E, UInt64(index)))
        visitorHi = r.next()
        visitorLo = r.next()
        agent = r.weighted(Catalog.agentWeights)
        baseIP = PersonInfo.publicIP(&r)
        first = r.below(Catalog.firstNames.count)
        last = r.below(Catalog.lastNames.count)
        domain = r.below(Catalog.mailDomains.count)
        self.index = index
    }

    static func publicIP(_ r: inout Xoshiro256) -> UInt32 {
        let firsts: [UInt32] = [31, 37, 46, 62, 77, 78, 79, 80, 81, 84, 85, 87, 88, 89, 91, 93, 94, 95, 109, 151, 176, 178, 185, 188, 193, 212, 213, 217]
        return firsts[r.below(firsts.count)] << 24 | UInt32(truncatingIfNeeded: r.next() & 0xFF_FFFF)
    }

    var mobile: Bool { Catalog.agents[agent].mobile }

    /// The client address of a session: desktops keep theirs, phones get a new one per session.
    func ip(session: Int) -> UInt32 {
        guard mobile, session > 1 else { return baseIP }
        var r = Xoshiro256(seed: SplitMix64.mix(UInt64(baseIP) << 20 | UInt64(index & 0xFFFFF), UInt64(session)))
        return PersonInfo.publicIP(&r)
    }

    /// The visitor cookie: a random UUID (version 4 layout).
    var visitorID: String {
        var o: [UInt8] = []
        putVisitorID(into: &o)
        return String(decoding: o, as: UTF8.self)
    }

    func putVisitorID(into o: inout [UInt8]) {
        let hi = visitorHi & 0xFFFF_FFFF_FFFF_0FFF | 0x4000
        let lo = visitorLo & 0x3FFF_FFFF_FFFF_FFFF | 0x8000_0000_0000_0000
        o.putHex(hi >> 32, 8); o.append(45); o.putHex(hi >> 16, 4); o.append(45); o.putHex(hi, 4); o.append(45)
        o.putHex(lo >> 48, 4); o.append(45); o.putHex(lo, 12)
    }

    var customerID: String { "C\(1_000_000 + index)" }

    func putCustomerID(into o: inout [UInt8]) {
        o.append(67)
        o.putInt(1_000_000 + index)
    }

    var email: String { "\(Catalog.firstNames[first]).\(Catalog.lastNames[last])\(index)@\(Catalog.mailDomains[domain])" }
}

/// What the model knows about one simulated person after the run, restricted to what was
/// written (what the logs show of them, person by person, is `ObservedPerson`).
public struct PersonTruth: Sendable {
    public var firstChannel: AcquisitionChannel = .direct
    /// UTC seconds of the person's first written event.
    public var firstSeen: Int64 = .max
    /// Web visits the model simulated (landing pages written); the pipeline's sessions are
    /// `ObservedPerson.sessions`.
    public var sessions: Int32 = 0
    public var orders: Int32 = 0
    public var revenueCents: Int64 = 0
    public var chats: Int32 = 0
}

/// One purchase as written (`/checkout/complete?value=…`).
public struct OrderTruth: Sendable {
    public var person: Int32
    public var time: Int64
    public var cents: Int64
}
