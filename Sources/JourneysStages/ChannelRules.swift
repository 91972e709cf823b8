import JourneysCore

/// The touchpoint field a `ChannelCondition` looks at.
///
/// Values are compared in lower case. `source` and `medium` are the traffic source and medium as
/// `ChannelRules.trafficSource(_:)` derives them (Google Analytics' session source / medium).
public enum ChannelField: String, Sendable, Hashable, CaseIterable {
    /// The touchpoint's channel: `web`, `email`, `chat`.
    case channel
    /// `utm_source`; else the click id's ad network (`google`, `bing`); else the referrer host; else `(direct)`.
    case source
    /// `utm_medium`; else `cpc` for an ad click id; else `organic` (search-engine referrer) or `referral`; else `(none)`.
    case medium
    /// `utm_campaign`.
    case campaign
    /// The referrer host, absent when it is one of `internalHosts`.
    case referrer
    /// The click id parameter's name (`gclid`, `fbclid`, `msclkid`, …).
    case clickID = "click_id"
}

/// How a condition compares a field's value with its list (always ignoring ASCII case).
public enum MatchKind: String, Sendable, Hashable, CaseIterable {
    case exact, prefix, suffix, contains
    /// Host-style match: the value's dot-separated labels contain the pattern's labels as a
    /// consecutive run, so `google` matches `google`, `www.google.co.uk` and `google.com` but
    /// not `googleusercontent.com`, and `t.co` matches `t.co` but not `reddit.com`.
    case domain
}

/// One condition of a channel rule: `field` matches (`match`) one of `values`.
///
/// A field the touchpoint does not have (no referrer, no click id, no `utm_campaign`) matches
/// no condition.
public struct ChannelCondition: Sendable, Hashable, CustomStringConvertible {
    public var field: ChannelField
    public var match: MatchKind
    /// The patterns, lower-cased (ASCII) by the initializer: matching ignores ASCII case, as GA4 does.
    public private(set) var values: [String]
    /// `values` as UTF-8, for matching without building strings.
    private var patterns: [[UInt8]]

    public init(field: ChannelField, match: MatchKind, values: [String]) {
        self.field = field
        self.match = match
        patterns = values.map { ChannelRules.Fields.lower($0)! }
        self.values = patterns.map { String(decoding: $0, as: UTF8.self) }
    }

    /// Whether `value` (lower-cased UTF-8) matches one of the patterns.
    func matches(_ value: [UInt8]?) -> Bool {
        guard let value else { return false }
        switch match {
        case .exact: return patterns.contains { $0 == value }
        case .prefix: return patterns.contains { value.starts(with: $0) }
        case .suffix: return patterns.contains { value.count >= $0.count && value[(value.count - $0.count)...].elementsEqual($0) }
        case .contains: return patterns.contains { Self.find($0, in: value, labels: false) }
        case .domain: return patterns.contains { Self.find($0, in: value, labels: true) }
        }
    }

    /// Whether `p` occurs in `v`; with `labels`, only as whole dot-separated labels.
    static func find(_ p: [UInt8], in v: [UInt8], labels: Bool) -> Bool {
        if p.isEmpty { return !labels }
        guard v.count >= p.count else { return false }
        var i = 0
        while i + p.count <= v.count {
            if v[i] == p[0], !labels || i == 0 || v[i - 1] == 46, !labels || i + p.count == v.count || v[i + p.count] == 46 {
                var j = 1
                while j < p.count, v[i + j] == p[j] { j += 1 }
                if j == p.count { return true }
            }
            i += 1
        }
        return false
    }

    /// `source domain [google, bing]`.
    public var description: String {
        "\(field.rawValue) \(match.rawValue) [\(values.joined(separator: ", "))]"
    }
}

/// One row of the channel table: the touchpoint belongs to `channel` when every `allOf`
/// condition holds and, if `anyOf` is not empty, at least one `anyOf` condition holds.
///
/// A rule with neither matches every touchpoint (a catch-all).
public struct ChannelRule: Sendable, Hashable, CustomStringConvertible {
    /// The channel group, e.g. `paid_search`.
    public var channel: String
    public var allOf: [ChannelCondition]
    public var anyOf: [ChannelCondition]
    /// Why the rule exists (shown in `description`), e.g. `GA4 "Paid Search"`.
    public var note: String?

    public init(channel: String, allOf: [ChannelCondition] = [], anyOf: [ChannelCondition] = [], note: String? = nil) {
        self.channel = channel
        self.allOf = allOf
        self.anyOf = anyOf
        self.note = note
    }

    func matches(_ f: ChannelRules.Fields) -> Bool {
        for c in allOf where !c.matches(f[c.field]) { return false }
        if anyOf.isEmpty { return true }
        for c in anyOf where c.matches(f[c.field]) { return true }
        return false
    }

    /// `paid_search: source domain [google, …] and (medium contains [cp] or medium exact [ppc, retargeting] or …)`.
    public var description: String {
        var parts: [String] = allOf.map(\.description)
        if anyOf.count == 1 {
            parts.append(anyOf[0].description)
        } else if !anyOf.isEmpty {
            parts.append("(" + anyOf.map(\.description).joined(separator: " or ") + ")")
        }
        var s = "\(channel): " + (parts.isEmpty ? "any touchpoint" : parts.joined(separator: " and "))
        if let note { s += " — \(note)" }
        return s
    }
}

/// A session's traffic source, as Google Analytics 4 would report it.
public struct TrafficSource: Sendable, Hashable {
    /// `utm_source`, the ad network of a click id, the referrer host or `(direct)`; for email and
    /// chat touchpoints the campaign source as the reader found it (nil when it has none).
    public var source: String?
    /// `utm_medium`, `cpc`, `organic`, `referral` or `(none)` (`(not set)` when only `utm_source`
    /// is given); for email and chat touchpoints the reader's campaign medium, if any.
    public var medium: String?
    /// `utm_campaign` (an email's campaign for email touchpoints).
    public var campaign: String?

    public init(source: String?, medium: String?, campaign: String?) {
        self.source = source
        self.medium = medium
        self.campaign = campaign
    }
}

/// GA4-style default channel groups as an ordered rule table: the first rule that matches a
/// touchpoint names its channel group, `fallback` (`unassigned`) when none does.
///
/// The table is data: a pipeline file can replace `rules`, put its own rules in front of them
/// and name `internalHosts`; `description` prints it. The default (`ChannelRules.default`)
/// follows Google Analytics 4's documented default channel group definitions (support.google.com
/// /analytics/answer/9756891), evaluated on GA4's session source / medium (see
/// `trafficSource(_:)`), with these decisions:
/// - Touchpoints of the `email` channel (ESP opens and clicks) are `email`, and of the `chat`
///   channel `chat` — a group GA4 does not have, for sessions a chat opens.
/// - Ad click ids come first: `gclid`, `gbraid`, `wbraid`, `dclid` (Google) and `msclkid`
///   (Microsoft) are `paid_search` even when the URL also has utm tags (GA4's default, where
///   auto-tagging overrides manual tags). `fbclid` is not an ad click — Facebook appends it to
///   every outbound link — so alone it is `organic_social`; with paid utm tags the paid rule wins.
/// - GA4's Cross-network, Paid/Organic Shopping, Paid Video, Audio, SMS and Mobile Push groups
///   are not in the default list: such traffic falls into the group the remaining rules give
///   (usually `paid_other`, `display` or `unassigned`); prepend rules to have them.
/// - Direct (no utm tags, no click id, no referrer or an internal one) is evaluated last but
///   one, after the `fbclid` rule, so a Facebook in-app click that lost its referrer stays social.
/// - Source lists are matched as domains (`MatchKind.domain`), not GA4's internal regex lists.
public struct ChannelRules: Sendable, Equatable {
    /// The table, first match wins.
    public var rules: [ChannelRule]
    /// Referrer hosts that are the site itself (a host matches an entry equal to it or a parent
    /// domain of it: `example.com` covers `shop.example.com`); such a referrer counts as none.
    public var internalHosts: [String]
    /// The group of a touchpoint no rule matches.
    public var fallback: String

    public init(rules: [ChannelRule] = ChannelRules.defaultRules, internalHosts: [String] = [], fallback: String = "unassigned") {
        self.rules = rules
        self.internalHosts = internalHosts.map { $0.lowercased() }
        self.fallback = fallback
    }

    public static let `default` = ChannelRules()

    /// The extra group of sessions a chat opens.
    public static let chatGroup = "chat"

    /// Every group the default table can give, in the issue's order, plus `chat`.
    public static let defaultGroups = ["organic_search", "paid_search", "organic_social", "paid_social", "email", "referral",
                                       "direct", "affiliates", "display", "organic_video", "paid_other", "unassigned", chatGroup]

    // MARK: Site lists

    /// Search engines (domain match): a referrer from one is `organic` medium and `organic_search`.
    public static let searchSites = [
        "google", "bing", "yahoo", "duckduckgo", "baidu", "yandex", "ya.ru", "ecosia", "ask", "aol", "naver", "seznam",
        "qwant", "startpage", "search.brave.com", "sogou", "so.com", "daum", "msn", "kagi",
    ]
    /// Social networks (domain match), including utm_source spellings such as `fb` and `ig`.
    public static let socialSites = [
        "facebook", "fb", "instagram", "ig", "messenger", "t.co", "twitter", "x.com", "linkedin", "lnkd.in", "pinterest",
        "pin.it", "reddit", "tiktok", "snapchat", "quora", "tumblr", "vk.com", "weibo", "threads.net", "whatsapp",
        "telegram", "t.me", "discord", "mastodon.social", "bsky.app", "xing", "line.me", "nextdoor",
    ]
    /// Video sites (domain match).
    public static let videoSites = ["youtube", "youtu.be", "vimeo", "twitch", "dailymotion", "wistia"]

    /// Google's and Microsoft's ad click ids (auto-tagging), with the source they imply.
    public static let adClickIDs: [(kind: String, source: String)] = [
        ("gclid", "google"), ("gbraid", "google"), ("wbraid", "google"), ("dclid", "google"), ("msclkid", "bing"),
    ]

    /// GA4's paid medium: `^(.*cp.*|ppc|retargeting|paid.*)$`.
    static let paidMedium: [ChannelCondition] = [
        ChannelCondition(field: .medium, match: .contains, values: ["cp"]),
        ChannelCondition(field: .medium, match: .exact, values: ["ppc", "retargeting"]),
        ChannelCondition(field: .medium, match: .prefix, values: ["paid"]),
    ]
    static let searchCondition = ChannelCondition(field: .source, match: .domain, values: searchSites)
    static let emailNames = ["email", "e-mail", "e_mail", "e mail"]

    /// The default table (see the type's documentation for where it departs from GA4).
    public static let defaultRules: [ChannelRule] = [
        ChannelRule(channel: "email", allOf: [ChannelCondition(field: .channel, match: .exact, values: ["email"])],
                    note: "email events (opens, clicks) open email sessions"),
        ChannelRule(channel: chatGroup, allOf: [ChannelCondition(field: .channel, match: .exact, values: ["chat"])],
                    note: "chat events open chat sessions (not a GA4 group)"),
        ChannelRule(channel: "paid_search", allOf: [ChannelCondition(field: .clickID, match: .exact, values: adClickIDs.map(\.kind))],
                    note: "Google / Microsoft Ads auto-tagging; wins over utm tags"),
        ChannelRule(channel: "paid_search", allOf: [ChannelCondition(field: .source, match: .domain, values: searchSites)],
                    anyOf: paidMedium, note: "GA4 Paid Search"),
        ChannelRule(channel: "paid_social", allOf: [ChannelCondition(field: .source, match: .domain, values: socialSites)],
                    anyOf: paidMedium, note: "GA4 Paid Social"),
        ChannelRule(channel: "display",
                    allOf: [ChannelCondition(field: .medium, match: .exact, values: ["display", "banner", "expandable", "interstitial", "cpm"])],
                    note: "GA4 Display"),
        ChannelRule(channel: "paid_other", anyOf: paidMedium, note: "GA4 Paid Other (and Paid Video / Paid Shopping here)"),
        ChannelRule(channel: "organic_social", anyOf: [
            ChannelCondition(field: .source, match: .domain, values: socialSites),
            ChannelCondition(field: .medium, match: .exact, values: ["social", "social-network", "social-media", "sm", "social network", "social media"]),
            ChannelCondition(field: .clickID, match: .exact, values: ["fbclid"]),
        ], note: "GA4 Organic Social; fbclid without paid tags is social, not paid"),
        ChannelRule(channel: "organic_video", anyOf: [
            ChannelCondition(field: .source, match: .domain, values: videoSites),
            ChannelCondition(field: .medium, match: .contains, values: ["video"]),
        ], note: "GA4 Organic Video"),
        ChannelRule(channel: "organic_search", anyOf: [
            ChannelCondition(field: .source, match: .domain, values: searchSites),
            ChannelCondition(field: .medium, match: .exact, values: ["organic"]),
        ], note: "GA4 Organic Search"),
        ChannelRule(channel: "referral", allOf: [ChannelCondition(field: .medium, match: .exact, values: ["referral", "app", "link"])],
                    note: "GA4 Referral: any other referrer"),
        ChannelRule(channel: "email", anyOf: [
            ChannelCondition(field: .source, match: .exact, values: emailNames),
            ChannelCondition(field: .medium, match: .exact, values: emailNames),
        ], note: "GA4 Email"),
        ChannelRule(channel: "affiliates", allOf: [ChannelCondition(field: .medium, match: .exact, values: ["affiliate", "affiliates"])],
                    note: "GA4 Affiliates"),
        ChannelRule(channel: "direct", allOf: [
            ChannelCondition(field: .source, match: .exact, values: ["(direct)"]),
            ChannelCondition(field: .medium, match: .exact, values: ["(none)", "(not set)"]),
        ], note: "GA4 Direct: no tags, no click id, no outside referrer"),
    ]

    // MARK: Classifying

    /// The values the conditions look at, as lower-cased UTF-8.
    struct Fields {
        var channel: [UInt8]
        var source: [UInt8]?
        var medium: [UInt8]?
        var campaign: [UInt8]?
        var referrer: [UInt8]?
        var clickID: [UInt8]?

        subscript(f: ChannelField) -> [UInt8]? {
            switch f {
            case .channel: channel
            case .source: source
            case .medium: medium
            case .campaign: campaign
            case .referrer: referrer
            case .clickID: clickID
            }
        }

        static func lower(_ s: String?) -> [UInt8]? {
            guard let s else { return nil }
            return s.utf8.map { $0 &- 65 < 26 ? $0 | 0x20 : $0 }
        }
    }

    /// Whether `host` is one of `internalHosts` or a subdomain of one.
    public func isInternal(_ host: String) -> Bool {
        internalHosts.contains { host == $0 || host.hasSuffix("." + $0) }
    }

    /// The referrer host, or nil when there is none or it is internal.
    func outsideReferrer(_ t: Touchpoint) -> String? {
        guard let h = t.referrerHost, !h.isEmpty, h != "-", !isInternal(h) else { return nil }
        return h
    }

    /// The session source / medium / campaign a touchpoint gives, as GA4 derives them for web
    /// traffic: utm tags when `utm_source` or `utm_medium` is present (the missing one is
    /// `(not set)`); else an ad click id's network with medium `cpc`; else an outside referrer's
    /// host with medium `organic` (a search engine of `searchSites`) or `referral`; else
    /// `(direct)` / `(none)`. Touchpoints of other channels keep the reader's campaign fields.
    /// Values keep their case.
    public func trafficSource(_ t: Touchpoint) -> TrafficSource {
        let c = t.campaign
        guard t.channel == .web else { return TrafficSource(source: c.source, medium: c.medium, campaign: c.name) }
        if c.source != nil || c.medium != nil {
            return TrafficSource(source: c.source ?? "(not set)", medium: c.medium ?? "(not set)", campaign: c.name)
        }
        if let k = t.clickID?.kind.lowercased(), let ad = Self.adClickIDs.first(where: { $0.kind == k }) {
            return TrafficSource(source: ad.source, medium: "cpc", campaign: c.name)
        }
        if let host = outsideReferrer(t) {
            let search = Self.searchCondition.matches(Fields.lower(host))
            return TrafficSource(source: host, medium: search ? "organic" : "referral", campaign: c.name)
        }
        return TrafficSource(source: "(direct)", medium: "(none)", campaign: c.name)
    }

    func fields(_ t: Touchpoint) -> Fields {
        let s = trafficSource(t)
        return Fields(channel: Array(t.channel.rawValue.utf8), source: Fields.lower(s.source), medium: Fields.lower(s.medium),
                      campaign: Fields.lower(s.campaign), referrer: Fields.lower(outsideReferrer(t)),
                      clickID: Fields.lower(t.clickID?.kind))
    }

    /// The channel group of a touchpoint (for a session: of its first touchpoint).
    public func classify(_ t: Touchpoint) -> String {
        let f = fields(t)
        for r in rules where r.matches(f) { return r.channel }
        return fallback
    }

    /// The table, one numbered rule per line, then the fallback.
    public var description: String {
        var lines = rules.enumerated().map { "\($0.offset + 1). \($0.element.description)" }
        lines.append("otherwise: \(fallback)")
        if !internalHosts.isEmpty { lines.append("internal hosts: \(internalHosts.joined(separator: ", "))") }
        return lines.joined(separator: "\n")
    }
}
