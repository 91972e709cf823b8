import Foundation
import JourneysCore
import JourneysPipeline
import JourneysReaders
import Testing

// Expected times are worked out by hand from the fixture text:
//   2026-10-10T00:00:00Z = 20,736 days after 1970-01-01 (56 years × 365 + 14 leap days = 20,454 to
//   2026-01-01, + 273 days Jan–Sep + 9) = 1,791,590,400 s; 2026-10-11 = 1,791,676,800 s;
//   2026-10-12 = 1,791,763,200 s. A local time with offset +0200 is 2 h earlier in UTC, -0400 is
//   4 h later, -0700 is 7 h later.

/// The IP + user-agent fallback key (see `fallback` in Conformance.swift).
private func fallbackKey(ip: String, ua: String) -> String { fallback(ip, ua) }

private func touchpoint(_ o: ReadOutcome, line: Int64, sourceLocation: SourceLocation = #_sourceLocation) -> Touchpoint? {
    let t = o.touchpoints.first { $0.origin.line == line }
    #expect(t != nil, "no touchpoint for line \(line)", sourceLocation: sourceLocation)
    return t
}

private func query(_ t: Touchpoint) -> [String] { t.query.map { "\($0.name)=\($0.value)" } }

private func options(logFormat: String?) -> ReaderOptions {
    var o = ReaderOptions()
    o.logFormat = logFormat
    return o
}

/// Reads lines given as text with the `nginx` reader and `logFormat`.
private func readNginx(_ lines: [String], logFormat: String?) throws -> ReadOutcome {
    try read(Array((lines.joined(separator: "\n") + "\n").utf8), format: "nginx", options: options(logFormat: logFormat))
}

private let chrome = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/129.0.0.0 Safari/537.36"
private let iphone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Mobile/15E148 Safari/604.1"
private let android = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/129.0.6668.81 Mobile Safari/537.36"
private let firefoxLinux = "Mozilla/5.0 (X11; Linux x86_64; rv:131.0) Gecko/20100101 Firefox/131.0"

/// The log_format of fixtures/web/custom.log (also in fixtures/web/custom.log_format.txt).
private let customFormat =
    #"$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" $cookie_visitor_id $cookie_customer_id $request_time"#

@Suite("NginxAccessReader")
struct NginxAccessReaderTests {
    // MARK: combined fixture

    @Test func combinedFixtureConformsAndCounts() throws {
        let o = try expectConformance(fixture("web/access.log"), format: "combined")
        #expect(o.lines == 30)
        #expect(o.touchpoints.count == 19)
        #expect(o.skips[.bot] == 3)   // lines 5 (Googlebot), 20 (bingbot), 23 (UptimeRobot)
        #expect(o.skips[.asset] == 4) // lines 2 (.css), 9 (.png), 17 (.js), 27 (.woff2)
        #expect(o.skips[.ignored] == 2) // lines 18 (request "-", 400), 24 (TLS handshake bytes on port 80)
        #expect(o.skips.total == 9)
        #expect(o.rejects.map { "\($0.origin.line):\($0.reason.rawValue)" } == ["13:malformed", "16:bad_timestamp"])
        #expect(o.touchpoints.allSatisfy { $0.channel == .web && $0.action == .pageView })
    }

    @Test func gzippedFixtureReadsLikeThePlainOne() throws {
        let plain = try read(fixture("web/access.log"), format: "combined")
        let gz = try read(fixture("web/access.log.gz"), format: "combined")
        #expect(gz.damage == nil)
        #expect(gz == plain)
    }

    @Test func nginxWithoutLogFormatReadsCombined() throws {
        let combined = try read(fixture("web/access.log"), format: "combined")
        let nginx = try read(fixture("web/access.log"), format: "nginx")
        #expect(nginx == combined)
    }

    @Test func utmCampaignWithPlusAndPercentTwenty() throws {
        let o = try read(fixture("web/access.log"), format: "combined")
        let t = try #require(touchpoint(o, line: 1))
        // 10/Oct/2026:09:14:03 +0200 = 07:14:03Z = 1,791,590,400 + 26,043 s
        #expect(t.time == 1_791_616_443_000)
        #expect(t.path == "/")
        #expect(query(t) == ["utm_source=newsletter", "utm_medium=email", "utm_campaign=autumn sale now"])
        #expect(t.campaign == Campaign(source: "newsletter", medium: "email", name: "autumn sale now"))
        #expect(t.referrerHost == "mail.example.net")
        #expect(t.status == 200)
        #expect(t.device == .desktop)
        #expect(t.responseTimeMs == nil)
        #expect(t.clickID == nil)
        #expect(t.keys.visitor == fallbackKey(ip: "198.51.100.23", ua: chrome))
        #expect(t.keys.visitorIsFallback)
        #expect(t.keys.customer == nil)
        #expect(t.origin.line == 1 && t.origin.offset == 0)
    }

    @Test func gclidKeepsItsCaseAndMobileDevice() throws {
        let o = try read(fixture("web/access.log"), format: "combined")
        let t = try #require(touchpoint(o, line: 4))
        // 10/Oct/2026:10:02:11 +0200 = 08:02:11Z = 1,791,590,400 + 28,931 s
        #expect(t.time == 1_791_619_331_000)
        #expect(t.path == "/products/boots")
        #expect(t.clickID == ClickID(kind: "gclid", value: "EAIaIQobChMI8Zx-Ab3c_QIVkOd3Ch0XYz9AEAAYASAAEgK4pfD_BwE"))
        #expect(t.referrerHost == "www.google.com")
        #expect(t.device == .mobile)
        #expect(t.campaign.isEmpty)
    }

    @Test func serverErrorAndCheckoutValue() throws {
        let o = try read(fixture("web/access.log"), format: "combined")
        let failed = try #require(touchpoint(o, line: 6))
        #expect(failed.status == 502)
        #expect(failed.path == "/cart/add")
        #expect(failed.time == 1_791_619_590_000) // 08:06:30Z
        #expect(failed.referrerHost == "shop.example.com")

        let order = try #require(touchpoint(o, line: 8))
        #expect(order.time == 1_791_619_965_000) // 10:12:45 +0200 = 08:12:45Z
        #expect(order.path == "/checkout/complete")
        #expect(order.value == 59.90)
        #expect(order.currency == "EUR")
        #expect(order.status == 200)

        let other = try #require(touchpoint(o, line: 22))
        #expect(other.status == 500)
        #expect(other.time == 1_791_699_245_000) // 11/Oct 02:14:05 -0400 = 06:14:05Z = 1,791,676,800 + 22,445 s
        #expect(try #require(touchpoint(o, line: 28)).status == 404)
        #expect(try #require(touchpoint(o, line: 19)).status == 304)
    }

    @Test func fallbackKeysFollowIPAndUserAgent() throws {
        let o = try read(fixture("web/access.log"), format: "combined")
        let l1 = try #require(touchpoint(o, line: 1)), l3 = try #require(touchpoint(o, line: 3))
        let l19 = try #require(touchpoint(o, line: 19))
        let l4 = try #require(touchpoint(o, line: 4)), l8 = try #require(touchpoint(o, line: 8))
        // Same IP and user agent: one key.
        #expect(l1.keys.visitor == l3.keys.visitor)
        #expect(l4.keys.visitor == l8.keys.visitor)
        #expect(l4.keys.visitor == fallbackKey(ip: "203.0.113.77", ua: iphone))
        // Same IP (198.51.100.23), another user agent (Firefox on Linux): another key.
        #expect(l19.keys.visitor != l1.keys.visitor)
        #expect(l19.keys.visitor == fallbackKey(ip: "198.51.100.23", ua: firefoxLinux))
        for t in [l1, l3, l4, l8, l19] {
            #expect(t.keys.visitor?.hasPrefix("ipua-") == true)
            #expect(t.keys.visitorIsFallback)
        }
        #expect(l19.time == 1_791_697_510_000) // 11/Oct 07:45:10 +0200 = 05:45:10Z
    }

    @Test func escapedQuotesInUserAgents() throws {
        let o = try read(fixture("web/access.log"), format: "combined")
        // nginx writes `"` as \x22.
        let nginx = try #require(touchpoint(o, line: 10))
        let decodedNginx = #"Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:131.0) Gecko/20100101 Firefox/131.0 (via "CorpProxy")"#
        #expect(nginx.keys.visitor == fallbackKey(ip: "192.0.2.14", ua: decodedNginx))
        #expect(nginx.time == 1_791_624_600_000) // 11:30:00 +0200 = 09:30:00Z
        #expect(nginx.referrerHost == "duckduckgo.com")
        #expect(nginx.device == .desktop)
        // Apache writes `"` as \".
        let apache = try #require(touchpoint(o, line: 11))
        let decodedApache = #"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Safari/605.1.15 "Kiosk""#
        #expect(apache.keys.visitor == fallbackKey(ip: "192.0.2.200", ua: decodedApache))
        #expect(apache.time == 1_791_636_312_000) // 08:45:12 -0400 = 12:45:12Z
        #expect(apache.referrerHost == nil)       // "-"
        #expect(apache.path == "/contact")
    }

    @Test func identityFromUserParamsAndEmail() throws {
        let o = try read(fixture("web/access.log"), format: "combined")
        let alice = try #require(touchpoint(o, line: 12))
        #expect(alice.keys.customer == "alice")
        #expect(alice.keys.visitor == nil)
        #expect(!alice.keys.visitorIsFallback)
        #expect(alice.time == 1_791_636_602_000) // 08:50:02 -0400 = 12:50:02Z

        let fromEmail = try #require(touchpoint(o, line: 14))
        #expect(fromEmail.keys.customer == "C-1001")
        #expect(fromEmail.keys.visitor == nil)
        #expect(fromEmail.campaign == Campaign(source: "newsletter", medium: "email"))
        #expect(fromEmail.time == 1_791_649_200_000) // 18:20:00 +0200 = 16:20:00Z

        let buyer = try #require(touchpoint(o, line: 25))
        #expect(buyer.keys.email == "ana.silva@example.com")
        #expect(buyer.keys.visitor == nil)
        #expect(buyer.value == 24.5)
        #expect(buyer.currency == "EUR")
        #expect(buyer.time == 1_791_714_600_000) // 11/Oct 12:30:00 +0200 = 10:30:00Z
    }

    @Test func paidSocialAndPaidSearchClicks() throws {
        let o = try read(fixture("web/access.log"), format: "combined")
        let social = try #require(touchpoint(o, line: 15))
        #expect(social.campaign == Campaign(source: "facebook", medium: "paid_social", name: "scarves_q4", term: "wool scarf"))
        #expect(social.clickID == ClickID(kind: "fbclid", value: "IwAR2xK9mPq"))
        #expect(social.referrerHost == "m.facebook.com")
        #expect(social.device == .mobile)
        #expect(social.keys.visitor == fallbackKey(ip: "198.51.100.61", ua: android))
        #expect(social.time == 1_791_651_753_000) // 19:02:33 +0200 = 17:02:33Z

        let search = try #require(touchpoint(o, line: 21))
        #expect(search.device == .tablet)
        #expect(search.clickID == ClickID(kind: "msclkid", value: "3f2a9b8c7d6e4f10a1b2c3d4e5f60718"))
        #expect(search.campaign == Campaign(source: "bing", medium: "cpc"))
        #expect(query(search).first == "q=rain jacket")
        #expect(search.path == "/search")
        #expect(search.time == 1_791_699_044_000) // 11/Oct 02:10:44 -0400 = 06:10:44Z

        let caseKept = try #require(touchpoint(o, line: 28))
        #expect(caseKept.campaign == Campaign(source: "Newsletter", medium: "Email"))
        let winter = try #require(touchpoint(o, line: 30))
        #expect(winter.campaign.name == "winter preview")
        #expect(winter.time == 1_791_734_477_000) // 11/Oct 18:01:17 +0200 = 16:01:17Z
    }

    @Test func rejectDetailsNameTheField() throws {
        let o = try read(fixture("web/access.log"), format: "combined")
        let byLine = Dictionary(uniqueKeysWithValues: o.rejects.map { ($0.origin.line, $0) })
        #expect(byLine[13]?.detail.contains("$time_local") == true) // cut after "[10/Oct/2026:21:0"
        #expect(byLine[16]?.detail == #"$time_local "31/Sep/2026:12:00:00 +0200" is not a valid time"#)
        let line13 = try fixture("web/access.log").split(separator: 10)[12]
        #expect(byLine[13]?.raw == Array(line13))
    }

    @Test func botsAndAssetsAreKeptWhenAskedTo() throws {
        var opts = ReaderOptions()
        opts.skipBots = false
        opts.skipAssets = false
        let o = try read(fixture("web/access.log"), format: "combined", options: opts)
        #expect(o.touchpoints.count == 26)
        #expect(o.skips.total == 2) // lines 18 and 24: no page requests, whatever the options
        let googlebot = try #require(touchpoint(o, line: 5))
        #expect(googlebot.path == "/products/boots")
        let css = try #require(touchpoint(o, line: 2))
        #expect(css.path == "/css/site.css")
        #expect(query(css) == ["v=42"])
    }

    // MARK: custom log_format fixture

    @Test func customFormatFileMatchesTheTest() throws {
        let text = String(decoding: try fixture("web/custom.log_format.txt"), as: UTF8.self)
        let formatLines = text.split(separator: "\n").filter { !$0.hasPrefix("#") }
        #expect(formatLines == [Substring(customFormat)])
        #expect(text.contains("log_format journeys '\(customFormat)';"))
    }

    @Test func customFixtureConformsAndCounts() throws {
        let o = try expectConformance(fixture("web/custom.log"), format: "nginx", options: options(logFormat: customFormat))
        #expect(o.lines == 12)
        #expect(o.touchpoints.count == 9)
        #expect(o.skips[.asset] == 1) // line 3
        #expect(o.skips[.bot] == 1)   // line 7
        #expect(o.rejects.map { "\($0.origin.line):\($0.reason.rawValue)" } == ["10:malformed"])
        #expect(o.rejects.first?.detail == #"$status "abc" is not a number"#)
    }

    @Test func customFixtureCookiesAndRequestTime() throws {
        let o = try read(fixture("web/custom.log"), format: "nginx", options: options(logFormat: customFormat))
        let first = try #require(touchpoint(o, line: 1))
        #expect(first.time == 1_791_788_401_000) // 12/Oct 09:00:01 +0200 = 07:00:01Z = 1,791,763,200 + 25,201 s
        #expect(first.keys == IdentityKeys(visitor: "v-7f3a9c21"))
        #expect(first.responseTimeMs == 42)
        #expect(first.clickID == ClickID(kind: "gclid", value: "Cj0KCQjw-AbCdEf"))
        #expect(first.campaign == Campaign(source: "google", medium: "cpc"))
        #expect(first.referrerHost == "www.google.com")

        let second = try #require(touchpoint(o, line: 2))
        #expect(second.responseTimeMs == 118)
        #expect(second.time == 1_791_788_475_000) // 07:01:15Z

        let login = try #require(touchpoint(o, line: 4))
        #expect(login.keys == IdentityKeys(visitor: "v-7f3a9c21", customer: "C-1001"))
        #expect(login.status == 302)
        #expect(login.responseTimeMs == 201)
        #expect(login.time == 1_791_788_690_000) // 07:04:50Z

        let order = try #require(touchpoint(o, line: 5))
        #expect(order.responseTimeMs == 1500) // "1.5" s
        #expect(order.value == 129.0)
        #expect(order.currency == "EUR")
        #expect(order.time == 1_791_788_762_000) // 07:06:02Z

        let anonymous = try #require(touchpoint(o, line: 6)) // both cookies "-"
        #expect(anonymous.keys.visitor == fallbackKey(ip: "203.0.113.50", ua: iphone))
        #expect(anonymous.keys.visitorIsFallback)
        #expect(anonymous.responseTimeMs == 7)
        #expect(anonymous.time == 1_791_792_000_000) // 08:00:00Z

        let placeholder = try #require(touchpoint(o, line: 8)) // customer cookie "anonymous" is a placeholder
        #expect(placeholder.keys == IdentityKeys(visitor: "v-1b2c3d4e"))
        #expect(placeholder.device == .tablet)
        #expect(placeholder.responseTimeMs == 85)

        let slow = try #require(touchpoint(o, line: 9))
        #expect(slow.status == 504)
        #expect(slow.responseTimeMs == 30_001)
        #expect(slow.time == 1_791_792_962_000) // 08:16:02Z

        let cookieBeatsUser = try #require(touchpoint(o, line: 11)) // $remote_user bob, cookie C-3003
        #expect(cookieBeatsUser.keys == IdentityKeys(visitor: "v-9d8e7f60", customer: "C-3003"))
        #expect(cookieBeatsUser.time == 1_791_796_845_000) // 09:20:45Z

        let percentEncoded = try #require(touchpoint(o, line: 12)) // cookie value C%2D3003
        #expect(percentEncoded.keys.customer == "C-3003")
        #expect(percentEncoded.time == 1_791_796_930_000) // 09:22:10Z
    }

    // MARK: common fixture

    @Test func commonFixture() throws {
        let o = try expectConformance(fixture("web/common.log"), format: "common")
        #expect(o.lines == 6)
        #expect(o.touchpoints.count == 5)
        #expect(o.skips[.asset] == 1) // /images/header.gif
        #expect(o.rejects.isEmpty)
        let first = try #require(touchpoint(o, line: 1))
        #expect(first.time == 1_791_665_736_000) // 13:55:36 -0700 = 20:55:36Z = 1,791,590,400 + 75,336 s
        #expect(first.path == "/index.html")
        #expect(first.device == .unknown)
        #expect(first.referrerHost == nil)
        #expect(first.keys.visitor == fallbackKey(ip: "192.0.2.33", ua: ""))
        #expect(try #require(touchpoint(o, line: 2)).keys == IdentityKeys(customer: "frank"))
        let missing = try #require(touchpoint(o, line: 4))
        #expect(missing.status == 404)
        #expect(missing.time == 1_791_666_131_000) // 14:02:11 -0700 = 21:02:11Z
        #expect(query(missing) == ["page=2"])
        #expect(try #require(touchpoint(o, line: 5)).status == 500) // bytes "-"
        let order = try #require(touchpoint(o, line: 6))
        #expect(order.value == 12.0)
        #expect(order.currency == "USD")
    }

    // MARK: sniffing

    @Test func sniffers() throws {
        let combined = try #require(ReaderRegistry.descriptor(named: "combined")?.sniff)
        let common = try #require(ReaderRegistry.descriptor(named: "common")?.sniff)
        #expect(ReaderRegistry.descriptor(named: "nginx")?.sniff == nil)
        func lines(_ file: String) throws -> [[UInt8]] {
            try fixture(file).split(separator: 10, omittingEmptySubsequences: true).map(Array.init)
        }
        let access = try lines("web/access.log")
        let wellFormed = access.enumerated().filter { ![12, 23].contains($0.offset) }.map(\.element) // lines 13 and 24
        for l in wellFormed {
            #expect(l.withUnsafeBufferPointer(combined), "\(String(decoding: l, as: UTF8.self))")
            #expect(!l.withUnsafeBufferPointer(common))
        }
        #expect(!access[12].withUnsafeBufferPointer(combined)) // truncated
        for l in try lines("web/common.log") {
            #expect(l.withUnsafeBufferPointer(common))
            #expect(!l.withUnsafeBufferPointer(combined))
        }
        for other in [#"{"time":"2026-10-10T09:14:03+02:00","status":200}"#, "#Fields: date time c-ip", "hello world", ""] {
            let b = Array(other.utf8)
            #expect(!b.withUnsafeBufferPointer(combined))
            #expect(!b.withUnsafeBufferPointer(common))
        }
        #expect(ReaderRegistry.detect(Array(access.prefix(10))) == "combined")
        #expect(ReaderRegistry.detect(try lines("web/common.log")) == "common")
    }

    @Test func descriptorsDescribeThemselves() throws {
        for name in ["combined", "common", "nginx"] {
            let d = try #require(ReaderRegistry.descriptor(named: name))
            #expect(d.channel == "web")
            #expect(!d.summary.isEmpty && !d.summary.contains("\n"))
            #expect(d.options.contains("skip_bots"))
        }
        #expect(ReaderRegistry.descriptor(named: "nginx")?.options.contains("log_format") == true)
        let reader = try ReaderRegistry.make(format: "nginx", options: options(logFormat: customFormat))
        #expect(!reader.isStateful)
    }

    // MARK: log_format variables

    @Test func isoTimeForwardedForUpstreamTimeAndBracedNames() throws {
        let format = #"${remote_addr} [${time_iso8601}] "${request}" ${status} "${http_user_agent}" "$http_x_forwarded_for" $upstream_response_time"#
        let o = try readNginx([
            #"10.0.0.5 [2026-10-10T09:14:03+02:00] "GET /a?x=1 HTTP/1.1" 200 "\#(chrome)" "198.51.100.7, 10.0.0.1" 0.050, 0.020"#,
            #"10.0.0.5 [2026-10-10T09:14:04+02:00] "GET /b HTTP/1.1" 200 "\#(chrome)" "-" -"#,
        ], logFormat: format)
        #expect(o.rejects.isEmpty)
        let a = try #require(touchpoint(o, line: 1)), b = try #require(touchpoint(o, line: 2))
        #expect(a.time == 1_791_616_443_000)
        #expect(a.responseTimeMs == 70) // two upstreams: 50 + 20 ms
        #expect(a.keys.visitor == fallbackKey(ip: "198.51.100.7", ua: chrome)) // first X-Forwarded-For address
        #expect(b.keys.visitor == fallbackKey(ip: "10.0.0.5", ua: chrome))     // "-": $remote_addr
        #expect(b.responseTimeMs == nil)
        #expect(b.time == 1_791_616_444_000)
    }

    @Test func msecUriArgsAndLoggedArguments() throws {
        let format = #"$remote_addr $msec $request_method $uri $args $status $arg_utm_source $arg_cid "$http_user_agent""#
        let o = try readNginx([
            #"198.51.100.7 1791616443.123 GET /products/boots utm_medium=email 200 newsletter C-42 "\#(chrome)""#,
            #"198.51.100.7 1791616444.5 GET /products/100%/sale - 200 - - "\#(chrome)""#,
            #"198.51.100.7 1791616445 GET /p utm_source=mail&cid=C-7 200 mail C-7 "\#(chrome)""#,
        ], logFormat: format)
        #expect(o.rejects.isEmpty)
        let a = try #require(touchpoint(o, line: 1))
        #expect(a.time == 1_791_616_443_123)
        #expect(a.path == "/products/boots")
        #expect(query(a) == ["utm_medium=email", "utm_source=newsletter", "cid=C-42"])
        #expect(a.campaign == Campaign(source: "newsletter", medium: "email"))
        #expect(a.keys.customer == "C-42")
        let b = try #require(touchpoint(o, line: 2))
        #expect(b.time == 1_791_616_444_500)
        #expect(b.path == "/products/100%/sale") // $uri is logged decoded; kept as logged
        #expect(b.query.isEmpty)
        let c = try #require(touchpoint(o, line: 3)) // arguments already in $args are not repeated
        #expect(query(c) == ["utm_source=mail", "cid=C-7"])
    }

    @Test func cookieHeaderRequestUriAndJSONEscapes() throws {
        let format = #"{"time":"$time_iso8601","ip":"$remote_addr","uri":"$request_uri","status":$status,"ua":"$http_user_agent","ref":"$http_referer","cookie":"$http_cookie","rt":$request_time}"#
        let o = try readNginx([
            #"{"time":"2026-10-10T07:14:03Z","ip":"198.51.100.7","uri":"/caf\u00e9?q=\"x\"","status":200,"ua":"\#(chrome) \"JSON\"","ref":"https:\/\/news.example.org\/a","cookie":"a=1; _journeys_vid=v-abc; uid=u-9","rt":0.012}"#,
            #"{"time":"2026-10-10T07:14:04Z","ip":"198.51.100.7","uri":"/x","status":200,"ua":"-","ref":"-","cookie":"-","rt":0.000}"#,
        ], logFormat: format)
        #expect(o.rejects.isEmpty)
        let a = try #require(touchpoint(o, line: 1))
        #expect(a.path == "/café")
        #expect(query(a) == [#"q="x""#])
        #expect(a.keys == IdentityKeys(visitor: "v-abc", customer: "u-9"))
        #expect(a.referrerHost == "news.example.org")
        #expect(a.responseTimeMs == 12)
        #expect(a.status == 200)
        let b = try #require(touchpoint(o, line: 2))
        #expect(b.keys.visitor == fallbackKey(ip: "198.51.100.7", ua: "")) // "-" user agent is no user agent
        #expect(b.device == .unknown)
        #expect(b.responseTimeMs == 0)
    }

    @Test func escapedCookieHeaderAndUndecodableBytes() throws {
        let format = #"$remote_addr [$time_local] "$request" $status "$http_user_agent" "$http_cookie""#
        let o = try readNginx([
            // \x22 inside the Cookie header (nginx escaping): decoded before the header is parsed.
            #"198.51.100.7 [10/Oct/2026:09:14:03 +0200] "GET / HTTP/1.1" 200 "\#(chrome)" "vid=\x22v-q\x22; uid=u-1""#,
            // \xFF is not UTF-8 once decoded: the escaped text is kept.
            #"198.51.100.7 [10/Oct/2026:09:14:03 +0200] "GET /\xFF HTTP/1.1" 200 "\#(chrome)" "-""#,
        ], logFormat: format)
        #expect(o.rejects.isEmpty)
        #expect(try #require(touchpoint(o, line: 1)).keys == IdentityKeys(visitor: "v-q", customer: "u-1"))
        #expect(try #require(touchpoint(o, line: 2)).path == #"/\xFF"#)
    }

    /// Only cookies named exactly as configured carry keys; placeholders are recognised in any case
    /// (with or without upper-case or non-ASCII letters); the first real value of a kind wins.
    @Test func cookieHeaderPlaceholdersAndNamesThatOnlyLookAlike() throws {
        let format = #"$remote_addr [$time_local] "$request" $status "$http_user_agent" "$http_cookie""#
        func line(_ cookie: String) -> String {
            #"198.51.100.7 [10/Oct/2026:09:14:03 +0200] "GET / HTTP/1.1" 200 "\#(chrome)" "\#(cookie)""#
        }
        let o = try readNginx([
            // "xvid" and "vid2" are other cookies; "NULL" and " Undefined " are placeholders, so the
            // second visitor cookie gives the key; uid is percent-encoded.
            line(#"xvid=v-no; vid2=v-no; vid=NULL; visitor_id= Undefined ; _journeys_vid=v-Real-01; uid=u%2D7"#),
            // A value with upper-case letters that is no placeholder stays as it is.
            line(#"vid=V-ABCDEFGHIJKLMNOPQRSTUVWXYZ; customer_id=N/A; user_id=ÜNKNOWN-9"#),
            // Every cookie a placeholder: the IP + user-agent fallback.
            line(#"vid=Anonymous; uid=NONE"#),
        ], logFormat: format)
        #expect(o.rejects.isEmpty)
        #expect(try #require(touchpoint(o, line: 1)).keys == IdentityKeys(visitor: "v-Real-01", customer: "u-7"))
        #expect(try #require(touchpoint(o, line: 2)).keys == IdentityKeys(visitor: "V-ABCDEFGHIJKLMNOPQRSTUVWXYZ", customer: "ÜNKNOWN-9"))
        let c = try #require(touchpoint(o, line: 3))
        #expect(c.keys.visitorIsFallback)
        #expect(c.keys.customer == nil)
    }

    @Test func identityValuesAreTrimmedAndPlaceholdersDropped() {
        let id = IdentityOptions()
        #expect(id.clean(nil) == nil)
        #expect(id.clean(" \t ") == nil)
        #expect(id.clean(" C-1001\r\n") == "C-1001")
        #expect(id.clean("c-1001") == "c-1001")
        #expect(id.clean(" NULL ") == nil && id.clean("n/A") == nil && id.clean("-") == nil && id.clean("0") == nil)
        #expect(id.clean("nullable") == "nullable")
        #expect(id.clean("ÜNKNOWN") == "ÜNKNOWN", "lower-cased it is not a placeholder")
        let long = String(repeating: "A", count: 65)
        #expect(id.clean(long) == long)
        var custom = IdentityOptions()
        custom.ignoreValues = ["guest", "ünknown"]
        #expect(custom.clean("GUEST") == nil && custom.clean("ÜNKNOWN") == nil && custom.clean("null") == "null")
    }

    @Test func identityBytesCleanAsTheStringsDo() {
        func same(_ id: IdentityOptions, _ values: [String], sourceLocation: SourceLocation = #_sourceLocation) {
            let bytes = IdentityBytes(id)
            for v in values {
                var v = v
                let (clean, email) = v.withUTF8 { b -> (String?, String?) in
                    var out: [UInt8] = []
                    let email = bytes.cleanEmail(b, into: &out) ? String(decoding: out, as: UTF8.self) : nil
                    return (bytes.clean(b).map { String(decoding: UnsafeBufferPointer(rebasing: b[$0]), as: UTF8.self) }, email)
                }
                #expect(clean == id.clean(v), "\(v)", sourceLocation: sourceLocation)
                #expect(email == id.cleanEmail(v), "\(v)", sourceLocation: sourceLocation)
            }
        }
        let values = [" \t ", " C-1001\r\n", "c-1001", " NULL ", "n/A", "-", "0", "nullable", "ÜNKNOWN", "ünknown", "GUEST",
                      String(repeating: "A", count: 65), " Ann@Example.COM ", "ÄNN@EXAMPLE.COM", "no-at-sign", "\u{212A}"]
        #expect(IdentityBytes(IdentityOptions()).clean(UnsafeBufferPointer(start: nil, count: 0)) == nil)
        same(IdentityOptions(), values)
        var custom = IdentityOptions()
        custom.ignoreValues = ["guest", "ünknown", "k"]
        same(custom, values)
        var ascii = IdentityOptions()
        ascii.ignoreValues = ["guest", "k"]
        same(ascii, values)
        // Worked by hand: the Kelvin sign (U+212A) lower-cases to "k", a placeholder here; an
        // address is trimmed and lower-cased.
        let b = IdentityBytes(ascii)
        var kelvin = "\u{212A}", address = " Ann@Example.COM ", guest = "GUEST"
        #expect(kelvin.withUTF8 { b.clean($0) } == nil)
        #expect(guest.withUTF8 { b.clean($0) } == nil)
        var out: [UInt8] = []
        #expect(address.withUTF8 { b.cleanEmail($0, into: &out) })
        #expect(String(decoding: out, as: UTF8.self) == "ann@example.com")
    }

    @Test func malformedRequestsAndFields() throws {
        let o = try read(Array("""
            198.51.100.7 - - [10/Oct/2026:09:14:03 +0200] "-" 400 0 "-" "-"
            198.51.100.7 - - [10/Oct/2026:09:14:03 +0200] "GET" 400 0 "-" "-"
            198.51.100.7 - - [10/Oct/2026:09:14:03 +0200] "get / HTTP/1.1" 400 0 "-" "-"
            198.51.100.7 - - [10/Oct/2026:09:14:03 +0200] "CONNECT example.com:443 HTTP/1.1" 400 0 "-" "-"
            198.51.100.7 - - [10/Oct/2026:09:14:03 +0200] "GET / HTTP/1.1" 2x0 0 "-" "-"
            198.51.100.7 - - [10/Oct/2026:25:14:03 +0200] "GET / HTTP/1.1" 200 0 "-" "-"
            198.51.100.7 - - [10/Oct/2026:09:14:03 +0200] "GET / HTTP/1.1" 200 0 "-" "unterminated
            just some words
            198.51.100.7 - - [10/Oct/2026:09:14:03 +0200] "GET http://shop.example.com/p?a=1 HTTP/1.1" 200 0 "-" "-"
            198.51.100.7 - - [10/Oct/2026:09:14:03 +0200] "GET /" 200 0 "-" "-"

            """.utf8), format: "combined")
        // Lines 1-4 were read: their requests are no page views (`-`, no target, a lower-case
        // method, CONNECT), so they are `ignored` skips (issue 11); lines 5-8 cannot be read.
        #expect(o.skips[.ignored] == 4)
        #expect(o.rejects.map { "\($0.origin.line):\($0.reason.rawValue)" } == [
            "5:malformed", "6:bad_timestamp", "7:malformed", "8:malformed",
        ])
        #expect(o.rejects[0].detail == #"$status "2x0" is not a number"#)
        #expect(o.rejects[2].detail.contains("closing quote after $http_user_agent"))
        // An absolute URL in the request line, and an HTTP/0.9-style request without a protocol.
        #expect(o.touchpoints.map(\.origin.line) == [9, 10])
        #expect(o.touchpoints.first?.path == "/p")
        #expect(query(try #require(o.touchpoints.first)) == ["a=1"])
        #expect(o.touchpoints.last?.path == "/")
    }

    @Test func extraTrailingFieldsAreIgnoredByCombined() throws {
        let o = try read(Array(#"198.51.100.7 - - [10/Oct/2026:09:14:03 +0200] "GET /x HTTP/1.1" 200 5 "-" "\#(chrome)" "203.0.113.1" 0.004"#.utf8),
                         format: "combined")
        #expect(o.touchpoints.count == 1)
        #expect(o.touchpoints.first?.keys.visitor == fallbackKey(ip: "198.51.100.7", ua: chrome))
    }

    @Test func pastedDirectiveAndNamedFormats() throws {
        let directive = """
            log_format journeys escape=default '$remote_addr - $remote_user [$time_local] "$request" '
                                 '$status $body_bytes_sent "$http_referer" "$http_user_agent" '
                                 '$cookie_visitor_id $cookie_customer_id $request_time';
            """
        let pasted = try read(fixture("web/custom.log"), format: "nginx", options: options(logFormat: directive))
        let plain = try read(fixture("web/custom.log"), format: "nginx", options: options(logFormat: customFormat))
        #expect(pasted == plain)
        let named = try read(fixture("web/access.log"), format: "nginx", options: options(logFormat: "combined"))
        #expect(named == (try read(fixture("web/access.log"), format: "combined")))
    }

    @Test func formatsStartingWithAQuoteAndTimesWithoutOffset() throws {
        // A bare format that starts with `"` is a format, not quoted config pieces.
        var o = try readNginx([#""GET /x HTTP/1.1" [2026-10-10T09:14:03] 198.51.100.7"#],
                              logFormat: #""$request" [$time_iso8601] $remote_addr"#)
        #expect(o.rejects.isEmpty)
        // No offset in the text: taken at timezone_offset (0 by default).
        #expect(o.touchpoints.first?.time == 1_791_623_643_000) // 09:14:03Z = 1,791,590,400 + 33,243 s
        #expect(o.touchpoints.first?.keys.visitor == fallbackKey(ip: "198.51.100.7", ua: ""))
        var opts = options(logFormat: #""$request" [$time_iso8601] $remote_addr"#)
        opts.timezone = Zone(offset: 7200)
        o = try read(Array(#""GET /x HTTP/1.1" [2026-10-10T09:14:03] 198.51.100.7"#.utf8), format: "nginx", options: opts)
        #expect(o.touchpoints.first?.time == 1_791_616_443_000) // 09:14:03 at +02:00 = 07:14:03Z
        // A paste in single quotes is unwrapped.
        o = try readNginx([#""GET /x HTTP/1.1" [2026-10-10T09:14:03Z] 198.51.100.7"#],
                          logFormat: #"'"$request" [$time_iso8601] ' '$remote_addr'"#)
        #expect(o.touchpoints.first?.time == 1_791_623_643_000)
    }

    @Test(arguments: [
        ("", "empty"),
        ("   ", "empty"),
        ("''", "empty"),
        ("remote addr and time", "no $variables"),
        (#"$remote_addr$remote_user [$time_local] "$request""#, "$remote_addr and $remote_user follow each other with nothing between them"),
        (#"$remote_addr [$time_local] "$request" $"#, "not followed by a variable name"),
        (#"$remote_addr [${time_local] "$request""#, "not closed"),
        (#"$remote_addr "$request" $status"#, "no time variable"),
        (#"$remote_addr [$time_local] $status"#, "no request variable"),
        (#"log_format main '$remote_addr [$time_local] "$request""#, "not closed"),
    ])
    func badLogFormatsAreConfigErrors(format: String, message: String) throws {
        var caught: ConfigError?
        do throws(ConfigError) {
            _ = try ReaderRegistry.make(format: "nginx", options: options(logFormat: format))
        } catch {
            caught = error
        }
        let error = try #require(caught, "log_format \(format) was accepted")
        #expect(error.path == "log_format")
        #expect(error.message.contains(message), "\(error.message)")
    }
}

/// Issue 11 (a): lines with more words before the time than the format has — a virtual host
/// first (Apache's vhost_combined, Debian's other_vhosts_access.log: `host:port ip ident user`)
/// or an X-Forwarded-For list (`ip, ip - -`). No value with a space may become the user (it would
/// join unrelated people: `"- -"` on every such line) or the client address of the fallback key.
@Suite struct ShiftedLeadTests {
    static let time = "[04/Mar/2026:10:00:00 +0000] \"GET /a HTTP/1.1\" 200 5 \"-\" \"\(firefoxLinux)\""
    /// nginx's own `combined`: a literal `-` where Apache logs the ident.
    static let nginxCombined = #"$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent""#

    func check(format: String, logFormat: String?) throws {
        let lines = [
            "www.example.com:80 192.0.2.1 - theuser \(Self.time)",   // vhost, a user
            "shop.example.org:443 192.0.2.1 - - \(Self.time)",       // vhost, no user
            "192.0.2.7, 198.51.100.2 - - \(Self.time)",              // X-Forwarded-For list, no user
            "192.0.2.7, 198.51.100.2 - jane \(Self.time)",           // the same list, a user
            "192.0.2.9 - ann \(Self.time)",                           // an ordinary line
        ]
        var o = ReaderOptions()
        o.logFormat = logFormat
        let got = try read(Array((lines.joined(separator: "\n") + "\n").utf8), format: format, options: o)
        #expect(got.rejects.isEmpty, "\(got.rejects.map(\.detail))")
        let t = got.touchpoints
        try #require(t.count == 5)
        #expect(t.map(\.keys.customer) == ["theuser", nil, nil, "jane", "ann"])
        // Without a user the visitor is the fallback of the client address: the word after the
        // virtual host, the first address of a forwarded list.
        #expect(t[1].keys.visitor == fallback("192.0.2.1", firefoxLinux))
        #expect(t[2].keys.visitor == fallback("192.0.2.7", firefoxLinux))
    }

    @Test func combinedReader() throws { try check(format: "combined", logFormat: nil) }

    @Test func nginxCombinedLogFormat() throws { try check(format: "nginx", logFormat: Self.nginxCombined) }
}

/// Issue 11 (b): requests every internet-facing server logs that are no page view are `ignored`
/// skips, not rejects (a reject is a line the tool could not read): a nightly run on a public
/// site must not fail its reject ratio on them. The rest of the line is still read, so a line
/// whose status is not a number stays a reject.
@Suite struct NonPageRequestTests {
    func line(_ request: String, _ status: String) -> String {
        #"192.0.2.1 - - [04/Mar/2026:10:00:00 +0000] "\#(request)" \#(status) 0 "-" "\#(firefoxLinux)""#
    }

    @Test func routineRequestsAreIgnoredSkips() throws {
        let lines = [
            line("-", "408"),                                                    // 1 closed before a request
            line("", "400"),                                                     // 2 empty request
            line(#"\x16\x03\x01\x02\x00\x01\x00\x01\xFC\x03\x03"#, "400"),      // 3 TLS handshake, nginx-escaped
            line("PRI * HTTP/2.0", "400"),                                       // 4 HTTP/2 preface on HTTP/1
            line("OPTIONS * HTTP/1.1", "200"),                                   // 5 server-wide OPTIONS
            line("CONNECT www.example.com:443 HTTP/1.1", "405"),                 // 6 proxy probe
            line("get / HTTP/1.1", "400"),                                       // 7 lower-case: no GET (RFC 9110 9.1)
            line("GET /ok HTTP/1.1", "200"),                                     // 8 a page view
            line("-", "abc"),                                                    // 9 status unreadable: a reject
        ]
        let got = try read(Array((lines.joined(separator: "\n") + "\n").utf8), format: "combined")
        #expect(got.touchpoints.map(\.origin.line) == [8])
        #expect(got.skips[.ignored] == 7)
        #expect(got.skips.total == 7)
        #expect(got.rejects.map(\.origin.line) == [9])
        #expect(got.rejectReasons == [.malformed])
    }
}

/// Issue 11 (f): a double space between fields broke a line (a reject, or `"- -"` as the user).
@Suite struct DoubleSpaceTests {
    @Test func extraSpacesBetweenFieldsAreOneSeparator() throws {
        let rest = #"5 "-" "\#(firefoxLinux)""#
        let lines = [
            #"192.0.2.1 - -  [04/Mar/2026:10:00:00 +0000] "GET /a HTTP/1.1" 200 "# + rest,
            #"192.0.2.1 - - [04/Mar/2026:10:00:00 +0000] "GET /b HTTP/1.1"  200 "# + rest,
            #"192.0.2.1 - - [04/Mar/2026:10:00:00 +0000] "GET /c HTTP/1.1" 200  "# + rest,
            #"192.0.2.1  - - [04/Mar/2026:10:00:00 +0000] "GET /d HTTP/1.1" 404 "# + rest,
            #"192.0.2.1 - ann [04/Mar/2026:10:00:00 +0000] "GET  /e  HTTP/1.1" 200 "# + rest,
        ]
        let got = try read(Array((lines.joined(separator: "\n") + "\n").utf8), format: "combined")
        #expect(got.rejects.isEmpty, "\(got.rejects.map(\.detail))")
        #expect(got.touchpoints.map(\.path) == ["/a", "/b", "/c", "/d", "/e"])
        #expect(got.touchpoints.map(\.status) == [200, 200, 200, 404, 200])
        #expect(got.touchpoints.map(\.keys.customer) == [nil, nil, nil, nil, "ann"])
        #expect(got.touchpoints[3].keys.visitor == fallback("192.0.2.1", firefoxLinux))
    }
}

/// Issue 11 (item 4): Apache `LogFormat` strings are accepted as `log_format`, as nginx's are.
@Suite struct ApacheLogFormatTests {
    /// Apache's own `combined` (httpd.conf), as a bare format and as a pasted LogFormat line.
    static let combined = #"%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-agent}i""#

    @Test func apacheCombinedReadsLikeCombined() throws {
        let bytes = try fixture("web/access.log")
        var o = ReaderOptions()
        o.logFormat = Self.combined
        #expect(try read(bytes, format: "nginx", options: o) == read(bytes, format: "combined"))
        o.logFormat = #"LogFormat "%h %l %u %t \"%r\" %>s %b \"%{Referer}i\" \"%{User-agent}i\"" combined"#
        #expect(try read(bytes, format: "nginx", options: o) == read(bytes, format: "combined"))
    }

    @Test func responseTimesCookiesAndConditions() throws {
        // %D is microseconds (123,456 µs = 123.456 ms → 123), %{ms}T milliseconds, %{visitor_id}C one
        // cookie; the status condition of %400,501{Referer}i is dropped.
        var o = ReaderOptions()
        o.logFormat = #"%h %l %u %t "%r" %>s %b "%400,501{Referer}i" "%{User-Agent}i" %D %{visitor_id}C %{ms}T"#
        let line = #"192.0.2.1 - - [04/Mar/2026:10:00:00 +0000] "GET /a?x=1 HTTP/1.1" 200 5 "-" "\#(firefoxLinux)" 123456 v-1 87"#
        let got = try read(Array((line + "\n").utf8), format: "nginx", options: o)
        let t = try #require(got.touchpoints.first)
        #expect(t.path == "/a")
        #expect(t.keys.visitor == "v-1")
        // The first response time present wins, in the order of the format: %D.
        #expect(t.responseTimeMs == 123)
    }

    @Test func unknownDirectivesAreConfigurationErrors() {
        for (format, says) in [("%h %Z %t \"%r\" %>s", "%Z"), ("%h %{%d/%b/%Y}t \"%r\" %>s", "use %t"), ("%h %t \"%r\" %>s %", "at the end")] {
            var o = ReaderOptions()
            o.logFormat = format
            do {
                _ = try ReaderRegistry.make(format: "nginx", options: o)
                Issue.record("\(format) was accepted")
            } catch {
                #expect(error.path == "log_format")
                #expect(error.message.contains(says), "\(error.message)")
            }
        }
    }
}

/// Issue 11 (item 1): a display-name address (`Jane Doe <Jane@Example.com>`) gives the address in
/// its angle brackets, lower-cased, in every reader (the String and byte paths share one rule).
@Suite struct DisplayNameEmailTests {
    @Test func theAddressInAnglesIsTheKey() throws {
        let id = IdentityOptions()
        #expect(id.cleanEmail("Jane Doe <Jane@Example.com>") == "jane@example.com")
        #expect(id.cleanEmail(#""Doe, Jane" <jane@example.com>"#) == "jane@example.com")
        #expect(id.cleanEmail(" jane@example.com ") == "jane@example.com")
        #expect(id.cleanEmail("Jane Doe <>") == nil)
        #expect(id.cleanEmail("Jane Doe") == nil)

        // A web line's email parameter (percent-encoded), and a JSON-lines email field.
        let web = #"192.0.2.1 - - [04/Mar/2026:10:00:00 +0000] "GET /a?email=Jane%20Doe%20%3CJane%40Example.com%3E HTTP/1.1" 200 5 "-" "\#(firefoxLinux)""#
        #expect(try read(Array((web + "\n").utf8), format: "combined").touchpoints.first?.keys.email == "jane@example.com")
        var o = ReaderOptions()
        o.fields = ["time": "ts", "action": "event", "email": "email"]
        let json = #"{"ts":"2026-03-04T09:00:00Z","event":"signup","email":"Jane Doe <Jane@Example.com>"}"#
        #expect(try read(Array((json + "\n").utf8), format: "jsonl", options: o).touchpoints.first?.keys.email == "jane@example.com")
    }
}
