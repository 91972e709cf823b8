import JourneysCore
import JourneysReaders
import Testing

/// Midnight UTC of 2026-03-02: 56 years after 1970 with 14 leap days (1972 … 2024) is day
/// 20 454 for 2026-01-01, + 31 (Jan) + 28 (Feb) + 1 = day 20 514; × 86 400 s = 1 772 409 600 s.
private let mar2: Int64 = 1_772_409_600_000
private let mar3: Int64 = mar2 + 86_400_000


private func lines(_ text: String) -> [UInt8] { Array(text.utf8) }

@Suite struct W3CExtendedReaderTests {
    static let chrome = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36"
    static let iPad = "Mozilla/5.0 (iPad; CPU OS 17_3 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.3 Mobile/15E148 Safari/604.1"
    static let iPhone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_3 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.3 Mobile/15E148 Safari/604.1"

    @Test func iisFixture() throws {
        let bytes = try fixture("web/iis.log")
        let got = try expectConformance(bytes, format: "w3c")
        #expect(try read(fixture("web/iis.log.gz"), format: "w3c") == got)

        #expect(got.lines == 18)
        #expect(got.skips[.header] == 8)
        #expect(got.skips[.asset] == 1) // line 6, /css/site.css
        #expect(got.skips[.bot] == 1) // line 8, Googlebot
        #expect(got.rejects.map(\.origin.line) == [10, 18])
        #expect(got.rejectReasons == [.malformed, .badTimestamp])
        #expect(got.rejects[0].detail == "line has 14 fields, the #Fields directive lists 15")
        #expect(got.touchpoints.map(\.origin.line) == [5, 7, 9, 15, 16, 17])
        let t = got.touchpoints
        guard t.count == 6 else { return }

        // Line 5: newsletter landing, no cookie, no user → IP + UA fallback; IIS '+' is a space in the agent.
        #expect(t[0].time == mar2 + hms(9, 0, 12))
        #expect(t[0].channel == .web && t[0].action == .pageView)
        #expect(t[0].path == "/")
        #expect(t[0].query == [QueryParam("utm_source", "newsletter"), QueryParam("utm_medium", "email"), QueryParam("utm_campaign", "spring_sale")])
        #expect(t[0].campaign == Campaign(source: "newsletter", medium: "email", name: "spring_sale"))
        #expect(t[0].referrerHost == nil)
        #expect(t[0].status == 200)
        #expect(t[0].responseTimeMs == 187) // IIS time-taken is milliseconds
        #expect(t[0].device == .desktop)
        #expect(t[0].keys == IdentityKeys(visitor: fallback("203.0.113.10", Self.chrome), visitorIsFallback: true))

        // Line 7: same IP + agent → same fallback visitor.
        #expect(t[1].time == mar2 + hms(9, 1, 40))
        #expect(t[1].path == "/products/kettle-1l")
        #expect(t[1].query.isEmpty)
        #expect(t[1].referrerHost == "shop.example.com")
        #expect(t[1].responseTimeMs == 95)
        #expect(t[1].keys == t[0].keys)

        // Line 9: cs-username is the customer; no fallback needed.
        #expect(t[2].time == mar2 + hms(9, 3, 10))
        #expect(t[2].path == "/account/orders")
        #expect(t[2].keys == IdentityKeys(customer: "CONTOSO\\jdoe"))
        #expect(t[2].device == .mobile)
        #expect(t[2].referrerHost == "www.google.com")
        #expect(t[2].responseTimeMs == 240)

        // Line 15, after the #Fields change (different columns, cs(Cookie) added).
        #expect(t[3].time == mar2 + hms(10, 0, 3))
        #expect(t[3].path == "/checkout/complete")
        #expect(t[3].value == 59.9)
        #expect(t[3].currency == "EUR")
        #expect(t[3].keys == IdentityKeys(visitor: "v-7f3a", customer: "c-1042"))
        #expect(t[3].referrerHost == "shop.example.com")
        #expect(t[3].status == 200)
        #expect(t[3].responseTimeMs == 412)
        #expect(t[3].device == .mobile)

        // Line 16: search with a click id; the query's '+' is a space.
        #expect(t[4].time == mar2 + hms(10, 5, 47))
        #expect(t[4].path == "/search")
        #expect(t[4].query == [QueryParam("q", "blue kettle"), QueryParam("gclid", "EAIaIQobChMI")])
        #expect(t[4].clickID == ClickID(kind: "gclid", value: "EAIaIQobChMI"))
        #expect(t[4].device == .tablet)
        #expect(t[4].referrerHost == "www.bing.com")
        #expect(t[4].responseTimeMs == 63)
        #expect(t[4].keys == IdentityKeys(visitor: fallback("192.0.2.44", Self.iPad), visitorIsFallback: true))

        // Line 17: a failing API call; the second cookie (after ";+") is the visitor cookie `vid`.
        #expect(t[5].time == mar2 + hms(10, 6, 20))
        #expect(t[5].path == "/api/cart")
        #expect(t[5].status == 500)
        #expect(t[5].responseTimeMs == 3012)
        #expect(t[5].keys == IdentityKeys(visitor: "v-99"))
    }

    @Test func cloudFrontFixture() throws {
        let bytes = try fixture("web/cloudfront.log")
        let got = try expectConformance(bytes, format: "w3c")
        #expect(try read(fixture("web/cloudfront.log.gz"), format: "w3c") == got)

        #expect(got.lines == 10)
        #expect(got.skips[.header] == 2)
        #expect(got.skips[.bot] == 1) // line 5, bingbot
        #expect(got.skips[.asset] == 1) // line 6, /static/app.js
        #expect(got.rejects.map(\.origin.line) == [9])
        #expect(got.rejectReasons == [.malformed]) // truncated after 8 of 33 fields
        #expect(got.rejects.first?.detail == "line has 8 fields, the #Fields directive lists 33")
        #expect(got.touchpoints.map(\.origin.line) == [3, 4, 7, 8, 10])
        let t = got.touchpoints
        guard t.count == 5 else { return }

        // Line 3: paid social landing; time-taken 0.082 s.
        #expect(t[0].time == mar3 + hms(14, 22, 5))
        #expect(t[0].path == "/landing/spring")
        #expect(t[0].campaign == Campaign(source: "facebook", medium: "paid_social", name: "spring_sale"))
        #expect(t[0].clickID == ClickID(kind: "fbclid", value: "IwAR2xyz"))
        #expect(t[0].referrerHost == "www.facebook.com")
        #expect(t[0].status == 200)
        #expect(t[0].responseTimeMs == 82)
        #expect(t[0].device == .mobile) // Android … Mobile
        #expect(t[0].keys == IdentityKeys(visitor: "v-cf01"))

        // Line 4: cookie header "visitor_id=v-cf02;%20customer_id=c-2001"; agent encoded twice (%2520).
        #expect(t[1].time == mar3 + hms(14, 23, 41))
        #expect(t[1].path == "/products/kettle-1l")
        #expect(t[1].query.isEmpty)
        #expect(t[1].referrerHost == "shop.example.com")
        #expect(t[1].responseTimeMs == 215)
        #expect(t[1].device == .desktop)
        #expect(t[1].keys == IdentityKeys(visitor: "v-cf02", customer: "c-2001"))

        // Line 7: 304 from an iPhone without cookies → fallback over the decoded agent.
        #expect(t[2].time == mar3 + hms(14, 30, 59))
        #expect(t[2].path == "/")
        #expect(t[2].status == 304)
        #expect(t[2].responseTimeMs == 4)
        #expect(t[2].keys == IdentityKeys(visitor: fallback("198.51.100.23", Self.iPhone), visitorIsFallback: true))

        // Line 8: a slow failing checkout, 1.503 s.
        #expect(t[3].time == mar3 + hms(14, 31, 40))
        #expect(t[3].path == "/checkout")
        #expect(t[3].status == 502)
        #expect(t[3].responseTimeMs == 1503)
        #expect(t[3].keys == IdentityKeys(visitor: "v-cf02"))

        // Line 10: customer and email from the query (email link), %40 decoded and lower-cased.
        #expect(t[4].time == mar3 + hms(15, 2, 18))
        #expect(t[4].path == "/account")
        #expect(t[4].keys == IdentityKeys(customer: "c-3003", email: "jane.doe@example.com"))
        #expect(t[4].responseTimeMs == 120)
    }

    @Test func dataBeforeFieldsIsRejected() throws {
        let got = try read(lines("""
            2026-03-02 09:00:12 GET / - 203.0.113.10 Mozilla/5.0 200
            #Fields: date time cs-method cs-uri-stem cs-uri-query c-ip cs(User-Agent) sc-status
            2026-03-02 09:00:13 GET /about - 203.0.113.10 Mozilla/5.0+(X11;+Linux+x86_64) 200

            """), format: "w3c")
        #expect(got.rejectReasons == [.malformed])
        #expect(got.rejects.first?.detail == "no #Fields directive before this line")
        #expect(got.rejects.first?.origin.line == 1)
        #expect(got.skips[.header] == 1)
        #expect(got.touchpoints.map(\.path) == ["/about"])
    }

    @Test func fieldsChangeMidFile() throws {
        // The same data text means different things under the two directives.
        let got = try read(lines("""
            #Fields: date time cs-uri-stem sc-status time-taken cs-username
            2026-03-02 09:00:00 /a 200 150 alice
            #Fields: date time cs-username time-taken sc-status cs-uri-stem
            2026-03-02 09:00:01 bob 75 404 /b
            2026-03-02 09:00:02 /a 200 150 alice

            """), format: "w3c")
        #expect(got.skips[.header] == 2)
        #expect(got.rejects.isEmpty)
        // Line 5 is read with the second directive: cs-username "/a", time-taken 200, sc-status 150,
        // cs-uri-stem "alice". The directive rules, whatever the text looks like.
        #expect(got.touchpoints.map(\.origin.line) == [2, 4, 5])
        #expect(got.touchpoints.map(\.path) == ["/a", "/b", "alice"])
        #expect(got.touchpoints.map(\.status) == [200, 404, 150])
        #expect(got.touchpoints.map(\.responseTimeMs) == [150, 75, 200])
        #expect(got.touchpoints.map(\.keys.customer) == ["alice", "bob", "/a"])
    }

    @Test func directiveWithoutTimeOrURIRejectsItsLines() throws {
        let got = try read(lines("""
            #Fields: date c-ip cs-uri-stem
            2026-03-02 203.0.113.10 /a
            #Fields: date time c-ip
            2026-03-02 10:00:00 203.0.113.10

            """), format: "w3c")
        #expect(got.rejectReasons == [.malformed, .malformed])
        #expect(got.rejects.map(\.detail) == ["the #Fields directive has no time field (time, or date-local and time-local)",
                                              "the #Fields directive has no cs-uri-stem or cs-uri field"])
    }

    @Test func badFieldsAreRejectedNamingTheField() throws {
        let got = try read(lines("""
            #Fields: date time cs-uri-stem sc-status
            2026-02-30 10:00:00 /a 200
            2026-03-02 10:00 /a 200
            2026-03-02 10:00:00 /a OK

            """), format: "w3c")
        #expect(got.rejectReasons == [.badTimestamp, .badTimestamp, .malformed])
        #expect(got.rejects.map(\.detail) == ["date \"2026-02-30\" is not YYYY-MM-DD", "time \"10:00\" is not hh:mm:ss",
                                              "sc-status \"OK\" is not a number"])
    }

    @Test func cloudFrontEncodingAndUnits() throws {
        // No x-edge field, but #Software names CloudFront: time-taken is seconds, the agent percent-encoded.
        let ua2 = "Mozilla/5.0%2520(Macintosh;%2520Intel%2520Mac%2520OS%2520X%252010_15_7)%2520Version/17.3%2520Safari/605.1.15"
        let got = try read(lines("""
            #Software: Amazon CloudFront
            #Fields: date time c-ip cs-uri-stem sc-status cs(User-Agent) cs(Cookie) time-taken
            2026-03-03\t08:00:00\t192.0.2.9\t/x\t200\t\(ua2)\t-\t0.25
            2026-03-03\t08:00:01\t192.0.2.9\t/y\t200\tcurl/8.5.0\t-\t0.25
            2026-03-03\t08:00:02\t192.0.2.9\t/z\t200\tMozilla/5.0\tcustomer_id=c%2D7;%20theme=dark\t-

            """), format: "w3c")
        #expect(got.skips[.bot] == 1)
        #expect(got.touchpoints.count == 2)
        guard got.touchpoints.count == 2 else { return }
        let a = got.touchpoints[0]
        #expect(a.time == mar3 + hms(8, 0, 0))
        #expect(a.responseTimeMs == 250)
        // Decoded once to "%20", then %20 → space.
        #expect(a.keys.visitor == fallback("192.0.2.9", "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) Version/17.3 Safari/605.1.15"))
        #expect(a.device == .desktop)
        let b = got.touchpoints[1]
        #expect(b.responseTimeMs == nil) // "-"
        #expect(b.keys == IdentityKeys(customer: "c-7"))
    }

    @Test func iisWithoutSoftwareUsesMillisecondsAndDateDirective() throws {
        // No date column: the #Date directive's day is used; time-taken in ms.
        let got = try read(lines("""
            #Version: 1.0
            #Date: 2026-03-03 00:00:00
            #Remark: rotated by IIS
            #Fields: time c-ip cs-method cs-uri-stem sc-status time-taken cs(User-Agent)
            23:59:59.250 192.0.2.9 GET /late 200 0.6 Mozilla/5.0+(Windows+NT+10.0)

            """), format: "w3c")
        #expect(got.skips[.header] == 4)
        #expect(got.touchpoints.count == 1)
        #expect(got.touchpoints.first?.time == mar3 + hms(23, 59, 59) + 250)
        #expect(got.touchpoints.first?.responseTimeMs == 1) // 0.6 ms rounds to 1
        #expect(got.touchpoints.first?.keys.visitor == fallback("192.0.2.9", "Mozilla/5.0 (Windows NT 10.0)"))
    }

    @Test func botsAreSkippedUnlessTurnedOff() throws {
        let text = lines("""
            #Fields: date time c-ip cs-uri-stem sc-status cs(User-Agent)
            2026-03-02 09:02:05 66.249.66.1 /products/kettle-1l 200 Mozilla/5.0+(compatible;+Googlebot/2.1;++http://www.google.com/bot.html)

            """)
        let skipped = try read(text, format: "w3c")
        #expect(skipped.skips[.bot] == 1)
        #expect(skipped.touchpoints.isEmpty)
        var o = ReaderOptions()
        o.skipBots = false
        let kept = try read(text, format: "w3c", options: o)
        #expect(kept.touchpoints.map(\.path) == ["/products/kettle-1l"])
    }

    @Test func sniff() throws {
        let sniff = try #require(W3CExtendedReader.descriptor.sniff)
        func s(_ text: String) -> Bool { Array(text.utf8).withUnsafeBufferPointer { sniff($0) } }
        #expect(s("#Software: Microsoft Internet Information Services 10.0"))
        #expect(s("#Version: 1.0"))
        #expect(s("#Fields: date time c-ip"))
        #expect(s("2026-03-02 09:00:12 10.0.0.5 GET / - 443 - 203.0.113.10 Mozilla/5.0 - 200 0 0 187"))
        #expect(s("2026-03-03\t14:22:05\tFRA56-P1\t2310\t203.0.113.77\tGET\td1.cloudfront.net\t/\t200"))
        #expect(!s("#Remark: hello"))
        #expect(!s("203.0.113.10 - - [02/Mar/2026:09:00:12 +0000] \"GET / HTTP/1.1\" 200 512 \"-\" \"Mozilla/5.0\""))
        #expect(!s("{\"time\":\"2026-03-02T09:00:12Z\",\"status\":200}"))
        #expect(!s("2026-03-02 09:00:12,203.0.113.10,/,200"))

        let sample = try fixture("web/cloudfront.log").split(separator: 10).prefix(6).map(Array.init)
        #expect(ReaderRegistry.detect(sample) == "w3c")
        let iis = try fixture("web/iis.log").split(separator: 10).map(Array.init)
        #expect(ReaderRegistry.detect(iis) == "w3c")
    }

    @Test func descriptorDocumentsItself() {
        let d = W3CExtendedReader.descriptor
        #expect(d.channel == "web")
        #expect(!d.summary.isEmpty)
        #expect(d.options.contains("time-taken"))
    }
}

/// Issue 11 (d): W3C shapes that were rejected or misread.
@Suite struct W3CVariantsTests {
    static let firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:131.0) Gecko/20100101 Firefox/131.0"

    @Test func aTrailingTabIsNoField() throws {
        // CloudFront's standard log lines may end with a tab (AWS's own example line does), and
        // a file written on Windows ends lines with CR: neither is one more field.
        let agent = Self.firefox.replacingOccurrences(of: " ", with: "%20")
        let text = "#Fields: date time x-edge-location c-ip cs-method cs-uri-stem sc-status cs(User-Agent) cs-uri-query\n"
            + "2026-03-02\t09:00:00\tLAX1\t192.0.2.100\tGET\t/index.html\t200\t\(agent)\t-\t\n"
            + "2026-03-02\t09:00:01\tLAX1\t192.0.2.100\tGET\t/two.html\t200\t\(agent)\t-\r\n"
        let got = try read(lines(text), format: "w3c")
        #expect(got.rejects.isEmpty, "\(got.rejects.map(\.detail))")
        #expect(got.touchpoints.map(\.path) == ["/index.html", "/two.html"])
        #expect(got.touchpoints.first?.time == mar2 + hms(9, 0, 0))
    }

    @Test func quotedFieldsLocalTimesAndPathBytes() throws {
        // IIS Advanced Logging: quoted values (the user agent with its spaces), local date and
        // time in the source's zone (+01:00: 10:00 local is 09:00 UTC), and a stem holding `#` and
        // `?`, which are path bytes there.
        var o = ReaderOptions()
        o.timezone = Zone(offset: 3600)
        let text = "#Fields: date-local time-local c-ip cs-method cs-uri-stem cs-uri-query sc-status cs(User-Agent)\n"
            + #""2026-03-02" "10:00:00" "192.0.2.1" "GET" "/a b#c?d" "utm_source=x" "200" "\#(Self.firefox)""# + "\n"
        let got = try read(lines(text), format: "w3c", options: o)
        #expect(got.rejects.isEmpty, "\(got.rejects.map(\.detail))")
        let t = try #require(got.touchpoints.first)
        #expect(t.time == mar2 + hms(9, 0, 0))
        #expect(t.path == "/a b#c?d")
        #expect(t.campaign.source == "x")
        #expect(t.device == .desktop)
    }

    @Test func cStatusIsTheStatus() throws {
        let text = "#Fields: date time cs-uri-stem c-status c-ip cs(User-Agent)\n"
            + "2026-03-02 09:00:00 /missing 404 192.0.2.1 \(Self.firefox.replacingOccurrences(of: " ", with: "+"))\n"
        let got = try read(lines(text), format: "w3c")
        #expect(got.touchpoints.first?.status == 404)
    }
}
