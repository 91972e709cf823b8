import JourneysCore
import JourneysPipeline
import JourneysReaders
import Testing

/// Expected values below were worked out by hand from `fixtures/generic/events.jsonl`:
/// 2026-03-02T00:00:00Z = 20514 days × 86400 s = 1 772 409 600 s.
@Suite struct GenericJSONReaderTests {
    /// A Segment-style track export.
    static let eventFields: [String: String] = [
        "time": "ts", "action": "event", "visitor": "anonymous_id", "customer": "user_id", "email": "traits.email",
        "chat_visitor": "context.livechat_visitor", "url": "properties.url", "referrer": "properties.referrer",
        "status": "properties.status", "value": "properties.revenue|properties.value", "currency": "properties.currency",
        "score": "properties.score", "text": "properties.comment", "event_id": "message_id",
        "campaign": "context.campaign.name", "source": "context.campaign.source", "medium": "context.campaign.medium",
    ]

    private var options: ReaderOptions {
        var o = ReaderOptions()
        o.fields = Self.eventFields
        return o
    }

    private func configError(_ fields: [String: String], timeFormat: String = "auto") -> ConfigError? {
        var o = ReaderOptions()
        o.fields = fields
        o.timeFormat = timeFormat
        do {
            _ = try ReaderRegistry.make(format: "jsonl", options: o)
            return nil
        } catch {
            return error
        }
    }

    @Test func fixtureConformsAndRejectsTheBadLines() throws {
        let outcome = try expectConformance(try fixture("generic/events.jsonl"), format: "jsonl", options: options)
        #expect(outcome.lines == 16)
        #expect(outcome.touchpoints.count == 11)
        #expect(outcome.rejects.map(\.origin.line) == [8, 9, 10, 12, 14])
        #expect(outcome.rejectReasons == [.unknownEvent, .badTimestamp, .missingIdentity, .badJSON, .malformed])
        #expect(outcome.rejects[0].detail == "no action (field event)")
        #expect(outcome.rejects[1].detail.contains("\"yesterday\" (field ts)"))
        #expect(outcome.rejects[2].detail.contains("anonymous_id"))
        #expect(outcome.rejects[4].detail == "value \"4,800.00\" (field properties.revenue|properties.value) is not a number")
    }

    @Test func fixtureTouchpointsByHand() throws {
        let tps = try read(try fixture("generic/events.jsonl"), format: "jsonl", options: options).touchpoints
        try #require(tps.count == 11)
        #expect(tps.allSatisfy { $0.channel == .web })
        #expect(tps.map(\.origin.line) == [1, 2, 3, 4, 5, 6, 7, 11, 13, 15, 16])
        #expect(tps.map(\.time) == [
            1_772_442_600_250, // 09:10:00.250Z
            1_772_442_761_000, // 09:12:41Z
            1_772_442_785_000, // 09:13:05Z
            1_772_443_217_500, // 09:20:17.500Z
            1_772_445_720_000, // epoch 1772445720
            1_772_445_780_500, // epoch 1772445780.5
            1_772_445_900_000, // 10:05:00Z
            1_772_446_170_000, // 10:09:30Z
            1_772_449_200_000, // 12:00:00+01:00 = 11:00:00Z
            1_772_450_400_000, // 11:20:00Z
            1_772_450_640_000, // 11:24:00Z
        ])
        #expect(tps.map(\.action) == [.pageView, .custom("signup_started"), .custom("signup_completed"), .purchase, .pageView,
                                      .custom("add_to_cart"), .custom("checkout_error"), .custom("nps_submitted"), .emailClick,
                                      .purchase, .pageView])
        #expect(tps.map(\.keys) == [
            IdentityKeys(visitor: "a-31f2"),
            IdentityKeys(visitor: "a-31f2"),
            IdentityKeys(visitor: "a-31f2", customer: "cust-9001", email: "lee.park@example.org"),
            IdentityKeys(customer: "cust-9001"),
            IdentityKeys(visitor: "a-77c1"),
            IdentityKeys(visitor: "a-77c1"),
            IdentityKeys(visitor: "a-77c1"),
            IdentityKeys(customer: "cust-9001"),
            IdentityKeys(customer: "cust-4410", email: "ops@northwind.example"),
            IdentityKeys(customer: "cust-4410"),
            IdentityKeys(visitor: "a-90be", customer: "cust-4410", chatVisitor: "lc-5521"),
        ])
        #expect(tps.map(\.path) == ["/pricing", "/signup", nil, "/checkout/complete", "/", "/products/espresso-grinder",
                                    "/checkout", nil, "/b2b", "/checkout/complete", "/help/invoices"])
        #expect(tps.map(\.eventID) == ["m-001", "m-002", "m-003", "m-004", "m-005", "m-006", "m-007", "m-011", "m-013", "m-015", "m-016"])
        #expect(tps[0].campaign == Campaign(source: "newsletter", medium: "email", name: "spring_sale"))
        #expect(tps[0].referrerHost == "mail.google.com")
        #expect(tps[4].campaign == Campaign(source: "google", medium: "cpc", name: "brand_q1"))
        #expect(tps[4].clickID == ClickID(kind: "gclid", value: "EAIaIQobChMI"))
        #expect(tps[4].referrerHost == "www.google.com")
        #expect(tps[8].campaign == Campaign(source: "crm", medium: "email", name: "b2b_onboarding"))
        #expect(tps.map(\.value) == [nil, nil, nil, 129, nil, 249.9, nil, nil, nil, 4800, nil])
        #expect(tps.map(\.currency) == [nil, nil, nil, "EUR", nil, "EUR", nil, nil, nil, "EUR", nil])
        #expect(tps.map(\.status) == [0, 0, 0, 0, 0, 0, 502, 0, 0, 0, 0])
        #expect(tps.map(\.score) == [nil, nil, nil, nil, nil, nil, nil, 10, nil, nil, nil])
        #expect(tps.map(\.text) == [nil, nil, nil, nil, nil, nil, nil, "Love the grinder", nil, nil, nil])
    }

    @Test func channelComesFromTheOptions() throws {
        var o = options
        o.channel = .email
        let tps = try read(try fixture("generic/events.jsonl"), format: "jsonl", options: o).touchpoints
        #expect(tps.count == 11)
        #expect(tps.allSatisfy { $0.channel == .email })
    }

    @Test func configErrors() {
        #expect(configError([:])?.path == "fields.time")
        #expect(configError([:])?.message.contains("action") == true)
        #expect(configError(["action": "event"])?.path == "fields.time")
        #expect(configError(["time": "ts"])?.path == "fields.action")
        #expect(configError(["time": "ts", "action": ""])?.path == "fields.action")
        #expect(configError(["time": "ts", "action": "event", "page": "url"])?.path == "fields.page")
        #expect(configError(["time": "ts", "action": "event"], timeFormat: "unix")?.path == "time_format")
        #expect(configError(["time": "ts", "action": "event"]) == nil)
        #expect(ReaderRegistry.descriptor(named: "jsonl")?.sniff == nil)
    }

    @Test func valuesThatAreNotNumbers() throws {
        let o = options
        func one(_ s: String) throws -> ReadOutcome { try read(Array((s + "\n").utf8), format: "jsonl", options: o) }
        let head = #"{"ts":"2026-03-02T09:00:00Z","event":"x","anonymous_id":"a","properties":"#
        #expect(try one(head + #"{"status":"502"}}"#).touchpoints.map(\.status) == [502])
        #expect(try one(head + #"{"status":"oops"}}"#).rejectReasons == [.malformed])
        #expect(try one(head + #"{"status":5000}}"#).rejectReasons == [.outOfRange]) // a number, outside 100–599
        #expect(try one(head + #"{"score":"4.5"}}"#).touchpoints.map(\.score) == [4.5])
        #expect(try one(head + #"{"score":"high"}}"#).rejects.map(\.detail) == [#"score "high" (field properties.score) is not a number"#])
        #expect(try one(head + #"{"revenue":null,"value":"12.5"}}"#).touchpoints.map(\.value) == [12.5]) // null falls through
        #expect(try one(head + #"{"revenue":""}}"#).touchpoints.map(\.value) == [nil])
        #expect(try one(#"{"ts":"2026-03-02T09:00:00Z","event":"x","user_id":"null"}"#).rejectReasons == [.missingIdentity])
        #expect(try one(#"{"ts":"1985-01-01T00:00:00Z","event":"x","user_id":"u"}"#).rejectReasons == [.badTimestamp])
        #expect(try one(#"{"ts":{"a":1},"event":"x","user_id":"u"}"#).rejectReasons == [.badTimestamp])
        #expect(try one(#""just a string""#).rejectReasons == [.badJSON])
    }

    /// A support export of this test's own shape: a ticket holding threads of events, the
    /// ticket's id and requester shared by every event.
    @Test("records: nested paths, parent lookups, ^ levels, array filters, constants, role value maps, the agent role")
    func recordsAndParents() throws {
        var o = ReaderOptions()
        o.channel = .chat
        o.records = "threads[].events[]"
        o.fields = ["time": "at", "action": "kind", "chat_visitor": "author|people[role=customer].id", "conversation": "^^id",
                    "event_id": "id", "score": "stars", "agent": "author"]
        o.actions = ["msg[author=agent-*]": "chat_message_agent", "msg": "chat_message_visitor", "rated": "chat_rating"]
        o.ignore = ["joined"]
        o.constants = ["text": "(none)"]
        o.values = ["score": ["good": "5", "bad": "1"], "conversation": ["T*": "*"]]
        // 1791792000 s = 2026-10-12T08:00:00Z (see SendGridEventReaderTests).
        let line = #"{"id":"T1","people":[{"id":"agent-7","role":"agent"},{"id":"v-42","role":"customer"}],"threads":["#
            + #"{"id":"TH1","events":[{"id":"e1","kind":"msg","author":"v-42","at":1791792000},"#
            + #"{"id":"e2","kind":"msg","author":"agent-7","at":1791792060},{"id":"e3","kind":"joined","author":"agent-7","at":1791792000}]},"#
            + #"{"id":"TH2","events":[{"id":"e4","kind":"rated","stars":"good","at":1791792120},{"id":"e5","kind":"typing","at":1791792130}]}]}"#
        let r = try read(Array(line.utf8) + [10], format: "jsonl", options: o)
        #expect(r.touchpoints.map { "\($0.action.name) \($0.keys.chatVisitor ?? "-") \($0.conversation ?? "-") \($0.eventID ?? "-") \($0.score.map { String(Int($0)) } ?? "-") \($0.text ?? "-")" } == [
            // The conversation T1 read through "T*": "*" as 1.
            "chat_message_visitor v-42 1 e1 - (none)",
            // The agent's reply: its author is the agent, so the visitor is the ticket's customer.
            "chat_message_agent v-42 1 e2 - (none)",
            "chat_rating v-42 1 e4 5 (none)",
        ])
        #expect(r.touchpoints.map(\.time) == [1_791_792_000_000, 1_791_792_060_000, 1_791_792_120_000])
        // e3 ignored, e5 an unknown event: the line gave touchpoints, so e5 is an event reject.
        #expect(r.rejects.map(\.detail) == ["record [4] of 5: unknown event \"typing\" (field kind)"])
        #expect(r.rejects.allSatisfy { $0.eventOnly })
    }

    @Test("without records:, a top-level array and an {\"events\":[…]} envelope are expanded; an object with the action field is one record")
    func defaultExpansion() throws {
        var o = ReaderOptions()
        o.fields = ["time": "t", "action": "a", "visitor": "v"]
        let text = #"[{"t":1791792000,"a":"page_view","v":"x"},{"t":1791792001,"a":"page_view","v":"y"}]"# + "\n"
            + #"{"events":[{"t":1791792002,"a":"purchase","v":"x"}]}"# + "\n"
            + #"{"t":1791792003,"a":"page_view","v":"z","events":[1,2]}"# + "\n" + "[]\n"
        let r = try read(Array(text.utf8), format: "jsonl", options: o)
        #expect(r.touchpoints.map { "\($0.origin.line) \($0.keys.visitor ?? "-") \($0.action.name)" } == ["1 x page_view", "1 y page_view", "2 x purchase", "3 z page_view"])
        #expect(r.skips[.ignored] == 1) // the empty array holds no record
    }

    @Test("unwrap: JSON inside a string (an SNS envelope's Message) is read as the line")
    func unwrapJSONInAString() throws {
        var o = ReaderOptions()
        o.unwrap = "Message"
        o.channel = .email
        o.fields = ["time": "ts", "action": "kind", "email": "to"]
        let inner = #"{\"kind\":\"email_open\",\"ts\":1791792000,\"to\":\"a@example.com\"}"#
        let r = try read(Array(#"{"Type":"Notification","Message":"\#(inner)","Timestamp":"2026-10-12T08:00:01Z"}"#.utf8) + [10]
                         + Array(#"{"kind":"email_click","ts":1791792060,"to":"b@example.com"}"#.utf8) + [10], format: "jsonl", options: o)
        // 1791792000 s = 2026-10-12T08:00:00Z; the second line has no Message and is read as it is.
        #expect(r.touchpoints.map { "\($0.action.name) \($0.keys.email ?? "-") \($0.time)" } == [
            "email_open a@example.com 1791792000000", "email_click b@example.com 1791792060000"])
    }
}
