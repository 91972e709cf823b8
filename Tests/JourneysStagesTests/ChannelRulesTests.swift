import JourneysCore
@testable import JourneysStages
import Testing

/// Each expectation names the GA4 definition (or the documented departure) that decides it.
@Suite struct ChannelRulesTests {
    let rules = ChannelRules(internalHosts: ["shop.example.com"])

    func group(_ target: String, referrer: String? = nil) -> String {
        rules.classify(page(at(1, 10, 0), target, visitor: "v", referrer: referrer))
    }

    @Test func searchEngines() {
        // Search-site referrer → GA4 Organic Search (source in the search list).
        #expect(group("/", referrer: "www.google.com") == "organic_search")
        #expect(group("/", referrer: "www.google.co.uk") == "organic_search")
        for host in ["www.bing.com", "search.yahoo.com", "duckduckgo.com", "www.baidu.com", "yandex.ru", "www.ecosia.org"] {
            #expect(group("/", referrer: host) == "organic_search", "\(host)")
        }
        // utm_medium=organic → Organic Search by medium.
        #expect(group("/?utm_source=partnerindex&utm_medium=organic") == "organic_search")
        // A label run, not a substring: googleusercontent.com is no search engine → Referral.
        #expect(group("/", referrer: "lh3.googleusercontent.com") == "referral")
    }

    @Test func paidSearch() {
        // Google Ads auto-tagging.
        for id in ["gclid", "gbraid", "wbraid", "dclid", "msclkid"] {
            #expect(group("/?\(id)=abc123", referrer: "www.google.com") == "paid_search", "\(id)")
        }
        // Auto-tagging wins over manual tags (GA4's default).
        #expect(group("/?gclid=x&utm_source=newsletter&utm_medium=email") == "paid_search")
        // Manual tags: search source + medium matching ^(.*cp.*|ppc|retargeting|paid.*)$, any case.
        #expect(group("/?utm_source=google&utm_medium=cpc") == "paid_search")
        #expect(group("/?utm_source=Bing&utm_medium=PPC") == "paid_search")
        #expect(group("/?utm_source=google&utm_medium=paidsearch") == "paid_search")
    }

    @Test func social() {
        // Social-site referrers → Organic Social.
        for host in ["l.facebook.com", "www.instagram.com", "t.co", "twitter.com", "x.com", "www.linkedin.com",
                     "www.pinterest.com", "old.reddit.com", "www.tiktok.com"] {
            #expect(group("/", referrer: host) == "organic_social", "\(host)")
        }
        // utm_medium in GA4's social list.
        #expect(group("/?utm_source=mastodon-post&utm_medium=social") == "organic_social")
        // fbclid alone (in-app browser, referrer lost) is social, not paid.
        #expect(group("/?fbclid=IwAR123") == "organic_social")
        // Social source + paid medium → Paid Social, with or without fbclid.
        #expect(group("/?utm_source=facebook&utm_medium=paid_social&fbclid=IwAR1") == "paid_social")
        #expect(group("/?utm_source=ig&utm_medium=cpc") == "paid_social")
        // "bit.co" is not "t.co".
        #expect(group("/", referrer: "bit.co") == "referral")
    }

    @Test func emailAffiliatesDisplayVideoOther() {
        #expect(group("/?utm_source=newsletter&utm_medium=email") == "email")
        #expect(group("/?utm_source=e-mail") == "email")              // GA4: Source = email|e-mail|…
        #expect(group("/?utm_source=partner&utm_medium=affiliate") == "affiliates")
        #expect(group("/?utm_source=adnet&utm_medium=display") == "display")
        #expect(group("/?utm_source=adnet&utm_medium=cpm") == "display") // cpm is Display, listed before Paid Other
        #expect(group("/?utm_source=adnet&utm_medium=banner") == "display")
        #expect(group("/?utm_source=adnet&utm_medium=paid-xyz") == "paid_other")
        #expect(group("/?utm_source=adnet&utm_medium=ppc") == "paid_other")
        #expect(group("/?utm_source=adnet&utm_medium=retargeting") == "paid_other")
        // No Paid Video group in the default list: YouTube + cpc falls to Paid Other.
        #expect(group("/?utm_source=youtube&utm_medium=cpc") == "paid_other")
        #expect(group("/", referrer: "www.youtube.com") == "organic_video")
        #expect(group("/", referrer: "vimeo.com") == "organic_video")
        #expect(group("/?utm_source=vlog&utm_medium=video") == "organic_video")
    }

    @Test func referralDirectUnassigned() {
        #expect(group("/", referrer: "blog.example.org") == "referral")
        #expect(group("/?utm_source=partner&utm_medium=referral") == "referral")
        #expect(group("/") == "direct")
        // The site's own host (and subdomains of an internal entry) count as no referrer.
        #expect(group("/", referrer: "shop.example.com") == "direct")
        #expect(ChannelRules(internalHosts: ["Example.com"]).classify(page(0, "/", visitor: "v", referrer: "shop.example.com")) == "direct")
        // Tags GA4 does not know → Unassigned.
        #expect(group("/?utm_source=foo&utm_medium=bar") == "unassigned")
        #expect(group("/?utm_source=foo") == "unassigned")
        #expect(group("/?utm_campaign=spring") == "direct") // only a campaign name: source/medium stay direct
    }

    @Test func emailAndChatChannels() {
        let click = TP.make(at(1, 10, 0), .email, .emailClick, email: "a@x.com")
        #expect(rules.classify(click) == "email")
        let chat = TP.make(at(1, 10, 0), .chat, .chatStarted, chat: "c1")
        #expect(rules.classify(chat) == "chat")
    }

    @Test func trafficSource() {
        func src(_ target: String, _ ref: String? = nil) -> TrafficSource {
            rules.trafficSource(page(0, target, visitor: "v", referrer: ref))
        }
        #expect(src("/", "www.google.com") == TrafficSource(source: "www.google.com", medium: "organic", campaign: nil))
        #expect(src("/", "blog.example.org") == TrafficSource(source: "blog.example.org", medium: "referral", campaign: nil))
        #expect(src("/?gclid=1&utm_campaign=brand") == TrafficSource(source: "google", medium: "cpc", campaign: "brand"))
        #expect(src("/?utm_source=News&utm_campaign=x") == TrafficSource(source: "News", medium: "(not set)", campaign: "x"))
        #expect(src("/", "shop.example.com") == TrafficSource(source: "(direct)", medium: "(none)", campaign: nil))
    }

    @Test func rulesCanBePrependedAndPrinted() {
        var custom = ChannelRules.default
        custom.rules.insert(ChannelRule(channel: "partners",
                                        allOf: [ChannelCondition(field: .referrer, match: .suffix, values: ["Partner.Example"])],
                                        note: "our resellers"), at: 0)
        #expect(custom.classify(page(0, "/", visitor: "v", referrer: "www.partner.example")) == "partners")
        #expect(custom.classify(page(0, "/", visitor: "v", referrer: "www.google.com")) == "organic_search")
        #expect(custom != ChannelRules.default)
        #expect(custom.rules[0].description == "partners: referrer suffix [partner.example] — our resellers")
        let paid = ChannelRules.default.rules[3].description
        #expect(paid.hasPrefix("paid_search: source domain [google, bing"))
        #expect(paid.hasSuffix("and (medium contains [cp] or medium exact [ppc, retargeting] or medium prefix [paid]) — GA4 Paid Search"))
        #expect(ChannelRules.default.description.hasSuffix("otherwise: unassigned"))
        // A rule with no condition catches everything.
        let all = ChannelRules(rules: [ChannelRule(channel: "everything")])
        #expect(all.classify(page(0, "/", visitor: "v")) == "everything")
        #expect(ChannelRule(channel: "x").description == "x: any touchpoint")
    }

    @Test func everyDefaultRuleIsReachable() {
        // One touchpoint per rule of the default table, in table order, each classified by it.
        let samples: [Touchpoint] = [
            TP.make(0, .email, .emailOpen, email: "a@x.com"),
            TP.make(0, .chat, .chatStarted, chat: "c"),
            page(0, "/?gclid=1", visitor: "v"),
            page(0, "/?utm_source=google&utm_medium=cpc", visitor: "v"),
            page(0, "/?utm_source=facebook&utm_medium=paid_social", visitor: "v"),
            page(0, "/?utm_source=adnet&utm_medium=display", visitor: "v"),
            page(0, "/?utm_source=adnet&utm_medium=paid-xyz", visitor: "v"),
            page(0, "/", visitor: "v", referrer: "l.facebook.com"),
            page(0, "/", visitor: "v", referrer: "m.youtube.com"),
            page(0, "/", visitor: "v", referrer: "www.google.com"),
            page(0, "/", visitor: "v", referrer: "blog.example.org"),
            page(0, "/?utm_source=newsletter&utm_medium=email", visitor: "v"),
            page(0, "/?utm_medium=affiliate&utm_source=x", visitor: "v"),
            page(0, "/", visitor: "v"),
        ]
        let table = ChannelRules.default.rules
        #expect(samples.count == table.count)
        for (i, t) in samples.enumerated() {
            let f = ChannelRules.default.fields(t)
            #expect(table.firstIndex { $0.matches(f) } == i, "rule \(i + 1): \(table[i].channel)")
        }
        #expect(Set(table.map(\.channel)).isSubset(of: Set(ChannelRules.defaultGroups)))
    }
}
