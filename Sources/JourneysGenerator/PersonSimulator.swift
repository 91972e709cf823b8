/// The behaviour of one person over the window, as a list of compact events.
///
/// The model, in short: a person *arrives* once (their first line in the data) through an
/// acquisition channel; later they may return through other channels. Each web session lands
/// on a page that fits its channel, then browses with 30 s – 5 min between pages; some sessions
/// put products in the cart, go to checkout, log in or register, and buy. Account holders who
/// agreed to the newsletter get the weekly send (delivered, opened, clicked, sometimes bounced
/// or unsubscribed) and an order confirmation after each purchase; a click starts a web session
/// whose URL carries utm tags and `cid=`. Some sessions open a chat, where the visitor may type
/// their email address and may rate the chat or answer a survey.
///
/// Everything is drawn from a generator seeded by (seed, person), so a person's events do not
/// depend on other persons or on the thread that simulates them.
struct PersonSimulator {
    struct Window {
        var start: Int64
        var end: Int64
        var days: Int
        /// Local midnight (UTC seconds) of each day, plus the end.
        var midnights: [Int64]
        /// Newsletter send times (UTC seconds), one per send.
        var sends: [Int64]
    }

    let info: PersonInfo
    let window: Window
    var r: Xoshiro256
    var events: [Ev] = []
    var orders: [OrderTruth] = []
    var truth = PersonTruth()

    private var seq: Int32 = 0
    private var hasAccount = false
    private var loggedIn = false
    private var subscribed = false
    private var mailStopped = false
    private var sessionNo = 0
    private var sendNo = 0
    private var chatNo = 0
    private var orderNo = 0
    private var propensity = 1.0
    private var lastEnd: Int64 = .min / 2

    init(seed: UInt64, index: Int, window: Window) {
        info = PersonInfo(seed: seed, index: index)
        self.window = window
        r = Xoshiro256(seed: SplitMix64.mix(seed ^ 0x4245_4841_5649_4F52, UInt64(index)))
    }

    // MARK: - Tunables

    static let arrivalWeights: [Double] = [30, 14, 10, 11, 7, 8, 20] // AcquisitionChannel order
    static let returnWeights: [Double] = [22, 10, 8, 8, 0, 5, 40]
    static let purchaseBase: [Double] = [0.014, 0.02, 0.007, 0.01, 0.028, 0.017, 0.02]
    /// Local hour weights for session starts (quiet nights, evening peak).
    static let hourWeights: [Double] = [1, 0.6, 0.4, 0.3, 0.3, 0.5, 1, 2, 3.5, 4.5, 5, 5, 5.5, 5, 4.5, 4.5, 5, 5.5, 6.5, 7.5, 8, 7, 5, 2.5]

    // MARK: - Emitting

    /// Records an event if it falls inside the window; returns whether it was kept.
    @discardableResult
    private mutating func emit(_ e: Ev) -> Bool {
        guard e.time >= window.start, e.time < window.end else { return false }
        var e = e
        e.person = Int32(info.index)
        e.seq = seq
        seq += 1
        if e.salt == 0 { e.salt = UInt32(truncatingIfNeeded: r.next()) | 1 }
        events.append(e)
        truth.firstSeen = min(truth.firstSeen, e.time)
        switch e.kind {
        case .page, .asset:
            if e.flags & Ev.landing != 0 { truth.sessions += 1 }
        case .chat:
            if e.sub == ChatEvent.started.rawValue { truth.chats += 1 }
        case .email, .bot, .malformed: break
        }
        return true
    }

    /// A local time of day on `day`, drawn from the hour weights.
    private mutating func timeOn(day: Int) -> Int64 {
        let hour = r.weighted(Self.hourWeights)
        let local = window.midnights[day] + Int64(ShopClock.offset(utc: window.midnights[day]))
        return ShopClock.utc(local: local + Int64(hour * 3600 + r.below(3600)))
    }

    private func dayOf(_ t: Int64) -> Int? {
        guard t >= window.start, t < window.end else { return nil }
        var d = 0
        while d + 1 < window.midnights.count, window.midnights[d + 1] <= t { d += 1 }
        return d
    }

    // MARK: - The person's life

    private struct Visit {
        var time: Int64
        var channel: AcquisitionChannel
        /// Campaign index for paid and email channels.
        var campaign: Int
        /// The send whose click starts this visit (email only).
        var send: Int?
        var planned: Bool
    }

    mutating func run() {
        let arrival = AcquisitionChannel(rawValue: UInt8(r.weighted(Self.arrivalWeights)))!
        truth.firstChannel = arrival
        propensity = 0.3 + r.unit() * 1.7
        let engagement = 0.7 + r.unit() * 0.26
        var queue: [Visit] = []
        var nextSend = window.sends.count
        var firstSendClicks = false

        if arrival == .email {
            // An existing customer on the mailing list: the newsletter is their first touch.
            hasAccount = true
            subscribed = true
            nextSend = r.below(window.sends.count)
            firstSendClicks = r.chance(0.9)
        } else {
            hasAccount = r.chance(0.18)
            subscribed = hasAccount && r.chance(0.55)
            let day = r.below(window.days)
            let t = timeOn(day: day)
            queue.append(Visit(time: t, channel: arrival, campaign: campaign(for: arrival), send: nil, planned: true))
            nextSend = window.sends.firstIndex { $0 > t } ?? window.sends.count
        }

        while true {
            let sendTime = subscribed && !mailStopped && nextSend < window.sends.count ? window.sends[nextSend] : Int64.max
            let visitIndex = queue.indices.min { queue[$0].time < queue[$1].time }
            let visitTime = visitIndex.map { queue[$0].time } ?? .max
            if min(sendTime, visitTime) >= window.end { break }
            if sendTime <= visitTime {
                if let click = newsletter(nextSend, forceClick: firstSendClicks) { queue.append(click) }
                firstSendClicks = false
                nextSend += 1
                continue
            }
            let v = queue.remove(at: visitIndex!)
            let wasSubscribed = subscribed
            let end = session(v)
            if subscribed, !wasSubscribed { nextSend = window.sends.firstIndex { $0 > end } ?? window.sends.count }
            if v.planned, r.chance(engagement) {
                let gap = 7200 + Int64(r.exponential(mean: 2.6 * 86_400))
                let target = end + gap
                if let day = dayOf(target) {
                    var t = timeOn(day: day)
                    if t < end + 7200 { t = end + 7200 + Int64(r.below(7200)) }
                    queue.append(Visit(time: t, channel: AcquisitionChannel(rawValue: UInt8(r.weighted(Self.returnWeights)))!,
                                       campaign: 0, send: nil, planned: true))
                }
            }
        }
    }

    private mutating func campaign(for c: AcquisitionChannel) -> Int {
        switch c {
        case .paidSearch: r.below(Catalog.paidSearchCampaigns.count)
        case .paidSocial: r.below(Catalog.paidSocialCampaigns.count)
        default: 0
        }
    }

    // MARK: - Email

    /// One newsletter send to this person; returns the web visit its click starts, if any.
    private mutating func newsletter(_ index: Int, forceClick: Bool) -> Visit? {
        sendNo += 1
        let n = Catalog.newsletters[index % Catalog.newsletters.count]
        let base = window.sends[index] + Int64(r.below(2400))
        var e = Ev(time: base, person: 0, seq: 0, kind: .email)
        e.session = UInt16(truncatingIfNeeded: sendNo)
        e.value = Int32(index)
        e.page = UInt16(n.landing)
        if hasAccount { e.flags |= Ev.hasCustomer }
        e.sub = EmailEvent.processed.rawValue
        emit(e)
        e.time += Int64(r.int(2...40))
        if !forceClick, r.chance(0.012) {
            e.sub = EmailEvent.bounce.rawValue
            emit(e)
            mailStopped = true
            return nil
        }
        e.sub = EmailEvent.delivered.rawValue
        emit(e)
        guard forceClick || r.chance(0.36) else { return nil }
        e.time += 60 + Int64(r.exponential(mean: 3 * 3600))
        e.sub = EmailEvent.open.rawValue
        emit(e)
        let opened = e.time
        if r.chance(0.3) {
            var again = e
            again.time += 600 + Int64(r.exponential(mean: 8 * 3600))
            again.salt = 0
            emit(again)
        }
        if !forceClick, r.chance(0.012) {
            e.time += Int64(r.int(5...120))
            e.sub = EmailEvent.unsubscribe.rawValue
            emit(e)
            mailStopped = true
            return nil
        }
        if !forceClick, r.chance(0.002) {
            e.time += Int64(r.int(5...60))
            e.sub = EmailEvent.spamreport.rawValue
            emit(e)
            mailStopped = true
            return nil
        }
        guard forceClick || r.chance(0.2) else { return nil }
        return Visit(time: opened + Int64(r.int(4...240)), channel: .email, campaign: index, send: sendNo, planned: forceClick)
    }

    /// The order confirmation sent after a purchase.
    private mutating func confirmation(at t: Int64) {
        sendNo += 1
        var e = Ev(time: t + Int64(r.int(5...90)), person: 0, seq: 0, kind: .email)
        e.flags = Ev.hasCustomer | Ev.transactional
        e.session = UInt16(truncatingIfNeeded: sendNo)
        e.value = Int32(orderNo)
        e.sub = EmailEvent.processed.rawValue
        emit(e)
        e.time += Int64(r.int(2...30))
        e.sub = EmailEvent.delivered.rawValue
        emit(e)
        if r.chance(0.65) {
            e.time += 30 + Int64(r.exponential(mean: 2 * 3600))
            e.sub = EmailEvent.open.rawValue
            emit(e)
        }
    }

    // MARK: - Web

    private enum Goal { case bounce, browse, cart, checkout, purchase }

    private var sessionIndex: UInt16 { UInt16(truncatingIfNeeded: sessionNo) }

    /// Emits one page view `gap` seconds after `t`; returns its status class (true when it failed).
    private mutating func view(_ page: Int, ref: Int?, at t: inout Int64, gap: Bool = true, landing: Visit? = nil) -> Bool {
        if gap { t += Int64(r.logUniform(30, 300)) }
        var e = Ev(time: t, person: 0, seq: 0, kind: .page)
        e.page = UInt16(page)
        e.ref = ref.map { UInt16($0) } ?? Ev.noRef
        e.session = sessionIndex
        if loggedIn { e.flags |= Ev.loggedIn }
        if let v = landing {
            e.flags |= Ev.landing
            e.channel = v.channel.rawValue
            e.value = Int32(v.campaign)
            if v.channel == .email, hasAccount { e.flags |= Ev.withCid }
        }
        let kind = Catalog.pages[page].kind
        let risky = kind == .checkout || kind == .search || kind == .cart
        var failed = false
        if Catalog.pages[page].method.first == 71, r.chance(risky ? 0.015 : 0.004) { // GET
            e.flags |= Ev.serverError
            failed = true
        } else if r.chance(risky ? 0.04 : 0.012) {
            e.flags |= Ev.slow
        }
        emit(e)
        if !failed, r.chance(0.034) {
            var a = Ev(time: t + Int64(r.int(0...2)), person: 0, seq: 0, kind: .asset)
            let pr = Catalog.pages[page].product
            a.page = UInt16(pr >= 0 && r.chance(0.5) ? Catalog.fixedAssets + pr : r.below(Catalog.fixedAssets))
            a.ref = UInt16(page)
            a.session = sessionIndex
            if loggedIn { a.flags |= Ev.loggedIn }
            if r.chance(0.3) { a.flags |= Ev.notModified }
            emit(a)
        }
        return failed
    }

    private mutating func landingPage(_ v: Visit) -> Int {
        switch v.channel {
        case .organicSearch:
            return [r.pick(Catalog.productPages), Catalog.home, r.pick(Catalog.blogPages), r.pick(Catalog.categoryPages)][r.weighted([40, 30, 20, 10])]
        case .paidSearch:
            return r.chance(0.7) ? r.pick(Catalog.productPages) : (r.chance(0.5) ? Catalog.home : r.pick(Catalog.categoryPages))
        case .organicSocial:
            return [r.pick(Catalog.productPages), r.pick(Catalog.blogPages), Catalog.home][r.weighted([50, 30, 20])]
        case .paidSocial:
            return r.chance(0.7) ? r.pick(Catalog.productPages) : r.pick(Catalog.categoryPages)
        case .email:
            return Catalog.newsletters[v.campaign % Catalog.newsletters.count].landing
        case .referral:
            return r.chance(0.6) ? r.pick(Catalog.productPages) : (r.chance(0.5) ? r.pick(Catalog.blogPages) : Catalog.home)
        case .direct:
            return [Catalog.home, r.pick(Catalog.productPages), Catalog.account][r.weighted([70, 20, loggedIn || hasAccount ? 10 : 0])]
        }
    }

    private mutating func nextBrowsePage(from prev: Int) -> Int {
        let w: [Double] = [5, 8, 14, 45, 5, 8, 8, 8, loggedIn ? 4 : 0, 0.6]
        switch r.weighted(w) {
        case 0: return Catalog.home
        case 1: return Catalog.listing
        case 2: return r.pick(Catalog.categoryPages)
        case 3: return r.pick(Catalog.productPages)
        case 4: return r.pick(Catalog.blogPages)
        case 5: return r.pick(Catalog.searchPages)
        case 6: return Catalog.pricing
        case 7: return r.pick(Catalog.infoPages)
        case 8: return r.chance(0.5) ? Catalog.account : Catalog.accountOrders
        default: return r.pick(Catalog.gonePages)
        }
    }

    /// GET /login, POST /login: the customer cookie is set from the next request on.
    private mutating func logIn(from prev: Int, at t: inout Int64) {
        _ = view(Catalog.login, ref: prev, at: &t)
        t += Int64(r.int(8...40)) // typing
        _ = view(Catalog.loginPost, ref: Catalog.login, at: &t, gap: false)
        t += 1 // the redirect
        loggedIn = true
    }

    /// One web visit; returns the time of its last event.
    private mutating func session(_ v0: Visit) -> Int64 {
        var v = v0
        v.time = max(v.time, lastEnd + 2700 + Int64(r.below(3600)))
        sessionNo += 1
        var t = v.time
        if let send = v.send {
            var c = Ev(time: t - Int64(r.int(1...3)), person: 0, seq: 0, kind: .email)
            c.sub = EmailEvent.click.rawValue
            c.session = UInt16(truncatingIfNeeded: send)
            c.value = Int32(v.campaign)
            c.page = UInt16(Catalog.newsletters[v.campaign % Catalog.newsletters.count].landing)
            if hasAccount { c.flags |= Ev.hasCustomer }
            emit(c)
        }
        let returning = sessionNo > 1
        var pp = Self.purchaseBase[Int(v.channel.rawValue)] * propensity * (returning ? 1.4 : 1)
        if loggedIn { pp *= 1.3 }
        let bounce = returning ? 0.2 : 0.28
        let goal: Goal = switch r.weighted([bounce, max(0, 1 - bounce - pp * 3.7), pp * 2.0, pp * 0.7, pp]) {
        case 0: .bounce
        case 1: .browse
        case 2: .cart
        case 3: .checkout
        default: .purchase
        }
        var prev = landingPage(v)
        _ = view(prev, ref: nil, at: &t, gap: false, landing: v)
        defer { lastEnd = t }
        if goal == .bounce { return t }

        let wantsLogin = hasAccount && !loggedIn && r.chance(0.3)
        let browse = goal == .browse ? 1 + min(40, Int(r.exponential(mean: 10.5))) : 2 + min(20, Int(r.exponential(mean: 4.5)))
        var chatted = false
        var lastProduct = Catalog.pages[prev].product >= 0 ? Catalog.pages[prev].product : r.below(Catalog.products.count)
        for i in 0..<browse {
            if wantsLogin, i == browse / 2 {
                logIn(from: prev, at: &t)
                prev = r.chance(0.5) ? Catalog.account : Catalog.accountOrders
                _ = view(prev, ref: Catalog.loginPost, at: &t, gap: false)
                continue
            }
            let page = nextBrowsePage(from: prev)
            _ = view(page, ref: prev, at: &t)
            prev = page
            if Catalog.pages[page].product >= 0 { lastProduct = Catalog.pages[page].product }
            if !chatted, r.chance(0.009) {
                chatted = true
                chat(at: &t, page: page, product: lastProduct)
            }
        }
        guard goal != .browse else { return t }

        _ = view(Catalog.cart, ref: prev, at: &t)
        prev = Catalog.cart
        if r.chance(0.3) { // one more look, then back to the cart
            let p = r.pick(Catalog.productPages)
            _ = view(p, ref: Catalog.cart, at: &t)
            _ = view(Catalog.cart, ref: p, at: &t)
        }
        guard goal != .cart else { return t }

        var failed = view(Catalog.checkout, ref: Catalog.cart, at: &t)
        if failed {
            if !chatted, r.chance(0.2) {
                chatted = true
                chat(at: &t, page: Catalog.checkout, product: lastProduct, question: 4)
            }
            guard r.chance(0.5) else { return t }
            t += Int64(r.int(5...20))
            failed = view(Catalog.checkout, ref: Catalog.cart, at: &t, gap: false)
            if failed { return t }
        }
        if !loggedIn {
            if hasAccount {
                logIn(from: Catalog.checkout, at: &t)
            } else {
                _ = view(Catalog.registerPost, ref: Catalog.checkout, at: &t)
                t += Int64(r.int(5...20))
                hasAccount = true
                loggedIn = true
                if r.chance(0.4), !mailStopped { subscribed = true }
            }
            if view(Catalog.checkout, ref: Catalog.checkout, at: &t, gap: false) { return t }
        }
        if !chatted, r.chance(0.025) {
            chatted = true
            chat(at: &t, page: Catalog.checkout, product: lastProduct)
        }
        guard goal == .purchase else { return t }

        var cents = Catalog.products[lastProduct].cents
        let extra = r.weighted([60, 30, 10])
        for _ in 0..<extra { cents += r.pick(Catalog.products).cents }
        if cents < 5000 { cents += 490 }
        t += Int64(r.logUniform(40, 240))
        var e = Ev(time: t, person: 0, seq: 0, kind: .page)
        e.page = UInt16(Catalog.complete)
        e.ref = UInt16(Catalog.checkout)
        e.session = sessionIndex
        e.flags = Ev.loggedIn
        e.value = Int32(cents)
        if emit(e) {
            orderNo += 1
            truth.orders += 1
            truth.revenueCents += Int64(cents)
            orders.append(OrderTruth(person: Int32(info.index), time: t, cents: Int64(cents)))
            confirmation(at: t)
            propensity *= 0.8
        }
        // After buying: a look at the order, sometimes.
        if r.chance(0.3) { _ = view(Catalog.accountOrders, ref: Catalog.complete, at: &t) }
        return t
    }

    // MARK: - Chat

    /// What a visitor asks about on a page (an index into `Catalog.questions`).
    private mutating func question(on page: Int) -> Int {
        switch Catalog.pages[page].kind {
        case .product: r.pick([2, 3, 7])
        case .pricing: 5
        case .cart, .checkout: r.pick([1, 4])
        case .account, .accountOrders: 6
        default: r.pick([0, 1, 3, 8])
        }
    }

    /// A chat conversation opened on `page`; page views resume after it closes.
    private mutating func chat(at t: inout Int64, page: Int, product: Int, question q0: Int? = nil) {
        chatNo += 1
        let chatIndex = UInt16(truncatingIfNeeded: chatNo)
        var knowsEmail = loggedIn
        func ev(_ kind: ChatEvent, _ tmpl: Int = 0, value: Int = 0) -> Ev {
            var e = Ev(time: t, person: 0, seq: 0, kind: .chat)
            e.sub = kind.rawValue
            e.session = chatIndex
            e.page = UInt16(tmpl)
            e.value = Int32(value)
            if knowsEmail { e.flags |= Ev.withEmail }
            return e
        }
        t += Int64(r.int(5...40))
        emit(ev(.started))
        if r.chance(0.45) {
            t += 1
            emit(ev(.botMessage, 0))
        }
        let q = q0 ?? question(on: page)
        t += Int64(r.int(3...40))
        emit(ev(.visitorMessage, 100 + q, value: product))
        // First response: usually quick, sometimes very slow.
        let slow = r.chance(0.12)
        let frt = slow ? Int64(r.int(300...900)) : Int64(r.logUniform(15, 150))
        t += frt
        emit(ev(.agentMessage, 200 + q, value: product))
        if q == 6 || (!knowsEmail && r.chance(0.35)) {
            t += Int64(r.int(15...90))
            let line = r.below(Catalog.emailLines.count)
            knowsEmail = true
            emit(ev(.visitorMessage, 400 + line))
            if !subscribed, !mailStopped, r.chance(0.3) { subscribed = true }
        }
        if r.chance(0.6) {
            t += Int64(r.int(20...120))
            emit(ev(.visitorMessage, 300 + r.below(Catalog.followUps.count)))
        }
        t += Int64(r.int(20...120))
        emit(ev(.agentMessage, 500 + r.below(Catalog.agentFollowUps.count)))
        t += Int64(r.int(30...180))
        emit(ev(.closed))
        if r.chance(0.55) {
            t += Int64(r.int(3...30))
            let stars = slow ? 1 + r.weighted([25, 25, 25, 15, 10]) : 1 + r.weighted([4, 5, 11, 30, 50])
            emit(ev(.rating, value: stars))
        }
        if r.chance(0.3) {
            t += Int64(r.int(5...60))
            let score = slow ? r.below(9) : r.weighted([1, 1, 1, 1, 2, 3, 4, 10, 14, 22, 28])
            emit(ev(.survey, value: score))
        }
        // The visitor goes back to the page (no page view: the chat was a widget on it).
        t += Int64(r.int(5...30))
    }
}
