import JourneysCore
import JourneysReaders
import Testing

/// Midnight UTC of 2026-03-04 and 2026-03-05: 2026-01-01 is day 20 454 (56 years, 14 leap days),
/// + 59 days of January and February + 3 (or 4) = day 20 516 (20 517); × 86 400 000 ms.
private let mar4: Int64 = 20_516 * 86_400_000
private let mar5: Int64 = 20_517 * 86_400_000


private func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

@Suite struct JSONAccessReaderTests {
    static let chrome = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36"
    static let iPhone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_3 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.3 Mobile/15E148 Safari/604.1"
    static let tabletAndroid = "Mozilla/5.0 (Linux; Android 14; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36"

    @Test func mar4IsRight() {
        #expect(mar4 == 1_772_409_600_000 + 2 * 86_400_000)
        #expect(mar5 - mar4 == 86_400_000)
    }

    /// `fixtures/web/access.json` is what nginx writes with
    /// ```
    /// log_format journeys escape=json '{"time":"$time_iso8601","remote_addr":"$remote_addr",'
    ///   '"remote_user":"$remote_user","request_method":"$request_method","request_uri":"$request_uri",'
    ///   '"status":"$status","body_bytes_sent":"$body_bytes_sent","request_time":"$request_time",'
    ///   '"http_referer":"$http_referer","http_user_agent":"$http_user_agent",'
    ///   '"visitor_id":"$cookie_visitor_id","customer_id":"$cookie_customer_id"}';
    /// ```
    /// on a server at UTC+01:00; line 8 was cut short by a crashed shipper.
    @Test func nginxFixture() throws {
        let got = try expectConformance(try fixture("web/access.json"), format: "json_access")
        #expect(try read(fixture("web/access.json.gz"), format: "json_access") == got)

        #expect(got.lines == 10)
        #expect(got.skips[.asset] == 1) // line 2, /assets/app.css
        #expect(got.skips[.bot] == 1) // line 4, AhrefsBot
        #expect(got.rejects.map(\.origin.line) == [8])
        #expect(got.rejectReasons == [.badJSON])
        #expect(got.touchpoints.map(\.origin.line) == [1, 3, 5, 6, 7, 9, 10])
        let t = got.touchpoints
        guard t.count == 7 else { return }

        // Line 1: 10:15:30+01:00 = 09:15:30Z; paid search with gclid; cookie visitor; customer_id "" is no key.
        #expect(t[0].time == mar4 + hms(9, 15, 30))
        #expect(t[0].path == "/")
        #expect(t[0].campaign == Campaign(source: "google", medium: "cpc", name: "brand"))
        #expect(t[0].clickID == ClickID(kind: "gclid", value: "Cj0KCQiA"))
        #expect(t[0].referrerHost == "www.google.com")
        #expect(t[0].status == 200) // given as the string "200"
        #expect(t[0].responseTimeMs == 123) // request_time "0.123" s
        #expect(t[0].device == .desktop)
        #expect(t[0].keys == IdentityKeys(visitor: "v-n001"))

        #expect(t[1].time == mar4 + hms(9, 16, 2))
        #expect(t[1].path == "/products/kettle-1l")
        #expect(t[1].query == [QueryParam("ref", "home")])
        #expect(t[1].referrerHost == "shop.example.com")
        #expect(t[1].responseTimeMs == 45)

        // Line 5: login links the visitor cookie to the customer cookie.
        #expect(t[2].time == mar4 + hms(9, 18, 12))
        #expect(t[2].path == "/login")
        #expect(t[2].status == 302)
        #expect(t[2].responseTimeMs == 310)
        #expect(t[2].keys == IdentityKeys(visitor: "v-n001", customer: "c-1042"))

        // Line 6: no cookies, empty referrer → fallback visitor, no referrer host.
        #expect(t[3].time == mar4 + hms(9, 20, 0))
        #expect(t[3].referrerHost == nil)
        #expect(t[3].responseTimeMs == 2)
        #expect(t[3].device == .mobile)
        #expect(t[3].keys == IdentityKeys(visitor: fallback("198.51.100.99", Self.iPhone), visitorIsFallback: true))

        // Line 7: purchase with an order value.
        #expect(t[4].time == mar4 + hms(9, 24, 55))
        #expect(t[4].path == "/checkout/complete")
        #expect(t[4].value == 120)
        #expect(t[4].currency == "USD")
        #expect(t[4].responseTimeMs == 187)
        #expect(t[4].keys == IdentityKeys(visitor: "v-n001", customer: "c-1042"))

        // Line 9: an overloaded search; customer_id "-" is a placeholder; Android without "Mobile" is a tablet.
        #expect(t[5].time == mar4 + hms(9, 26, 33))
        #expect(t[5].path == "/search")
        #expect(t[5].query == [QueryParam("q", "café crème")])
        #expect(t[5].status == 503)
        #expect(t[5].responseTimeMs == 2004)
        #expect(t[5].device == .tablet)
        #expect(t[5].keys == IdentityKeys(visitor: fallback("192.0.2.61", Self.tabletAndroid), visitorIsFallback: true))

        // Line 10: $remote_user is the customer.
        #expect(t[6].time == mar4 + hms(9, 30, 0))
        #expect(t[6].path == "/account/orders")
        #expect(t[6].keys == IdentityKeys(customer: "jdoe"))
        #expect(t[6].responseTimeMs == 51)
    }

    /// Caddy's default JSON access log (`log_credentials` on, so cookies are logged); line 3 is a
    /// TLS message that landed in the same file.
    @Test func caddyFixture() throws {
        let got = try expectConformance(try fixture("web/caddy.json"), format: "json_access")
        #expect(try read(fixture("web/caddy.json.gz"), format: "json_access") == got)

        #expect(got.lines == 6)
        #expect(got.skips[.asset] == 1) // favicon.ico
        #expect(got.skips[.bot] == 1) // curl/8.5.0
        #expect(got.rejects.map(\.origin.line) == [3])
        #expect(got.rejectReasons == [.malformed])
        #expect(got.rejects.first?.detail.hasPrefix("no request URI") == true)
        #expect(got.touchpoints.map(\.origin.line) == [1, 4, 6])
        let t = got.touchpoints
        guard t.count == 3 else { return }

        // ts 1772618130.5241024 s → 1772618130524 ms; duration 0.004512 s → 4.512 → 5 ms.
        #expect(t[0].time == 1_772_618_130_524)
        #expect(t[0].path == "/pricing")
        #expect(t[0].campaign == Campaign(source: "linkedin", medium: "social"))
        #expect(t[0].referrerHost == "www.linkedin.com")
        #expect(t[0].status == 200)
        #expect(t[0].responseTimeMs == 5)
        #expect(t[0].device == .desktop)
        #expect(t[0].keys == IdentityKeys(visitor: "v-c001"))

        // user_id is the customer (it is one of identity.customer_fields); visitor cookie second in the header.
        #expect(t[1].time == 1_772_618_195_750)
        #expect(t[1].path == "/cart/add")
        #expect(t[1].status == 303)
        #expect(t[1].responseTimeMs == 22) // 0.0218 s
        #expect(t[1].keys == IdentityKeys(visitor: "v-c001", customer: "c-2002"))

        // 1772618262.3307 s → …262330.7 → 331 ms; 0.000845 s → 0.845 → 1 ms.
        #expect(t[2].time == 1_772_618_262_331)
        #expect(t[2].path == "/old-page")
        #expect(t[2].status == 404)
        #expect(t[2].responseTimeMs == 1)
        #expect(t[2].device == .mobile)
        #expect(t[2].keys == IdentityKeys(visitor: fallback("203.0.113.31", Self.iPhone), visitorIsFallback: true))
    }

    /// Traefik's JSON access log with `fields.headers.defaultMode: keep` (line 4 from a router that drops headers).
    @Test func traefikFixture() throws {
        let got = try expectConformance(try fixture("web/traefik.json"), format: "json_access")
        #expect(try read(fixture("web/traefik.json.gz"), format: "json_access") == got)

        #expect(got.lines == 5)
        #expect(got.skips[.bot] == 1) // Googlebot
        #expect(got.rejects.isEmpty)
        let t = got.touchpoints
        #expect(t.map(\.origin.line) == [1, 2, 3, 4])
        guard t.count == 4 else { return }

        // StartUTC 08:30:00.123456789Z (not the local `time`); Duration 2 345 678 ns → 2 ms.
        #expect(t[0].time == mar5 + hms(8, 30, 0) + 123)
        #expect(t[0].path == "/blog/kettles")
        #expect(t[0].campaign == Campaign(source: "newsletter", medium: "email"))
        #expect(t[0].referrerHost == "news.example.org")
        #expect(t[0].status == 200)
        #expect(t[0].responseTimeMs == 2)
        #expect(t[0].device == .desktop)
        #expect(t[0].keys == IdentityKeys(visitor: "v-t001"))

        #expect(t[1].time == mar5 + hms(8, 31, 12) + 500)
        #expect(t[1].path == "/checkout")
        #expect(t[1].status == 500)
        #expect(t[1].responseTimeMs == 1503)
        #expect(t[1].keys == IdentityKeys(visitor: "v-t001"))

        // ClientUsername is the customer; 870 123 ns → 1 ms.
        #expect(t[2].time == mar5 + hms(8, 40, 3) + 900)
        #expect(t[2].keys == IdentityKeys(customer: "c-3003"))
        #expect(t[2].responseTimeMs == 1)
        #expect(t[2].device == .mobile)

        // No headers logged: no agent, so the fallback hashes the IP with an empty agent.
        #expect(t[3].time == mar5 + hms(8, 41, 0))
        #expect(t[3].device == .unknown)
        #expect(t[3].responseTimeMs == 1)
        #expect(t[3].keys == IdentityKeys(visitor: fallback("192.0.2.77", ""), visitorIsFallback: true))
    }

    @Test func fieldMapOverride() throws {
        var o = ReaderOptions()
        o.fields = ["time": "when", "ip": "addr", "uri": "page", "status": "code", "user_agent": "ua",
                    "response_time_ms": "latency_ms", "customer": "account.id", "visitor": "cookies.anon"]
        let line = #"{"when":"2026-03-05T08:30:00Z","addr":"192.0.2.5","page":"https://shop.example.com/x?utm_source=x","code":"201","ua":"Mozilla/5.0 (Windows NT 10.0; Win64; x64)","latency_ms":250.4,"account":{"id":"u-9"},"cookies":{"anon":"a-1"},"status":999}"#
        let got = try read(bytes(line + "\n"), format: "json_access", options: o)
        #expect(got.rejects.isEmpty)
        let t = try #require(got.touchpoints.first)
        #expect(t.time == mar5 + hms(8, 30, 0))
        #expect(t.path == "/x")
        #expect(t.campaign.source == "x")
        #expect(t.status == 201)
        #expect(t.responseTimeMs == 250)
        #expect(t.keys == IdentityKeys(visitor: "a-1", customer: "u-9"))

        // An unmapped role ("") is off: with no time role every line lacks a time.
        var off = ReaderOptions()
        off.fields = ["time": ""]
        let none = try read(bytes(line + "\n"), format: "json_access", options: off)
        #expect(none.rejectReasons == [.badTimestamp])
    }

    @Test func configErrors() {
        var o = ReaderOptions()
        o.fields = ["colour": "c"]
        #expect(throws: ConfigError.self) { try ReaderRegistry.make(format: "json_access", options: o) }
        do {
            _ = try ReaderRegistry.make(format: "json_access", options: o)
        } catch {
            #expect(error.path == "fields.colour")
            #expect(error.message.contains("user_agent"))
        }
        var tf = ReaderOptions()
        tf.timeFormat = "unix"
        do {
            _ = try ReaderRegistry.make(format: "json_access", options: tf)
            Issue.record("expected a ConfigError")
        } catch {
            #expect(error.path == "time_format")
        }
    }

    @Test func targetsTimesAndStatuses() throws {
        let lines = [
            // nginx $uri + $args
            #"{"time_local":"04/Mar/2026:10:00:00 +0100","remote_addr":"192.0.2.1","uri":"/a","args":"utm_source=s","status":200}"#,
            // request line only, $msec time, response time in ms
            #"{"msec":"1772614800.250","remote_addr":"192.0.2.1","request":"GET /b?x=1 HTTP/1.1","status":"404","latency_ms":"12"}"#,
            // path + query roles
            #"{"time":"2026-03-04T09:00:00Z","path":"/c","query":"y=2","status":200}"#,
            // no time
            #"{"request_uri":"/d","status":200}"#,
            // bad time
            #"{"time":"yesterday","request_uri":"/d","status":200}"#,
            // bad status
            #"{"time":"2026-03-04T09:00:00Z","request_uri":"/d","status":"OK"}"#,
            // JSON, not an object
            #"["time","2026-03-04T09:00:00Z"]"#,
            // not JSON at all
            #"192.0.2.1 - - [04/Mar/2026:10:00:00 +0100] "GET / HTTP/1.1" 200 5"#,
        ]
        let got = try read(bytes(lines.joined(separator: "\n") + "\n"), format: "json_access")
        #expect(got.touchpoints.map(\.origin.line) == [1, 2, 3])
        #expect(got.rejects.map(\.origin.line) == [4, 5, 6, 7, 8])
        #expect(got.rejectReasons == [.badTimestamp, .badTimestamp, .malformed, .badJSON, .badJSON])
        #expect(got.rejects[0].detail.hasPrefix("no time field (fields.time: StartUTC|time|"))
        #expect(got.rejects[2].detail == "status \"OK\" is not an HTTP status")
        let t = got.touchpoints
        guard t.count == 3 else { return }
        #expect(t[0].time == mar4 + hms(9, 0, 0))
        #expect(t[0].path == "/a")
        #expect(t[0].campaign.source == "s")
        #expect(t[0].status == 200)
        #expect(t[0].responseTimeMs == nil)
        // 1772614800 s = 2026-03-04 00:00 + 205 200 s = 09:00:00Z (mar4 is 1 772 582 400 s).
        #expect(t[1].time == mar4 + hms(9, 0, 0) + 250)
        #expect(t[1].path == "/b")
        #expect(t[1].query == [QueryParam("x", "1")])
        #expect(t[1].status == 404)
        #expect(t[1].responseTimeMs == 12)
        #expect(t[2].path == "/c")
        #expect(t[2].query == [QueryParam("y", "2")])
    }

    @Test func escapedValuesAreReadUnescaped() throws {
        // nginx `escape=json` writes `"` as \" and control bytes as \u00XX; JSON may write `/` as \/.
        // The request line has two spaces before its target; the visitor field has spaces around it.
        let line = #"{"time":"2026-03-04T09:00:00Z","request":"GET  \/e%20f?utm_source=a\u0026b HTTP/1.1","status":200,"#
            + #""http_user_agent":"Mozilla\/5.0 \"x\"","remote_addr":"192.0.2.1","visitor_id":" v1 "}"#
        let got = try read(bytes(line + "\n"), format: "json_access")
        let t = try #require(got.touchpoints.first)
        #expect(t.path == "/e f")
        #expect(t.query == [QueryParam("utm_source", "a"), QueryParam("b", "")])
        #expect(t.campaign.source == "a")
        #expect(t.keys.visitor == "v1")
    }

    @Test func nginxHexEscapesWithoutEscapeJSON() throws {
        // Issue 11 (e): `log_format j '{"uri":"$request_uri",…}'` without escape=json writes `"` as
        // \x22 and bytes outside ASCII as \xNN; such lines were bad_json. \xC3\xA9 is é (UTF-8);
        // a lone \xFF would not be UTF-8, so it stays as written.
        let lines = [
            #"{"time":"2026-03-04T09:00:00Z","uri":"/caf\xC3\xA9?q=\x22x\x22","status":200,"remote_addr":"192.0.2.1","visitor_id":"v1"}"#,
            #"{"time":"2026-03-04T09:00:00Z","uri":"/b","status":200,"remote_addr":"192.0.2.1","visitor_id":"v\xFF2"}"#,
            #"{"time":"2026-03-04T09:00:00Z","uri":"/c\xZZ","status":200}"#,
        ]
        let got = try read(bytes(lines.joined(separator: "\n") + "\n"), format: "json_access")
        #expect(got.touchpoints.map(\.origin.line) == [1, 2])
        #expect(got.rejectReasons == [.badJSON])
        #expect(got.touchpoints.first?.path == "/café")
        #expect(got.touchpoints.first?.query == [QueryParam("q", "\"x\"")])
        #expect(got.touchpoints.last?.keys.visitor == #"v\xFF2"#)
    }

    @Test func dateIsATimeAlias() throws {
        // Issue 11 (e): a log whose only time field is `date` was rejected bad_timestamp.
        let line = #"{"date":"2026-03-04T09:00:00Z","request_uri":"/d","status":200,"remote_addr":"192.0.2.1"}"#
        let got = try read(bytes(line + "\n"), format: "json_access")
        #expect(got.rejects.isEmpty)
        #expect(got.touchpoints.first?.time == mar4 + hms(9, 0, 0))
    }

    @Test func timezoneOffsetAppliesToTimesWithoutOne() throws {
        var o = ReaderOptions()
        o.timezone = Zone(offset: 3600)
        let line = #"{"time":"2026-03-04T10:00:00","request_uri":"/","status":200,"remote_addr":"192.0.2.1"}"#
        let got = try read(bytes(line + "\n"), format: "json_access", options: o)
        #expect(got.touchpoints.first?.time == mar4 + hms(9, 0, 0))
    }

    @Test func sniff() throws {
        let sniff = try #require(JSONAccessReader.descriptor.sniff)
        func s(_ line: [UInt8]) -> Bool { line.withUnsafeBufferPointer { sniff($0) } }
        for name in ["web/access.json", "web/caddy.json", "web/traefik.json"] {
            let lines = try fixture(name).split(separator: 10).map(Array.init)
            let hits = lines.filter(s).count
            #expect(hits * 2 >= lines.count, "\(name): \(hits) of \(lines.count)")
        }
        #expect(!s(bytes(#"{"event":"open","email":"a@example.com","timestamp":1772614800}"#)))
        #expect(!s(bytes("2026-03-02 09:00:12 10.0.0.5 GET / - 443 - 203.0.113.10 Mozilla/5.0 - 200 0 0 187")))
        #expect(!s(bytes(#"["status","uri"]"#)))
    }
}
