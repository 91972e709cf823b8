import JourneysCore
import JourneysReaders
import Testing

/// Expected values below were worked out by hand from the fixture text: epoch seconds × 1000
/// (e.g. 1791792000 = 2026-10-12T00:00:00Z (20738 days × 86400 = 1791763200) + 8 h = 08:00:00Z).
@Suite("SendGridEventReader")
struct SendGridEventReaderTests {
    func lines(_ text: String, options: ReaderOptions = ReaderOptions()) throws -> ReadOutcome {
        try read(Array(text.utf8), format: "sendgrid", options: options)
    }

    @Test("fixture: every line ends as a touchpoint or a reject with the right reason")
    func fixtureOutcome() throws {
        let o = try expectConformance(try fixture("email/sendgrid_events.ndjson"), format: "sendgrid")
        #expect(o.lines == 22)
        #expect(o.touchpoints.count == 18) // line 19's open is kept, its machine_open rejected alone
        #expect(o.skips.total == 0)
        #expect(o.rejects.map { "\($0.origin.line):\($0.reason.rawValue)" } == [
            "14:unknown_event", "15:missing_identity", "16:bad_json", "17:bad_json", "18:bad_timestamp",
            "19:unknown_event", "21:bad_json",
        ])
        let detail = Dictionary(uniqueKeysWithValues: o.rejects.map { ($0.origin.line, $0.detail) })
        #expect(detail[14] == "unknown event \"account_status_change\" (field \"event\")")
        #expect(detail[15] == "no email (field \"email\")")
        #expect(detail[16]?.hasPrefix("unterminated string") == true)
        #expect(detail[17]?.hasPrefix("duplicate key \"event\"") == true)
        #expect(detail[18] == "timestamp \"yesterday\" is not a time between 1990 and 2100 (field \"timestamp\")")
        #expect(detail[19] == "element [1] of 2: unknown event \"machine_open\" (field \"event\")")
        #expect(o.rejects.filter(\.eventOnly).map(\.origin.line) == [19])
        #expect(o.touchpoints.contains { $0.origin.line == 19 && $0.time == 1_791_807_000_000 && $0.action == .emailOpen })
        #expect(o.touchpoints.allSatisfy { $0.channel == .email })
    }

    @Test("an open SendGrid marks sg_machine_open: true is email_machine_open; false or absent is email_open")
    func machineOpen() throws {
        // SendGrid's docs: sg_machine_open is true when the open came from a machine (Apple Mail
        // Privacy Protection), false otherwise. The role can be renamed like any other.
        let o = try lines(#"{"email":"a@example.com","timestamp":1791792000,"event":"open","sg_machine_open":true,"useragent":"Mozilla/5.0"}"#
            + "\n" + #"{"email":"a@example.com","timestamp":1791792060,"event":"open","sg_machine_open":false}"#
            + "\n" + #"{"email":"a@example.com","timestamp":1791792120,"event":"open"}"#
            + "\n" + #"{"email":"a@example.com","timestamp":1791792180,"event":"click","sg_machine_open":true,"url":"https://shop.example/"}"# + "\n")
        #expect(o.touchpoints.map(\.action) == [.emailMachineOpen, .emailOpen, .emailOpen, .emailClick])
        #expect(o.touchpoints.first?.action.name == "email_machine_open")
        var options = ReaderOptions()
        options.fields["machine_open"] = "proxy"
        let renamed = try lines(#"{"email":"a@example.com","timestamp":1791792000,"event":"open","proxy":true}"# + "\n", options: options)
        #expect(renamed.touchpoints.map(\.action) == [.emailMachineOpen])
    }

    @Test("one unknown event in a webhook array rejects that event alone; the line counts once, as a touchpoint line")
    func unknownEventInArray() throws {
        // Three events on one line, the middle one unknown: the first and third become touchpoints
        // (1791792000 s = 2026-10-12T08:00:00Z, see above), the second is an event-only reject.
        let line = #"[{"email":"a@example.com","timestamp":1791792000,"event":"open"},"#
            + #"{"email":"a@example.com","timestamp":1791792001,"event":"mystery"},"#
            + #"{"email":"a@example.com","timestamp":1791792002,"event":"click","url":"https://shop.example/x"}]"#
        let o = try lines(line + "\n")
        #expect(o.lines == 1)
        #expect(o.touchpoints.map(\.time) == [1_791_792_000_000, 1_791_792_002_000])
        #expect(o.touchpoints.map(\.action) == [.emailOpen, .emailClick])
        #expect(o.rejects.count == 1)
        #expect(o.rejects.first?.reason == .unknownEvent)
        #expect(o.rejects.first?.eventOnly == true)
        #expect(o.rejects.first?.detail == "element [1] of 3: unknown event \"mystery\" (field \"event\")")
        // No event usable: the line itself is rejected, for its first bad event.
        let none = try lines(#"[{"email":"a@example.com","timestamp":1791792000,"event":"mystery"},7]"# + "\n")
        #expect(none.touchpoints.isEmpty)
        #expect(none.rejects.map(\.eventOnly) == [false])
        #expect(none.rejects.first?.detail == "element [0] of 2: unknown event \"mystery\" (field \"event\") (every element was rejected)")
    }

    @Test("a time more than a day after the run started rejects that event alone, the line only when every event has one")
    func lateEventInArray() throws {
        // 4000000000 s = 2096-10-02T07:06:40Z, long after any run of these tests.
        let ok = #"{"email":"a@example.com","timestamp":1791792000,"event":"open"}"#
        let late = #"{"email":"b@example.com","timestamp":4000000000,"event":"open"}"#
        let o = try lines("[\(late),\(ok),{\"event\":\"mystery\"}]\n[\(late),\(late)]\n")
        #expect(o.lines == 2)
        #expect(o.touchpoints.map(\.time) == [1_791_792_000_000])
        // Line 1: the reader's rejected element, then the late touchpoint; line 2 rejected whole.
        #expect(o.rejects.map { "\($0.origin.line):\($0.reason.rawValue):\($0.eventOnly)" }
                == ["1:unknown_event:true", "1:bad_timestamp:true", "2:bad_timestamp:false"])
        #expect(o.rejects.map(\.detail) == [
            "element [2] of 3: unknown event \"mystery\" (field \"event\")",
            "touchpoint 1 of 2: time 2096-10-02T07:06:40.000Z is more than a day after the run started",
            "touchpoint 1 of 2: time 2096-10-02T07:06:40.000Z is more than a day after the run started (every touchpoint of the line was)",
        ])
    }

    @Test("an array of 20,000 bad events: the line's text is kept once, 100 events listed, the rest counted by reason")
    func manyBadEventsInArray() throws {
        // Element [0] is kept; [1] … [20000] alternate {} (malformed: no event) and an unknown
        // event, 10,000 each. Listed one by one: [1] … [100], 50 of each; counted: 9,950 of each.
        let ok = #"{"email":"a@example.com","timestamp":1791792000,"event":"open"}"#
        let line = "[" + ok + String(repeating: #",{},{"event":"x"}"#, count: 10_000) + "]"
        let o = try lines(line + "\n")
        #expect(o.lines == 1 && o.touchpoints.count == 1)
        #expect(o.rejects.count == 102)
        #expect(o.rejects.allSatisfy { $0.eventOnly })
        #expect(o.rejects.map(\.rawShared) == [false] + Array(repeating: true, count: 101))
        // The line (170,065 bytes: 65 + 10,000 × 17) is kept once, cut at 64 KiB as every raw text is.
        #expect(o.rejects.map(\.raw.count) == [65_536] + Array(repeating: 0, count: 101))
        #expect(o.rejects.allSatisfy { $0.length == 170_065 })
        #expect(o.rejects[99].detail == "element [100] of 20001: unknown event \"x\" (field \"event\")")
        #expect(o.rejects.suffix(2).map { "\($0.reason.rawValue) \($0.events): \($0.detail)" } == [
            "malformed 9950: 9950 more rejected events of this line, not listed one by one",
            "unknown_event 9950: 9950 more rejected events of this line, not listed one by one",
        ])
        var events: [RejectReason: Int64] = [:]
        for r in o.rejects { events[r.reason, default: 0] += r.events }
        #expect(events == [.malformed: 10_000, .unknownEvent: 10_000])
    }

    @Test("the gzipped fixture reads the same as the plain one")
    func gzippedFixture() throws {
        let plain = try read(try fixture("email/sendgrid_events.ndjson"), format: "sendgrid")
        let gz = try read(try fixture("email/sendgrid_events.ndjson.gz"), format: "sendgrid")
        #expect(gz == plain)
        let batch = try read(try fixture("email/sendgrid_batch.json"), format: "sendgrid")
        let batchGz = try read(try fixture("email/sendgrid_batch.json.gz"), format: "sendgrid")
        #expect(batchGz == batch)
    }

    @Test("processed, delivered, open: time, identity, category campaign, device, event id")
    func anaFirstEvents() throws {
        let t = try read(try fixture("email/sendgrid_events.ndjson"), format: "sendgrid").touchpoints
        let processed = t[0]
        #expect(processed.origin.line == 1)
        #expect(processed.action == .emailProcessed)
        #expect(processed.time == 1_791_792_000_000) // 2026-10-12T08:00:00Z
        #expect(processed.keys.email == "ana.lima@example.com") // "Ana.Lima@Example.com" lower-cased
        #expect(processed.keys.customer == "C-1001") // custom argument customer_id
        #expect(processed.campaign.name == "newsletter") // category as a string
        #expect(processed.eventID == "cHJvY2Vzc2VkLTEwMDEtMDE")
        #expect(processed.text == nil)
        #expect(processed.path == nil)

        let delivered = t[1]
        #expect(delivered.action == .emailDelivered)
        #expect(delivered.time == 1_791_792_003_000)
        #expect(delivered.text == nil) // a delivered response is not kept

        let open = t[2]
        #expect(open.action == .emailOpen)
        #expect(open.time == 1_791_796_542_000) // 09:15:42Z
        #expect(open.device == .mobile) // iPhone user agent
        #expect(open.eventID == "b3Blbi0xMDAxLTAz")
    }

    @Test("click: URL path, utm campaign over category, customer from cid, click id case kept")
    func click() throws {
        let c = try read(try fixture("email/sendgrid_events.ndjson"), format: "sendgrid").touchpoints[3]
        #expect(c.origin.line == 4)
        #expect(c.action == .emailClick)
        #expect(c.time == 1_791_796_565_000) // 09:16:05Z
        #expect(c.path == "/fall/boots")
        #expect(c.query.map(\.name) == ["utm_source", "utm_campaign", "cid", "gclid"])
        #expect(c.campaign.source == "newsletter")
        #expect(c.campaign.name == "fall sale") // "fall+sale" decoded, beats category "newsletter"
        #expect(c.campaign.medium == nil)
        #expect(c.clickID == ClickID(kind: "gclid", value: "AbC"))
        #expect(c.keys.customer == "C-1001") // no custom argument on this line: from the URL's cid
        #expect(c.keys.email == "ana.lima@example.com")
        #expect(c.device == .desktop) // Windows Chrome
        #expect(c.eventID == "Y2xpY2stMTAwMS0wNA")
    }

    @Test("a one-line JSON array of 3 events gives 3 touchpoints with their texts")
    func webhookArray() throws {
        let t = try read(try fixture("email/sendgrid_events.ndjson"), format: "sendgrid").touchpoints
        let batch = t.filter { $0.origin.line == 5 }
        #expect(batch.count == 3)
        #expect(batch.map(\.action) == [.emailDeferred, .emailBounce, .emailDropped])
        #expect(batch.map(\.time) == [1_791_792_007_000, 1_791_792_009_000, 1_791_792_001_000])
        #expect(batch.map(\.keys.email) == ["ben.okafor@example.org", "cara@example.net", "dmitri@example.com"])
        #expect(batch.map(\.text) == ["421 4.7.28 Try again later",
                                      "blocked: 550 5.7.1 Message rejected due to local policy",
                                      "Bounced Address"])
        #expect(batch.map(\.eventID) == ["ZGVmZXJyZWQtMjAwMS0wNQ", "Ym91bmNlLTMwMDEtMDY", "ZHJvcHBlZC00MDAxLTA3"])
    }

    @Test("category array, numeric-string timestamp, complaint, unsubscribes, marketing campaign, message-id fallback")
    func otherEvents() throws {
        let t = try read(try fixture("email/sendgrid_events.ndjson"), format: "sendgrid").touchpoints
        func at(_ line: Int64) -> Touchpoint? { t.first { $0.origin.line == line } }

        let welcome = try #require(at(6))
        #expect(welcome.campaign.name == "welcome") // ["welcome","onboarding"]: the first element
        #expect(welcome.keys.customer == "U-5001") // custom argument user_id
        #expect(welcome.time == 1_791_801_000_000) // 10:30:00Z

        let stringTime = try #require(at(7))
        #expect(stringTime.action == .emailDelivered)
        #expect(stringTime.time == 1_791_801_004_000) // "1791801004" as text

        #expect(at(8)?.action == .emailComplaint)
        #expect(at(8)?.time == 1_791_813_731_000) // 14:02:11Z
        #expect(at(9)?.action == .emailUnsubscribe)
        let groupUnsub = try #require(at(10))
        #expect(groupUnsub.action == .emailUnsubscribe)
        #expect(groupUnsub.path == nil) // only clicks read the URL
        #expect(groupUnsub.keys.customer == nil) // user_id is in the ASM URL, not a custom argument
        #expect(at(11)?.action == .emailResubscribe)
        #expect(at(11)?.time == 1_791_818_430_000) // 15:20:30Z

        let digest = try #require(at(12))
        #expect(digest.campaign.name == "October Digest") // marketing_campaign_name beats category
        #expect(digest.device == .desktop)

        let noEventID = try #require(at(13))
        #expect(noEventID.eventID == "9f8e7d6c5b.1a2.9001.filter0202p1las1-2222-6A7B8C9D-2.0:open:1791803100000")
        #expect(noEventID.device == .mobile) // Android + Mobile
        #expect(noEventID.campaign.name == nil)

        let nora = try #require(at(20))
        #expect(nora.keys.email == "nora@example.com") // "  Nora@Example.COM " trimmed, lower-cased
        #expect(nora.keys.customer == "1002") // a numeric custom argument
        #expect(nora.time == 1_791_807_600_000) // 12:20:00Z

        let dropped = try #require(at(22))
        #expect(dropped.action == .emailDropped)
        #expect(dropped.text == "Unsubscribed Address")
    }

    @Test("pretty-printed webhook bodies: brackets are header skips, trailing commas are dropped")
    func prettyPrintedBatch() throws {
        let o = try expectConformance(try fixture("email/sendgrid_batch.json"), format: "sendgrid")
        #expect(o.lines == 16)
        #expect(o.touchpoints.count == 12)
        #expect(o.skips[.header] == 4) // lines 1, 8, 9, 16
        #expect(o.rejects.isEmpty)
        #expect(o.touchpoints.map(\.origin.line) == [2, 3, 4, 5, 6, 7, 10, 11, 12, 13, 14, 15])
        #expect(o.touchpoints.map(\.action) == [
            .emailProcessed, .emailDelivered, .emailProcessed, .emailDeferred, .emailDelivered,
            .emailMachineOpen, // line 7: "sg_machine_open": true
            .emailOpen, .emailClick, .emailOpen, .emailClick, .emailUnsubscribe, .emailComplaint,
        ])
        // 2026-10-13T00:00:00Z is 1791849600; 09:00:00Z is +32400 s.
        #expect(o.touchpoints[0].time == 1_791_882_000_000)
        #expect(o.touchpoints[3].text == "451 4.3.0 Mailbox temporarily unavailable")
        #expect(o.touchpoints[3].time == 1_791_882_062_000) // 09:01:02Z
        #expect(o.touchpoints[0].campaign.name == "fall-sale") // ["fall-sale","promo"]
        #expect(o.touchpoints[0].keys.customer == "C-1101")

        let olgaClick = o.touchpoints[7]
        #expect(olgaClick.time == 1_791_889_230_000) // 11:00:30Z
        #expect(olgaClick.path == "/sale/jackets")
        #expect(olgaClick.campaign == Campaign(source: "sendgrid", medium: "email", name: "fall-sale", content: "hero banner"))
        #expect(olgaClick.device == .mobile)

        let paulClick = o.touchpoints[9]
        #expect(paulClick.path == "/account")
        #expect(paulClick.campaign.name == "fall-sale") // no utm_campaign: the first category
        #expect(paulClick.clickID == ClickID(kind: "fbclid", value: "IwAR0xYz"))
        #expect(paulClick.keys.email == "paul@example.org")
        #expect(paulClick.keys.customer == "C-1102")
    }

    @Test("field roles can be renamed; an unknown role is a configuration error")
    func fieldOverrides() throws {
        var options = ReaderOptions()
        options.fields = ["email": "recipient", "time": "ts|timestamp", "customer": "args.account"]
        let o = try lines("""
            {"recipient":"Kai@Example.com","ts":1791792000,"event":"delivered","sg_event_id":"x1","args":{"account":"A-7"}}
            {"recipient":"kai@example.com","timestamp":1791792060,"event":"open","sg_event_id":"x2"}
            {"email":"kai@example.com","ts":1791792000,"event":"open","sg_event_id":"x3"}
            """, options: options)
        #expect(o.touchpoints.count == 2)
        #expect(o.touchpoints[0].keys == IdentityKeys(customer: "A-7", email: "kai@example.com"))
        #expect(o.touchpoints[1].time == 1_791_792_060_000) // the second alternative
        #expect(o.rejects.map(\.reason) == [.missingIdentity])
        #expect(o.rejects.first?.detail == "no email (field \"recipient\")")

        var bad = ReaderOptions()
        bad.fields = ["mail": "to"]
        #expect(throws: ConfigError.self) { _ = try SendGridEventReader(options: bad) }
    }

    @Test("free text is cut to text_limit; an email param fills a click without an email field")
    func textLimitAndURLEmail() throws {
        var options = ReaderOptions()
        options.textLimit = 10
        let o = try lines("""
            {"email":"a@example.com","timestamp":1791792000,"event":"bounce","reason":"550 5.1.1 The email account does not exist"}
            {"timestamp":1791792000,"event":"click","url":"https://shop.example.com/p?email=Lu%40Example.com&customer_id=C-9"}
            {"email":"n/a","timestamp":1791792000,"event":"click","url":"https://shop.example.com/p"}
            """, options: options)
        #expect(o.touchpoints.count == 2)
        #expect(o.touchpoints[0].text == "550 5.1.1 …") // first 10 bytes, then the mark
        #expect(o.touchpoints[1].keys == IdentityKeys(customer: "C-9", email: "lu@example.com"))
        #expect(o.rejects.map(\.reason) == [.missingIdentity])
        #expect(o.rejects.first?.detail == "email \"n/a\" is not an address (field \"email\")")
    }

    @Test("arrays: empty is a header skip, a non-object element is rejected alone")
    func arrayEdges() throws {
        let o = try lines("""
            []
            [{"email":"a@example.com","timestamp":1791792000,"event":"open"}, 42]
            "just a string"
            {"email":"a@example.com","timestamp":1791792000}
            {"email":"a@example.com","timestamp":-5,"event":"open"}
            """)
        // Line 2: the open is kept, the 42 rejected on its own (an event-only reject).
        #expect(o.touchpoints.map(\.origin.line) == [2])
        #expect(o.skips[.header] == 1)
        #expect(o.rejects.map { "\($0.origin.line):\($0.reason.rawValue)" } == ["2:malformed", "3:malformed", "4:malformed", "5:bad_timestamp"])
        #expect(o.rejects.map(\.eventOnly) == [true, false, false, false])
        #expect(o.rejects.first?.detail == "element [1] of 2: not a JSON object")
    }

    @Test("sniffing recognises SendGrid lines and not other JSON")
    func sniff() throws {
        func sniff(_ s: String) -> Bool {
            var s = s
            return s.withUTF8 { SendGridEventReader.sniff($0) }
        }
        #expect(sniff(#"{"email":"a@b.c","timestamp":1,"event":"open","sg_event_id":"x"}"#))
        #expect(sniff(#"[{"email":"a@b.c","timestamp":1,"event":"delivered"}]"#))
        #expect(!sniff(#"{"event":"message","email":"a@b.c","timestamp":1,"text":"hi"}"#))
        #expect(!sniff(#"{"eventType":"Open","mail":{}}"#))
        #expect(!sniff("127.0.0.1 - - [10/Oct/2026:13:55:36 +0000] \"GET / HTTP/1.1\" 200 5"))
        let lines = try fixture("email/sendgrid_events.ndjson").split(separator: 10).map(Array.init)
        #expect(ReaderRegistry.detect(lines) == "sendgrid")
        #expect(ReaderRegistry.descriptor(named: "sendgrid")?.channel == "email")
    }
}
