import JourneysCore

/// Turns compact events into log lines: nginx access lines, SendGrid records and chat records.
///
/// Details that matter to no count (byte sizes, response times, ids) come from a generator
/// seeded by the event's salt, so rendering is a pure function of the event.
struct Renderer {
    let persons: [PersonInfo]
    let seed: UInt64

    // MARK: - web

    func putIP(_ ip: UInt32, into o: inout [UInt8]) {
        o.putInt(Int(ip >> 24)); o.append(46); o.putInt(Int(ip >> 16 & 255)); o.append(46)
        o.putInt(Int(ip >> 8 & 255)); o.append(46); o.putInt(Int(ip & 255))
    }

    /// URL-safe random token (click ids, message ids).
    func putToken(_ r: inout Xoshiro256, _ n: Int, into o: inout [UInt8]) {
        let alphabet: StaticString = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
        alphabet.withUTF8Buffer { a in
            for _ in 0..<n { o.append(a[r.below(64)]) }
        }
    }

    /// The landing URL's query for a visit of `channel` (utm tags, click ids, `cid`).
    func putLandingQuery(channel: AcquisitionChannel, campaign: Int, person: PersonInfo, withCid: Bool, salt: UInt32,
                         hasQuery: Bool, into o: inout [UInt8]) {
        var r = Xoshiro256(seed: SplitMix64.mix(seed ^ 0x434C_4943_4B, UInt64(salt) | UInt64(person.index) << 32))
        var first = !hasQuery
        func next() { o.append(first ? 63 : 38); first = false }
        switch channel {
        case .paidSearch:
            next(); o.put("gclid="); o.put("Cj0KCQjw"); putToken(&r, 40, into: &o)
            if r.chance(0.6) {
                next(); o.put("utm_source=google&utm_medium=cpc&utm_campaign=")
                o.put(Catalog.paidSearchCampaigns[campaign % Catalog.paidSearchCampaigns.count])
            }
        case .paidSocial:
            next(); o.put("utm_source=facebook&utm_medium=paid_social&utm_campaign=")
            o.put(Catalog.paidSocialCampaigns[campaign % Catalog.paidSocialCampaigns.count])
            next(); o.put("fbclid=IwAR"); putToken(&r, 56, into: &o)
        case .email:
            next(); o.put("utm_source=newsletter&utm_medium=email&utm_campaign=")
            o.put(Catalog.newsletters[campaign % Catalog.newsletters.count].name)
            if withCid { next(); o.put("cid="); person.putCustomerID(into: &o) }
        default:
            break
        }
    }

    func putReferrer(channel: AcquisitionChannel, salt: UInt32, into o: inout [UInt8]) {
        var r = Xoshiro256(seed: UInt64(salt) &* 0x9E37_79B9_7F4A_7C15)
        switch channel {
        case .organicSearch: o.put(Catalog.organicSearch[r.weighted(Catalog.organicSearch.map(\.1))].0)
        case .paidSearch: o.put("https://www.google.com/")
        case .organicSocial: o.put(r.pick(Catalog.organicSocial))
        case .paidSocial: o.put(r.pick(Catalog.paidSocialReferrers))
        case .referral: o.put(r.pick(Catalog.referralSites))
        case .email, .direct: o.append(45)
        }
    }

    /// One nginx line in the generator's `log_format` (see `Generator.logFormat`).
    func web(_ e: Ev, into o: inout [UInt8]) {
        var r = Xoshiro256(seed: SplitMix64.mix(seed, UInt64(e.salt) | UInt64(UInt32(bitPattern: e.person)) << 32))
        switch e.kind {
        case .page, .asset: personLine(e, &r, into: &o)
        case .bot: botLine(e, &r, into: &o)
        default: malformedLine(e, &r, into: &o)
        }
        o.append(10)
    }

    private func personLine(_ e: Ev, _ r: inout Xoshiro256, into o: inout [UInt8]) {
        let p = persons[Int(e.person)]
        putIP(p.ip(session: Int(e.session)), into: &o)
        o.put(" - - [")
        ShopClock.putTimeLocal(e.time, into: &o)
        o.put("] \"")
        var status: Int
        var bytes: Int
        var ms: Int
        if e.kind == .asset {
            let path = Catalog.assets[Int(e.page)]
            o.put("GET "); o.put(path)
            let notModified = e.flags & Ev.notModified != 0
            status = notModified ? 304 : 200
            bytes = notModified ? 0 : (Int(e.page) < Catalog.fixedAssets ? [48_211, 211_730, 143_902, 7_355, 98_116][Int(e.page)] : 60_000 + r.below(120_000))
            ms = r.below(20)
        } else {
            let page = Catalog.pages[Int(e.page)]
            o.put(page.method); o.append(32); o.put(page.path)
            if e.page == Catalog.complete {
                o.put("?value="); o.putCents(Int(e.value)); o.put("&currency=EUR")
            }
            if e.flags & Ev.landing != 0 {
                putLandingQuery(channel: AcquisitionChannel(rawValue: e.channel)!, campaign: Int(e.value), person: p,
                                withCid: e.flags & Ev.withCid != 0, salt: e.salt, hasQuery: page.path.contains(63), into: &o)
            }
            status = page.status
            bytes = page.bytes == 0 ? 0 : page.bytes * (85 + r.below(31)) / 100
            ms = Int(r.logUniform(12, page.kind == .checkout || page.kind == .complete ? 900 : 420))
            if e.flags & Ev.serverError != 0 {
                status = [500, 502, 502, 503, 504][r.below(5)]
                bytes = status == 504 ? 562 : 157 + r.below(400)
                ms = status == 504 ? 60_000 + r.below(10) : 5 + r.below(3000)
            } else if e.flags & Ev.slow != 0 {
                ms = 2500 + r.below(9500)
            }
        }
        o.put(p.visitorLo & 3 == 0 ? " HTTP/1.1\" " : " HTTP/2.0\" ")
        o.putInt(status); o.append(32); o.putInt(bytes); o.put(" \"")
        if e.ref != Ev.noRef {
            o.put(Catalog.origin); o.put(Catalog.pages[Int(e.ref)].path)
        } else if e.flags & Ev.landing != 0 {
            putReferrer(channel: AcquisitionChannel(rawValue: e.channel)!, salt: e.salt, into: &o)
        } else {
            o.append(45)
        }
        o.put("\" \""); o.put(Catalog.agents[p.agent].text); o.put("\" \"")
        p.putVisitorID(into: &o)
        o.put("\" \"")
        if e.flags & Ev.loggedIn != 0 { p.putCustomerID(into: &o) } else { o.append(45) }
        o.put("\" ")
        o.putMillisAsSeconds(ms)
    }

    private func botLine(_ e: Ev, _ r: inout Xoshiro256, into o: inout [UInt8]) {
        let which = r.weighted([60, 28, 12])
        let ua: [UInt8]
        let ip: UInt32
        switch which {
        case 0:
            ua = r.pick(Catalog.googlebot)
            ip = 66 << 24 | 249 << 16 | UInt32(r.pick([64, 66, 68, 79])) << 8 | UInt32(r.below(254) + 1)
        case 1:
            ua = Catalog.bingbot
            ip = r.chance(0.5) ? 40 << 24 | 77 << 16 | 167 << 8 | UInt32(r.below(254) + 1)
                : 157 << 24 | 55 << 16 | 39 << 8 | UInt32(r.below(254) + 1)
        default:
            ua = r.pick(Catalog.curl)
            var rr = r
            ip = PersonInfo.publicIP(&rr)
        }
        putIP(ip, into: &o)
        o.put(" - - [")
        ShopClock.putTimeLocal(e.time, into: &o)
        o.put("] \"GET ")
        let pool = [Catalog.home, Catalog.listing] + Catalog.categoryPages + Catalog.productPages + Catalog.blogPages + Catalog.gonePages
        let page = Catalog.pages[r.pick(pool)]
        o.put(page.path)
        o.put(" HTTP/1.1\" ")
        o.putInt(page.status); o.append(32); o.putInt(page.bytes * (90 + r.below(21)) / 100)
        o.put(" \"-\" \""); o.put(ua); o.put("\" \"-\" \"-\" ")
        o.putMillisAsSeconds(r.below(80))
    }

    /// A line that fits no format: a line cut by a crashed shipper, an error-log line that
    /// landed in the access log, or binary garbage.
    private func malformedLine(_ e: Ev, _ r: inout Xoshiro256, into o: inout [UInt8]) {
        switch r.weighted([55, 25, 20]) {
        case 0:
            var full: [UInt8] = []
            var rr = r
            putIP(PersonInfo.publicIP(&rr), into: &full)
            full.put(" - - [")
            ShopClock.putTimeLocal(e.time, into: &full)
            full.put("] \"GET ")
            let requestStart = full.count
            full.put(Catalog.pages[r.pick(Catalog.productPages)].path)
            full.put(" HTTP/1.1")
            // Cut inside the request, before its closing quote.
            o.append(contentsOf: full[..<(requestStart + 1 + r.below(full.count - requestStart - 1))])
        case 1:
            let off = ShopClock.offset(utc: e.time)
            let l = e.time + Int64(off)
            let (y, m, d) = Timestamp.civilFromDays(l / 86_400)
            let rem = Int(l % 86_400)
            o.putPadded(y, 4); o.append(47); o.putPadded(m, 2); o.append(47); o.putPadded(d, 2); o.append(32)
            o.putPadded(rem / 3600, 2); o.append(58); o.putPadded(rem % 3600 / 60, 2); o.append(58); o.putPadded(rem % 60, 2); o.append(32)
            o.put(r.pick(Catalog.malformedErrors))
        default:
            let n = 16 + r.below(48)
            for _ in 0..<n {
                var b = UInt8(truncatingIfNeeded: r.next())
                if b == 10 || b == 13 || b == 0 { b = 0x7F }
                o.append(b)
            }
        }
    }

    // MARK: - email

    func putBase62(_ r: inout Xoshiro256, _ n: Int, into o: inout [UInt8]) {
        let alphabet: StaticString = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
        alphabet.withUTF8Buffer { a in
            for _ in 0..<n { o.append(a[r.below(62)]) }
        }
    }

    /// One SendGrid Event Webhook record.
    func email(_ e: Ev, into o: inout [UInt8]) {
        let p = persons[Int(e.person)]
        let event = EmailEvent(rawValue: e.sub)!
        let transactional = e.flags & Ev.transactional != 0
        var idr = Xoshiro256(seed: SplitMix64.mix(seed ^ 0x4D53_4749_44, UInt64(p.index) << 16 | UInt64(e.session)))
        var r = Xoshiro256(seed: SplitMix64.mix(seed ^ 0x4556_4E54, UInt64(e.salt) | UInt64(p.index) << 32))
        o.put("{\"email\":\""); o.put(p.email); o.put("\",\"timestamp\":"); o.putInt(Int(e.time))
        if event == .processed {
            o.put(",\"smtp-id\":\"<"); putBase62(&idr, 22, into: &o); o.put("@shop.example.com>\"")
            idr = Xoshiro256(seed: SplitMix64.mix(seed ^ 0x4D53_4749_44, UInt64(p.index) << 16 | UInt64(e.session)))
        }
        o.put(",\"event\":\""); o.put(event.name); o.put("\",\"category\":")
        let n = Catalog.newsletters[Int(e.value) % Catalog.newsletters.count]
        if transactional {
            o.put("\"order_confirmation\"")
        } else {
            o.put("[\"newsletter\",\""); o.put(n.name); o.put("\"]")
        }
        o.put(",\"sg_event_id\":\""); putBase62(&r, 22, into: &o)
        o.put("\",\"sg_message_id\":\""); putBase62(&idr, 22, into: &o)
        o.put(".filterdrecv-7bc8d9f6c-x2k4p-1-"); o.putHex(idr.next(), 8); o.put("-"); o.putHex(idr.next(), 2); o.put(".0\"")
        switch event {
        case .delivered:
            o.put(",\"response\":\"250 2.0.0 OK  1727776800 a1si1234567ejb.42 - gsmtp\"")
        case .open, .click:
            o.put(",\"useragent\":\""); o.put(Catalog.agents[p.agent].text); o.put("\",\"ip\":\"")
            putIP(p.baseIP, into: &o); o.append(34)
            if event == .click {
                o.put(",\"url\":\""); o.put(Catalog.origin)
                let page = Catalog.pages[Int(e.page)]
                o.put(page.path)
                putLandingQuery(channel: .email, campaign: Int(e.value), person: p, withCid: e.flags & Ev.hasCustomer != 0,
                                salt: 0, hasQuery: page.path.contains(63), into: &o)
                o.put("\",\"url_offset\":{\"index\":"); o.putInt(r.below(4)); o.put(",\"type\":\"html\"}")
            }
        case .bounce:
            o.put(",\"type\":\"bounce\",\"status\":\"5.1.1\",\"reason\":\"550 5.1.1 The email account that you tried to reach does not exist.\"")
        default:
            break
        }
        if e.flags & Ev.hasCustomer != 0 {
            o.put(",\"customer_id\":\""); p.putCustomerID(into: &o); o.append(34)
        }
        o.put("}\n")
    }

    // MARK: - chat

    /// One chat export record.
    func chat(_ e: Ev, into o: inout [UInt8]) {
        let p = persons[Int(e.person)]
        let kind = ChatEvent(rawValue: e.sub)!
        let conv = SplitMix64.mix(seed ^ 0x434F_4E56, UInt64(p.index) << 16 | UInt64(e.session))
        var r = Xoshiro256(seed: SplitMix64.mix(seed ^ 0x4348_4154, UInt64(e.salt) | UInt64(p.index) << 32))
        o.put("{\"id\":\"evt_"); o.putHex(r.next(), 16)
        o.put("\",\"timestamp\":\""); ShopClock.putISO(e.time, into: &o)
        o.put("\",\"conversation_id\":\"conv_"); o.putHex(conv, 12)
        o.put("\",\"visitor_id\":\""); p.putVisitorID(into: &o)
        o.put("\",\"visitor_email\":")
        if e.flags & Ev.withEmail != 0 {
            // Typed by hand in one conversation of eight: capitals and a stray space.
            o.putJSONString(conv & 7 == 0 ? " " + capitalized(p.email) : p.email)
        } else {
            o.put("null")
        }
        o.put(",\"author_role\":\""); o.put(kind.role); o.put("\",\"type\":\""); o.put(kind.type); o.append(34)
        switch kind {
        case .visitorMessage, .agentMessage, .botMessage:
            o.put(",\"message\":"); o.putJSONString(text(template: Int(e.page), product: Int(e.value), person: p))
        case .rating:
            o.put(",\"rating\":"); o.putInt(Int(e.value))
        case .survey:
            o.put(",\"survey_score\":"); o.putInt(Int(e.value))
        default:
            break
        }
        o.put("}\n")
    }

    func capitalized(_ email: String) -> String {
        var out = ""
        var up = true
        for ch in email {
            out.append(up ? Character(ch.uppercased()) : ch)
            up = ch == "." || ch == "@"
        }
        return out
    }

    func text(template t: Int, product: Int, person: PersonInfo) -> String {
        let name = Catalog.products[min(max(product, 0), Catalog.products.count - 1)].name
        let s: String = switch t / 100 {
        case 0: Catalog.botGreeting
        case 1: Catalog.questions[t % 100].visitor
        case 2: Catalog.questions[t % 100].agent
        case 3: Catalog.followUps[t % 100]
        case 4: Catalog.emailLines[t % 100]
        default: Catalog.agentFollowUps[t % 100]
        }
        return fill(fill(s, "{p}", name), "{e}", person.email)
    }

    /// `s` with every `key` replaced by `value`.
    func fill(_ s: String, _ key: String, _ value: String) -> String {
        let parts = s.split(separator: key, omittingEmptySubsequences: false)
        return parts.count == 1 ? s : parts.joined(separator: value)
    }
}
