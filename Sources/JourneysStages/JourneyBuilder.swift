import JourneysCore

/// What `JourneyBuilder.build` made.
public struct BuildResult: Sendable {
    /// One journey per person, sorted by `personID`.
    public var journeys: [Journey]
    /// See `StitchResult.mergesBlocked`.
    public var mergesBlocked: Int
    /// See `StitchResult.blockedKeys`.
    public var blockedKeys: [String]
    /// Touchpoints without any identity key (in no journey).
    public var unkeyed: Int

    public init(journeys: [Journey], mergesBlocked: Int, blockedKeys: [String], unkeyed: Int = 0) {
        self.journeys = journeys
        self.mergesBlocked = mergesBlocked
        self.blockedKeys = blockedKeys
        self.unkeyed = unkeyed
    }
}

/// Turns a touchpoint stream into per-person journeys: stitches persons, then for each person
/// orders the touchpoints and finds sessions, stage times, orders, pain points, NPS and CSAT.
///
/// A builder holds the rules and the run's string tables; `journey(for:in:)` builds one
/// person's journey from the touchpoint columns, single-threaded and from nothing but that
/// person's touchpoints, so `journeys run` builds
/// persons in parallel (`Engine.map`) and gets the same journeys for any thread count and any
/// order of the input touchpoints.
///
/// **Order.** A journey's touchpoints are sorted by time, then the input's name
/// (`inputNames[origin.input]`, byte order), line, byte offset and position in the input array.
///
/// **Sessions.** Only what the person does opens or extends a session: page views, email opens,
/// clicks, unsubscribes and resubscribes, chat starts, the visitor's chat messages, ratings and
/// surveys, purchases and custom actions. What the business does — email processed / delivered /
/// deferred / dropped / bounced, spam complaints (reported later by the mailbox provider), agent
/// and bot messages, chat closes — belongs to the journey but neither opens nor extends a session
/// (a delivered newsletter is not a visit). A session ends when the next such touchpoint comes
/// more than `sessionTimeoutMs` after the previous one, at midnight UTC with `breakAtMidnight`,
/// and with `breakOnCampaignChange` when a web touchpoint carries campaign information
/// (`utm_source`, `utm_campaign` or a click id) that differs from the session's (a session that
/// began on an email or chat touchpoint takes the campaign of its first web touchpoint without
/// breaking; a web touchpoint without campaign information never breaks). The session's
/// channel, source, medium and campaign come from its first touchpoint through `ChannelRules`.
/// `Session.first` / `count` give the slice of `Journey.touchpoints` from the first to the last
/// touchpoint of the session: business-side events that happened during it are in the slice
/// although they did not open or extend it.
///
/// **Stages.** A touchpoint reaches stage S when a `StageRule` for S matches (every condition
/// given: a path pattern, an action, a channel, a minimum score; no condition matches any
/// touchpoint). With `successOnly` a touchpoint with status >= 400 reaches nothing.
/// `stageTimes[i]` is the first time stage i was reached; reaching a later stage does not fill
/// earlier ones (people skip stages). Rules naming a stage missing from `stages` are ignored.
/// Path patterns (compared ASCII case-insensitively) are prefixes that end at a segment
/// boundary: `/cart` matches `/cart`, `/cart/`, `/cart/items` and `/cart.php` but not
/// `/cartoons`; `*` matches any run of characters within one segment
/// (`/products/*/reviews`).
///
/// **Orders.** A touchpoint that matches a rule with `order: true` and has status < 400 is one
/// order (however many order rules match), worth `touchpoint.value` (0 when absent). An order
/// rule reaches its stage only through an order, so a failed `/checkout/complete` reaches
/// neither `purchase` nor counts as revenue even when `successOnly` is off. The second and later
/// orders reach `repeatPurchaseStage`. A reloaded confirmation page is a second order: logs
/// carry no order id to tell them apart.
///
/// **Pain points** (see `PainKind`), each with the furthest stage reached once its touchpoint
/// was taken into account (`none` before any):
/// - `failing_page`: status 5xx; `client_error_before_purchase`: 4xx before the first order
///   (or with no order at all); `slow_page`: `responseTimeMs > slowPageMs`.
/// - `abandoned_cart`: a session with a successful web cart page (a path matched by a stage rule's
///   path pattern and containing `cart` or `basket`) but no checkout page (such a path containing
///   `checkout`) and no order; at the session's last cart page. `abandoned_checkout`: a session
///   with a checkout page and no order; at its last checkout page.
/// - `email_bounce`, `email_complaint`, `email_unsubscribe`: those email events.
/// - `slow_chat_response`: a conversation (`Touchpoint.conversation`; touchpoints without one
///   form conversations split at `chat_started` and at gaps over `sessionTimeoutMs`) whose first
///   visitor message has no agent message within `slowChatResponseMs` (bot messages are not
///   answers); at that visitor message.
/// - `bad_chat_rating`: a chat rating with score <= `badRatingMax`.
///
/// `nps` is the last chat survey score, `csat` the share of chat ratings >= 4.
public struct JourneyBuilder: Sendable {
    let plan: Plan
    let strings: TouchpointColumns.Strings
    let facts: PathFacts

    /// A builder for touchpoints whose string ids point into `strings` (the run's tables): the
    /// configuration compiled, and the stage rules matched once per distinct path.
    public init(config: JourneyConfig, inputNames: [String], strings: TouchpointColumns.Strings) {
        plan = Plan(config: config, inputNames: inputNames)
        self.strings = strings
        facts = PathFacts(plan.rules, strings.paths)
    }

    /// The journey of a person already stitched, whose `touchpointIndices` point into
    /// `columns`. It comes without its touchpoint list (its summaries are all there).
    public func journey(for person: StitchedPerson, in columns: TouchpointColumns) -> Journey {
        plan.journey(person, plan.order(person, columns).map { columns[$0] }, strings: strings, facts: facts)
    }

    /// A person's touchpoints in journey order, as indices into `columns`.
    public func order(of person: StitchedPerson, in columns: TouchpointColumns) -> [Int] { plan.order(person, columns) }

    /// `touchpoints` as columns, with their strings' tables.
    public static func columns(_ touchpoints: [Touchpoint]) -> (TouchpointColumns, TouchpointColumns.Strings) {
        var columns = TouchpointColumns()
        var strings = TouchpointColumns.Strings()
        for t in touchpoints { columns.append(TouchpointColumns.Row(t, strings: &strings)) }
        return (columns, strings)
    }

    /// Stitches `touchpoints` (with `Stitcher`) and builds every person's journey on this
    /// thread, by the same per-person step as `journeys run`, each journey also listing its
    /// touchpoints in journey order (a convenience for tests and small inputs).
    public static func build(_ touchpoints: [Touchpoint], inputNames: [String], config: JourneyConfig) -> BuildResult {
        let stitched = Stitcher.stitch(touchpoints, config: config)
        let (columns, strings) = Self.columns(touchpoints)
        let builder = JourneyBuilder(config: config, inputNames: inputNames, strings: strings)
        let journeys = stitched.persons.map { person in
            var j = builder.journey(for: person, in: columns)
            j.touchpoints = builder.order(of: person, in: columns).map { touchpoints[$0] }
            return j
        }
        return BuildResult(journeys: journeys, mergesBlocked: stitched.mergesBlocked, blockedKeys: stitched.blockedKeys,
                           unkeyed: stitched.unkeyed)
    }

    /// `isPersonInitiated` by `TouchpointColumns` action code (a custom action is).
    static let personInitiated: [Bool] = (0..<256).map { c in
        c < Action.named.count ? Action.named[c].1.isPersonInitiated : true
    }

    static func isPersonInitiated(code: UInt8) -> Bool { personInitiated[Int(code)] }

    /// The stage name a pain point shows when no stage had been reached.
    public static let noStage = "none"

    /// Whether `path` matches a stage rule's path pattern (see `JourneyBuilder`).
    public static func pathMatches(_ pattern: String, _ path: String) -> Bool {
        let p = PathPattern(pattern)
        var s = path
        return s.withUTF8 { p.matches($0) }
    }
}

/// What the per-person step needs to know of each distinct URL path, worked out once per run:
/// which stage rules' path patterns match it, and whether it is a cart or a checkout page.
struct PathFacts: Sendable {
    private let ruleCount: Int
    /// `matches[path * ruleCount + rule]`.
    private let matches: [Bool]
    private let cart: [Bool]
    private let checkout: [Bool]

    init(_ rules: [Plan.Rule], _ paths: StringTable) {
        ruleCount = rules.count
        let n = paths.count + 1
        var m = [Bool](repeating: false, count: n * rules.count)
        var cart = [Bool](repeating: false, count: n), checkout = [Bool](repeating: false, count: n)
        for id in 1..<n {
            paths.withBytes(UInt32(id)) { b in
                for (k, r) in rules.enumerated() where r.paths.contains(where: { $0.matches(b) }) { m[id * rules.count + k] = true }
                checkout[id] = Plan.containsASCII(b, "checkout")
                cart[id] = Plan.containsASCII(b, "cart") || Plan.containsASCII(b, "basket")
            }
        }
        matches = m
        self.cart = cart
        self.checkout = checkout
    }

    /// Whether a path pattern of rule `rule` matches path `path` (false without a path).
    func matches(path: UInt32, rule: Int) -> Bool { matches[Int(path) * ruleCount + rule] }
    func isCart(_ path: UInt32) -> Bool { cart[Int(path)] }
    func isCheckout(_ path: UInt32) -> Bool { checkout[Int(path)] }
}

/// A stage-rule path pattern, lower-cased bytes.
struct PathPattern: Sendable {
    let bytes: [UInt8]

    init(_ s: String) {
        bytes = s.utf8.map { $0 &- 65 < 26 ? $0 | 0x20 : $0 }
    }

    func matches(_ s: UnsafeBufferPointer<UInt8>) -> Bool {
        bytes.withUnsafeBufferPointer { match($0, 0, s, 0) }
    }

    private func match(_ p: UnsafeBufferPointer<UInt8>, _ pi: Int, _ s: UnsafeBufferPointer<UInt8>, _ si: Int) -> Bool {
        var pi = pi, si = si
        while pi < p.count {
            if p[pi] == 42 { // '*': any run within the segment
                var k = si
                while true {
                    if match(p, pi + 1, s, k) { return true }
                    guard k < s.count, s[k] != 47 else { return false }
                    k += 1
                }
            }
            guard si < s.count else { return false }
            let c = s[si] &- 65 < 26 ? s[si] | 0x20 : s[si]
            guard c == p[pi] else { return false }
            pi += 1
            si += 1
        }
        // The pattern ends at a segment boundary of the path.
        return si == s.count || s[si] == 47 || s[si] == 46 || (pi > 0 && p[pi - 1] == 47)
    }
}

/// The configuration compiled for the per-person step.
struct Plan: Sendable {
    /// A stage rule compiled. A class: it is matched against every touchpoint, and a struct of
    /// arrays was copied (each array retained and released) at every match.
    final class Rule: Sendable {
        let stage: Int
        let paths: [PathPattern]
        /// The rule's actions as `TouchpointColumns` codes, and its custom actions by name.
        let actionCodes: [UInt8]
        let customActions: [String]
        let channelCodes: [UInt8]
        let minScore: Double?
        let order: Bool

        init(stage: Int, rule r: StageRule) {
            self.stage = stage
            paths = r.paths.map(PathPattern.init)
            actionCodes = r.actions.compactMap(TouchpointColumns.code)
            customActions = r.actions.compactMap { if case .custom(let n) = $0 { n } else { nil } }
            channelCodes = r.channels.map(TouchpointColumns.code)
            minScore = r.minScore
            order = r.order
        }

        /// Whether the rule matches a touchpoint; `pathMatches`: whether one of its path
        /// patterns matches the touchpoint's path (`PathFacts`).
        /// `actionName`: the custom action's name (a touchpoint with a named action has none).
        func matches(_ r: TouchpointColumns.Row, actionName: String?, pathMatches: Bool) -> Bool {
            if !channelCodes.isEmpty, !channelCodes.contains(r.channel) { return false }
            if !actionCodes.isEmpty || !customActions.isEmpty {
                if r.action == TouchpointColumns.customAction {
                    if customActions.isEmpty || !customActions.contains(actionName ?? "") { return false }
                } else if !actionCodes.contains(r.action) {
                    return false
                }
            }
            if let minScore { guard let s = r.chatScore, s >= minScore else { return false } }
            if !paths.isEmpty { return pathMatches }
            return true
        }
    }

    let config: JourneyConfig
    let rules: [Rule]
    let repeatStage: Int?
    /// Rank of each input by its name's byte order (inputs beyond `inputNames` rank after, by index).
    let inputRank: [Int]

    init(config: JourneyConfig, inputNames: [String]) {
        self.config = config
        rules = config.stageRules.compactMap { r in
            guard let s = config.stages.firstIndex(of: r.stage) else { return nil }
            return Rule(stage: s, rule: r)
        }
        repeatStage = config.repeatPurchaseStage.flatMap { config.stages.firstIndex(of: $0) }
        let order = inputNames.indices.sorted {
            let a = inputNames[$0].utf8, b = inputNames[$1].utf8
            return a.elementsEqual(b) ? $0 < $1 : a.lexicographicallyPrecedes(b)
        }
        var rank = [Int](repeating: 0, count: inputNames.count)
        for (r, i) in order.enumerated() { rank[i] = r }
        inputRank = rank
    }

    func rank(_ input: Int32) -> Int {
        let i = Int(input)
        return i >= 0 && i < inputRank.count ? inputRank[i] : inputRank.count + i
    }

    /// A touchpoint's place in its journey: time, then input name, line, offset, input position.
    struct SortKey: Comparable {
        var time: Int64
        var input: Int
        var line: Int64
        var offset: Int64
        var index: Int

        static func < (a: SortKey, b: SortKey) -> Bool {
            (a.time, a.input, a.line, a.offset, a.index) < (b.time, b.input, b.line, b.offset, b.index)
        }
    }

    /// The campaign identity a web touchpoint carries (`utm_source`, `utm_campaign`, click id,
    /// by string id), nil when it carries none.
    struct CampaignKey: Equatable {
        var source: UInt32
        var name: UInt32
        var click: UInt32
    }

    static func campaignKey(_ r: TouchpointColumns.Row) -> CampaignKey? {
        guard r.source != 0 || r.campaign != 0 || r.clickKind != 0 || r.clickValue != 0 else { return nil }
        return CampaignKey(source: r.source, name: r.campaign, click: r.clickValue)
    }

    /// `TouchpointColumns` action codes the per-person step tests.
    enum Codes {
        static func code(_ a: Action) -> UInt8 { TouchpointColumns.code(a)! }
        static let emailBounce = code(.emailBounce), emailComplaint = code(.emailComplaint)
        static let emailUnsubscribe = code(.emailUnsubscribe), chatRating = code(.chatRating), chatSurvey = code(.chatSurvey)
        static let chatStarted = code(.chatStarted), chatMessageVisitor = code(.chatMessageVisitor)
        static let chatMessageAgent = code(.chatMessageAgent)
    }

    static func containsASCII(_ s: UnsafeBufferPointer<UInt8>, _ word: StaticString) -> Bool {
        let w = UnsafeBufferPointer(start: word.utf8Start, count: word.utf8CodeUnitCount)
        guard s.count >= w.count else { return false }
        outer: for i in 0...(s.count - w.count) {
            for j in 0..<w.count {
                let c = s[i + j] &- 65 < 26 ? s[i + j] | 0x20 : s[i + j]
                if c != w[j] { continue outer }
            }
            return true
        }
        return false
    }

    static let painKindOrder = Dictionary(uniqueKeysWithValues: PainKind.allCases.enumerated().map { ($1, $0) })

    /// A person's touchpoints in journey order, as indices into the columns: sorted by time,
    /// input name, line, offset and place in the columns.
    func order(_ person: StitchedPerson, _ columns: TouchpointColumns) -> [Int] {
        var keys = person.touchpointIndices.map { i in
            SortKey(time: columns.time[i], input: rank(columns.input[i]), line: columns.line[i], offset: columns.offset[i], index: i)
        }
        keys.sort()
        return keys.map(\.index)
    }

    /// The journey of one person, from its touchpoints in journey order (`ordered`).
    func journey(_ person: StitchedPerson, _ tps: [TouchpointColumns.Row], strings: TouchpointColumns.Strings,
                 facts: PathFacts) -> Journey {
        let count = tps.count
        let channels = config.channelRules

        // Sessions.
        var sessions: [Session] = []
        var sessionOf = [Int](repeating: -1, count: count)
        var last = -1 // index of the current session's last member
        var webSeen = false
        var campaign: CampaignKey?
        func close() {
            guard last >= 0, var s = sessions.last else { return }
            s.end = tps[last].time
            s.count = last - s.first + 1
            sessions[sessions.count - 1] = s
        }
        for i in tps.indices where JourneyBuilder.isPersonInitiated(code: tps[i].action) {
            let time = tps[i].time, channel = tps[i].touchpointChannel
            var open = last < 0
            let key = channel == .web ? Self.campaignKey(tps[i]) : nil
            if !open {
                let prev = tps[last].time
                if time - prev > config.sessionTimeoutMs {
                    open = true
                } else if config.breakAtMidnight, config.zone.day(time) != config.zone.day(prev) {
                    open = true
                } else if config.breakOnCampaignChange, let key, webSeen, key != campaign {
                    open = true
                }
            }
            if open {
                close()
                let t = tps[i].touchpoint(strings)
                let src = channels.trafficSource(t)
                sessions.append(Session(start: time, end: time, channel: channels.classify(t), source: src.source,
                                        medium: src.medium, campaign: src.campaign, first: i, count: 1))
                webSeen = false
                campaign = nil
            }
            if channel == .web, !webSeen || key != nil {
                webSeen = true
                if key != nil { campaign = key }
            }
            last = i
        }
        close()
        for (s, session) in sessions.enumerated() {
            for i in session.first..<(session.first + session.count) { sessionOf[i] = s }
        }

        // Stages, orders and per-touchpoint pain points.
        var stageTimes = [Int64?](repeating: nil, count: config.stages.count)
        var furthest = -1
        var stageAt = [Int](repeating: -1, count: count)
        var orders: [Order] = []
        var pains: [PainPoint] = []
        var pathRuleMatched = [Bool](repeating: false, count: count)
        func reach(_ s: Int, _ time: Int64) {
            if stageTimes[s] == nil { stageTimes[s] = time }
            if s > furthest { furthest = s }
        }
        for i in tps.indices {
            let row = tps[i]
            let time = row.time, status = row.status
            let success = !(config.successOnly && status >= 400)
            var isOrder = false
            var orderStages: [Int] = []
            // Custom actions only (rare): looked up once per touchpoint, not in a closure that
            // would copy the string tables at every rule.
            let actionName = row.action == TouchpointColumns.customAction ? strings.values.string(row.actionName) ?? "" : nil
            for (k, r) in rules.enumerated()
            where r.matches(row, actionName: actionName, pathMatches: facts.matches(path: row.path, rule: k)) {
                if !r.paths.isEmpty { pathRuleMatched[i] = true }
                if r.order {
                    if status < 400 { isOrder = true; orderStages.append(r.stage) }
                } else if success {
                    reach(r.stage, time)
                }
            }
            if isOrder {
                for s in orderStages { reach(s, time) }
                orders.append(Order(time: time, value: row.orderValue ?? 0, currency: strings.values.string(row.currency), touchpoint: i,
                                    session: sessionOf[i] >= 0 ? sessionOf[i] : nil))
                if orders.count > 1, let r = repeatStage { reach(r, time) }
            }
            stageAt[i] = furthest
        }
        func stageName(_ i: Int) -> String { stageAt[i] >= 0 ? config.stages[stageAt[i]] : JourneyBuilder.noStage }
        func pain(_ kind: PainKind, _ i: Int) {
            pains.append(PainPoint(kind: kind, stage: stageName(i), time: tps[i].time, touchpoint: i))
        }

        let firstOrder = orders.first?.touchpoint ?? count
        var ratings: [Double] = []
        var nps: Double?
        // Conversation (its id, or minus the number of an anonymous one) → (first visitor
        // message, first agent answer after it).
        var conversations: [Int64: (visitor: Int?, answer: Int?)] = [:]
        var anonymousConversation = 0
        var lastAnonymousChat: Int64?
        for i in tps.indices {
            let status = tps[i].status, time = tps[i].time
            if status >= 500 { pain(.failingPage, i) }
            if status >= 400, status < 500, i < firstOrder { pain(.clientErrorBeforePurchase, i) }
            if let rt = tps[i].responseTime, rt > config.slowPageMs { pain(.slowPage, i) }
            let action = tps[i].action
            switch action {
            case Codes.emailBounce: pain(.emailBounce, i)
            case Codes.emailComplaint: pain(.emailComplaint, i)
            case Codes.emailUnsubscribe: pain(.emailUnsubscribe, i)
            case Codes.chatRating:
                if let s = tps[i].chatScore {
                    ratings.append(s)
                    if s <= config.badRatingMax { pain(.badChatRating, i) }
                }
            case Codes.chatSurvey:
                if let s = tps[i].chatScore { nps = s }
            default: break
            }
            if tps[i].touchpointChannel == .chat {
                let id: Int64
                if tps[i].conversation != 0 {
                    id = Int64(tps[i].conversation)
                } else {
                    if action == Codes.chatStarted || lastAnonymousChat.map({ time - $0 > config.sessionTimeoutMs }) == true {
                        anonymousConversation += 1
                    }
                    lastAnonymousChat = time
                    id = -Int64(anonymousConversation)
                }
                var c = conversations[id] ?? (nil, nil)
                if action == Codes.chatMessageVisitor, c.visitor == nil { c.visitor = i }
                if action == Codes.chatMessageAgent, c.visitor != nil, c.answer == nil { c.answer = i }
                conversations[id] = c
            }
        }
        for c in conversations.values {
            guard let v = c.visitor else { continue }
            if let a = c.answer, tps[a].time - tps[v].time <= config.slowChatResponseMs { continue }
            pain(.slowChatResponse, v)
        }

        // Abandoned carts and checkouts, per session.
        var orderInSession = [Bool](repeating: false, count: sessions.count)
        for o in orders { if let s = o.session { orderInSession[s] = true } }
        for (s, session) in sessions.enumerated() where !orderInSession[s] {
            var lastCart = -1, lastCheckout = -1
            for i in session.first..<(session.first + session.count)
            where pathRuleMatched[i] && tps[i].status < 400 && tps[i].touchpointChannel == .web {
                if facts.isCheckout(tps[i].path) { lastCheckout = i }
                if facts.isCart(tps[i].path) { lastCart = i }
            }
            if lastCheckout >= 0 {
                pain(.abandonedCheckout, lastCheckout)
            } else if lastCart >= 0 {
                pain(.abandonedCart, lastCart)
            }
        }
        let kindOrder = Self.painKindOrder
        pains.sort { ($0.touchpoint, kindOrder[$0.kind]!) < ($1.touchpoint, kindOrder[$1.kind]!) }

        let csat: Double? = ratings.isEmpty ? nil : Double(ratings.filter { $0 >= 4 }.count) / Double(ratings.count)
        var times: [Int64] = [], touchpointChannels: [Channel] = []
        times.reserveCapacity(count)
        touchpointChannels.reserveCapacity(count)
        for i in tps.indices {
            times.append(tps[i].time)
            touchpointChannels.append(tps[i].touchpointChannel)
        }
        return Journey(personID: person.personID, customerID: person.customerID, times: times, channels: touchpointChannels, sessions: sessions,
                       stageTimes: stageTimes, orders: orders, painPoints: pains, nps: nps, csat: csat, zone: config.zone)
    }
}
