/// The stages of the shop pipeline's funnel (`pipelines/shop.yaml`, also written to the
/// generated `pipeline.yaml`), in order.
public enum ShopStage: Int, CaseIterable, Sendable {
    case awareness, consideration, decision, purchase, retention, advocacy

    public var name: String {
        switch self {
        case .awareness: "awareness"
        case .consideration: "consideration"
        case .decision: "decision"
        case .purchase: "purchase"
        case .retention: "retention"
        case .advocacy: "advocacy"
        }
    }

    var bit: UInt8 { 1 << UInt8(rawValue) }
}

/// A person's first-touch channel as the pipeline names it: the channel group of the person's
/// first session (`chat` for a session a chat opens, `(none)` for a person without sessions).
public enum FirstTouch: UInt8, CaseIterable, Sendable {
    case organicSearch, paidSearch, organicSocial, paidSocial, email, referral, direct, chat, none

    init(_ c: AcquisitionChannel) { self = FirstTouch(rawValue: c.rawValue)! }

    public var name: String {
        switch self {
        case .chat: "chat"
        case .none: "(none)"
        default: AcquisitionChannel(rawValue: rawValue)!.name
        }
    }
}

/// One person as the logs show them: the touchpoints whose identity keys are linked by the
/// lines themselves.
///
/// A simulated person is usually one observed person. They are two when some of their keys
/// never share a line with the others — an account holder who gets the newsletter but never
/// logs in on the site nor clicks a link: the web visitor cookie and the customer id / email
/// address are then two persons to any reader of the logs.
public struct ObservedPerson: Sendable {
    /// The simulated person (index) whose lines these are.
    public var person: Int32
    public var hasVisitor = false
    public var hasCustomer = false
    public var hasEmail = false
    /// Lines that are touchpoints (page views, email events, chat events; not static files).
    public var touchpoints: Int32 = 0
    /// Sessions as the pipeline defines them (see `Observer`).
    public var sessions: Int32 = 0
    public var firstTouch = FirstTouch.none
    /// UTC seconds of the first touchpoint.
    public var firstSeen: Int64 = .max
    /// Reached stages, one bit per `ShopStage`.
    public var stages: UInt8 = 0
    public var orders: Int32 = 0
    public var revenueCents: Int64 = 0
    /// Web visits the model simulated (landing pages), chats started, emails delivered.
    public var visits: Int32 = 0
    public var chats: Int32 = 0
    public var emailsDelivered: Int32 = 0
    /// How many observed persons the simulated person shows as (1 unless their keys split).
    public var parts: Int32 = 1

    public func reached(_ s: ShopStage) -> Bool { stages & s.bit != 0 }
}

/// Derives, from one simulated person's written events and the generator's own model of what
/// each line means, the persons the logs show and what the shop pipeline should find for each.
/// Nothing here reads the logs or calls the library's stitcher or journey builder.
///
/// - Keys each line carries: a page view its visitor cookie, the customer cookie once logged in
///   and `cid` on a newsletter landing URL of an account holder; an email event the address and,
///   for account holders, the customer id (custom argument; clicks also `cid` in the URL); a
///   chat event the visitor id (the widget reuses the site's cookie:
///   `identity.chat_visitor_is_web_visitor`) and the address once the visitor typed it. Static
///   files carry keys too but are skipped by the reader, so they link nothing. Keys on one line
///   are linked; observed persons are the connected groups of the person's keys (keys of two
///   simulated persons never coincide: visitor ids are random UUIDs, customer ids and
///   addresses carry the person's index).
/// - Order of a person's touchpoints: time, then file (`chat/` before `email/` before `web/`:
///   the pipeline breaks ties by input name), then the order of lines in the file.
/// - Sessions: opened and extended by what the person does (page views, email opens, clicks and
///   unsubscribes, chat starts, visitor messages, ratings and surveys), ending after 30 min
///   without such a touchpoint. A session's channel is that of its first touchpoint: `email`,
///   `chat`, or for a page view the channel of the visit it lands (the landing URL's tags and
///   referrer), `direct` for a page that is not a landing page (its referrer is the shop).
/// - Stages (the shop pipeline's rules): awareness on any touchpoint; consideration on a page
///   under `/products`, `/pricing` or `/compare`, an email click, a visitor's chat message;
///   decision on a page under `/cart` or `/checkout`; purchase on `/checkout/complete` (an
///   order, worth its `value`); retention on the second order; advocacy on a page under
///   `/refer` or a chat survey score of 9 or more. Web pages with status >= 400 reach nothing.
///   An email click's URL path counts like a page's.
struct Observer {
    static let sessionTimeout: Int64 = 30 * 60

    /// The stages a path reaches by the shop's path rules (a prefix ending at a segment boundary).
    static func stages(path: [UInt8]) -> UInt8 {
        let bare = path.split(separator: 63, maxSplits: 1, omittingEmptySubsequences: false)[0]
        func under(_ prefix: String) -> Bool {
            let p = Array(prefix.utf8)
            return bare.starts(with: p) && (bare.count == p.count || bare[bare.startIndex + p.count] == 47)
        }
        var s: UInt8 = 0
        if under("/products") || under("/pricing") || under("/compare") { s |= ShopStage.consideration.bit }
        if under("/cart") || under("/checkout") { s |= ShopStage.decision.bit }
        if under("/refer") { s |= ShopStage.advocacy.bit }
        return s
    }

    /// `stages(path:)` of every page of the catalog, by page id.
    static let pageStages: [UInt8] = Catalog.pages.map { stages(path: $0.path) }

    static let visitorKey: UInt8 = 1, customerKey: UInt8 = 2, emailKey: UInt8 = 4

    /// The identity keys a written event shows; 0 for a line that is not a touchpoint.
    static func keys(_ e: Ev) -> UInt8 {
        switch e.kind {
        case .page:
            return visitorKey | (e.flags & (Ev.loggedIn | Ev.withCid) != 0 ? customerKey : 0)
        case .email:
            return emailKey | (e.flags & Ev.hasCustomer != 0 ? customerKey : 0)
        case .chat:
            return visitorKey | (e.flags & Ev.withEmail != 0 ? emailKey : 0)
        case .asset, .bot, .malformed:
            return 0
        }
    }

    /// Whether the person did it (it opens and extends sessions).
    static func personInitiated(_ e: Ev) -> Bool {
        switch e.kind {
        case .page: true
        case .email:
            switch EmailEvent(rawValue: e.sub)! {
            case .open, .click, .unsubscribe: true
            case .processed, .delivered, .bounce, .spamreport: false
            }
        case .chat:
            switch ChatEvent(rawValue: e.sub)! {
            case .started, .visitorMessage, .rating, .survey: true
            case .agentMessage, .botMessage, .closed: false
            }
        case .asset, .bot, .malformed: false
        }
    }

    /// HTTP status of a page view as the renderer writes it (a server error is some 5xx).
    static func status(_ e: Ev) -> Int {
        e.flags & Ev.serverError != 0 ? 500 : Catalog.pages[Int(e.page)].status
    }

    /// The observed persons of one simulated person, from their written events.
    static func observe(person: Int32, events: [Ev]) -> [ObservedPerson] {
        // Union-find over the three keys.
        var parent: [UInt8] = [0, 1, 2]
        func find(_ x: UInt8) -> UInt8 {
            var x = x
            while parent[Int(x)] != x { x = parent[Int(x)] }
            return x
        }
        func bitIndex(_ mask: UInt8) -> UInt8 { UInt8(mask.trailingZeroBitCount) }
        var tps: [Ev] = []
        tps.reserveCapacity(events.count)
        for e in events {
            let k = keys(e)
            guard k != 0 else { continue }
            tps.append(e)
            let first = bitIndex(k)
            var rest = k & (k - 1)
            while rest != 0 {
                let a = find(first), b = find(bitIndex(rest))
                if a != b { parent[Int(max(a, b))] = min(a, b) }
                rest &= rest - 1
            }
        }
        guard !tps.isEmpty else { return [] }
        func fileRank(_ e: Ev) -> Int {
            switch e.kind.stream {
            case .chat: 0
            case .email: 1
            case .web: 2
            }
        }
        tps.sort { ($0.time, fileRank($0), $0.seq) < ($1.time, fileRank($1), $1.seq) }

        var slot: [Int] = [-1, -1, -1] // root key → index into `out`
        var out: [ObservedPerson] = []
        var lastInitiated: [Int64] = []
        for e in tps {
            let k = keys(e)
            let root = Int(find(bitIndex(k)))
            if slot[root] < 0 {
                slot[root] = out.count
                out.append(ObservedPerson(person: person))
                lastInitiated.append(.min)
            }
            let i = slot[root]
            var p = out[i]
            p.hasVisitor = p.hasVisitor || k & visitorKey != 0
            p.hasCustomer = p.hasCustomer || k & customerKey != 0
            p.hasEmail = p.hasEmail || k & emailKey != 0
            p.touchpoints += 1
            p.firstSeen = min(p.firstSeen, e.time)

            if personInitiated(e) {
                if lastInitiated[i] == .min || e.time - lastInitiated[i] > sessionTimeout {
                    if p.sessions == 0 { p.firstTouch = firstTouch(e) }
                    p.sessions += 1
                }
                lastInitiated[i] = e.time
            }

            switch e.kind {
            case .page:
                if e.flags & Ev.landing != 0 { p.visits += 1 }
                guard status(e) < 400 else { break }
                p.stages |= ShopStage.awareness.bit | pageStages[Int(e.page)]
                if Int(e.page) == Catalog.complete {
                    p.orders += 1
                    p.revenueCents += Int64(e.value)
                    p.stages |= ShopStage.purchase.bit
                    if p.orders >= 2 { p.stages |= ShopStage.retention.bit }
                }
            case .email:
                p.stages |= ShopStage.awareness.bit
                if e.sub == EmailEvent.click.rawValue {
                    p.stages |= ShopStage.consideration.bit | pageStages[Int(e.page)]
                }
                if e.sub == EmailEvent.delivered.rawValue { p.emailsDelivered += 1 }
            case .chat:
                p.stages |= ShopStage.awareness.bit
                switch ChatEvent(rawValue: e.sub)! {
                case .visitorMessage: p.stages |= ShopStage.consideration.bit
                case .survey where e.value >= 9: p.stages |= ShopStage.advocacy.bit
                case .started: p.chats += 1
                default: break
                }
            case .asset, .bot, .malformed:
                break
            }
            out[i] = p
        }
        for i in out.indices { out[i].parts = Int32(out.count) }
        return out
    }

    /// The channel group of a session that `e` opens.
    static func firstTouch(_ e: Ev) -> FirstTouch {
        switch e.kind {
        case .email: return .email
        case .chat: return .chat
        default:
            return e.flags & Ev.landing != 0 ? FirstTouch(AcquisitionChannel(rawValue: e.channel)!) : .direct
        }
    }
}
