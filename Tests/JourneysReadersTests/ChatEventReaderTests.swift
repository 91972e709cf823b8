import JourneysCore
import JourneysPipeline
import JourneysReaders
import Testing

/// Expected values below were worked out by hand from the fixture text:
/// 2026-03-02T00:00:00Z = 20514 days × 86400 s = 1 772 409 600 s.
@Suite struct ChatEventReaderTests {
    /// The field overrides that make `fixtures/chat/intercom_like.jsonl` read.
    static let intercomFields: [String: String] = [
        "conversation": "conversation.id",
        "visitor": "contact.id",
        "email": "contact.email",
        "customer": "contact.external_id",
        "event": "part_type",
        "text": "body|conversation_rating.remark",
        "rating": "conversation_rating.rating",
        "score": "survey.nps_score",
        "url": "source.url",
    ]

    private func readLines(_ lines: [String], options: ReaderOptions = ReaderOptions()) throws -> ReadOutcome {
        try read(Array((lines.joined(separator: "\n") + "\n").utf8), format: "chat", options: options)
    }

    private func one(_ line: String, options: ReaderOptions = ReaderOptions()) throws -> ReadOutcome {
        try readLines([line], options: options)
    }

    @Test func fixtureConformsAndRejectsTheBadLines() throws {
        let outcome = try expectConformance(try fixture("chat/chat.jsonl"), format: "chat")
        #expect(outcome.lines == 21)
        #expect(outcome.touchpoints.count == 18)
        #expect(outcome.rejects.map(\.origin.line) == [17, 18, 21])
        #expect(outcome.rejectReasons == [.unknownEvent, .badJSON, .missingIdentity])
        #expect(outcome.rejects[0].detail.contains("\"agent_transferred\""))
        #expect(outcome.rejects[0].detail.contains("type|event"))
        #expect(outcome.skips.total == 0)
    }

    @Test func gzippedFixtureReadsTheSame() throws {
        let plain = try read(try fixture("chat/chat.jsonl"), format: "chat")
        let gz = try read(try fixture("chat/chat.jsonl.gz"), format: "chat")
        #expect(gz == plain)
        #expect(gz.touchpoints.count == 18)
    }

    @Test func fixtureTouchpointsByHand() throws {
        let tps = try read(try fixture("chat/chat.jsonl"), format: "chat").touchpoints
        try #require(tps.count == 18)
        #expect(tps.allSatisfy { $0.channel == .chat })
        // (line, time ms, action, chat visitor, email, customer, conversation, score, text)
        let dana = "dana.reyes@example.com"
        let expected: [(Int64, Int64, Action, String?, String?, String?, String, Double?, String?)] = [
            (1, 1_772_442_845_000, .chatStarted, "v-7f3a", nil, nil, "c-1001", nil, nil), // 09:14:05Z
            (2, 1_772_442_852_000, .chatMessageVisitor, "v-7f3a", nil, nil, "c-1001", nil, "Hi, does the Pro plan include phone support?"),
            (3, 1_772_442_940_000, .chatMessageAgent, "v-7f3a", nil, nil, "c-1001", nil,
             "Hello! Yes, Pro includes phone support on weekdays. Can I have your email to send the details?"),
            // no "type": a message; " Dana.Reyes@Example.com " trimmed and lower-cased
            (4, 1_772_442_962_000, .chatMessageVisitor, "v-7f3a", dana, nil, "c-1001", nil, "Sure, it's Dana.Reyes@Example.com"),
            (5, 1_772_443_050_000, .chatMessageAgent, "v-7f3a", dana, nil, "c-1001", nil, "Sent! You should have it in a minute."),
            (6, 1_772_443_091_000, .chatRating, "v-7f3a", dana, nil, "c-1001", 5, "Quick and helpful"),
            (7, 1_772_443_120_000, .chatSurvey, "v-7f3a", dana, nil, "c-1001", 9, nil),
            (8, 1_772_443_140_000, .chatClosed, "v-7f3a", nil, nil, "c-1001", nil, nil),
            // 11:02:00+01:00 = 10:02:00Z
            (9, 1_772_445_720_000, .chatStarted, "v-19c0", nil, "cust-5521", "c-1002", nil, nil),
            (10, 1_772_445_721_000, .chatMessageBot, "v-19c0", nil, "cust-5521", "c-1002", nil,
             "Hi! I'm the order assistant. What can I help you with?"),
            (11, 1_772_445_750_000, .chatMessageVisitor, "v-19c0", nil, "cust-5521", "c-1002", nil,
             "My order 88123 arrived damaged, the \"large\" mug is broken"),
            (12, 1_772_446_005_000, .chatMessageAgent, "v-19c0", nil, "cust-5521", "c-1002", nil,
             "Sorry about that! I've arranged a replacement, it ships tomorrow."),
            (13, 1_772_446_090_000, .chatRating, "v-19c0", nil, "cust-5521", "c-1002", 4, nil), // "good" → 4
            (14, 1_772_446_110_000, .chatClosed, "v-19c0", nil, "cust-5521", "c-1002", nil, nil),
            // epoch seconds 1772467200 = 16:00:00Z
            (15, 1_772_467_200_000, .chatStarted, "v-88d2", nil, nil, "c-1003", nil, nil),
            (16, 1_772_467_215_000, .chatMessageVisitor, "v-88d2", nil, nil, "c-1003", nil, "Is the grinder in stock in black?"),
            (19, 1_772_467_320_000, .chatMessageAgent, "v-88d2", nil, nil, "c-1003", nil, "Yes, black is in stock and ships today."),
            (20, 1_772_467_500_000, .chatClosed, "v-88d2", nil, nil, "c-1003", nil, nil),
        ]
        for (t, e) in zip(tps, expected) {
            #expect(t.origin.line == e.0)
            #expect(t.time == e.1, "line \(e.0)")
            #expect(t.action == e.2, "line \(e.0)")
            #expect(t.keys == IdentityKeys(customer: e.5, email: e.4, chatVisitor: e.3), "line \(e.0)")
            #expect(t.conversation == e.6, "line \(e.0)")
            #expect(t.score == e.7, "line \(e.0)")
            #expect(t.text == e.8, "line \(e.0)")
            #expect(t.eventID == "ev-00\(e.0 < 10 ? "0" : "")\(e.0)", "line \(e.0)")
        }
        // The page each chat started on.
        #expect(tps[0].path == "/pricing")
        #expect(tps[0].campaign == Campaign(source: "newsletter", medium: "email", name: "spring_sale"))
        #expect(tps[8].path == "/account/orders/88123")
        #expect(tps[8].query.isEmpty)
        #expect(tps[14].path == "/products/espresso-grinder")
        #expect(tps[14].clickID == ClickID(kind: "gclid", value: "Cj0KCQ-test"))
        #expect(tps[1].path == nil)
    }

    @Test func intercomShapedExportReadsWithFieldOverrides() throws {
        var options = ReaderOptions()
        options.fields = Self.intercomFields
        let outcome = try expectConformance(try fixture("chat/intercom_like.jsonl"), format: "chat", options: options)
        #expect(outcome.lines == 15)
        #expect(outcome.rejects.map(\.origin.line) == [12]) // part_type "assignment"
        #expect(outcome.rejectReasons == [.unknownEvent])
        let tps = outcome.touchpoints
        try #require(tps.count == 14)

        // The same two conversations as lines 1–14 of chat.jsonl: same instants, actions,
        // scores, texts and pages.
        let plain = Array(try read(try fixture("chat/chat.jsonl"), format: "chat").touchpoints.prefix(14))
        #expect(tps.map(\.time) == plain.map(\.time))
        #expect(tps.map(\.action) == plain.map(\.action))
        #expect(tps.map(\.score) == plain.map(\.score))
        #expect(tps.map(\.text) == plain.map(\.text))
        #expect(tps.map(\.path) == plain.map(\.path))
        #expect(tps.map(\.campaign) == plain.map(\.campaign))
        #expect(tps.map(\.action) == [.chatStarted, .chatMessageVisitor, .chatMessageAgent, .chatMessageVisitor, .chatMessageAgent,
                                      .chatRating, .chatSurvey, .chatClosed,
                                      .chatStarted, .chatMessageBot, .chatMessageVisitor, .chatMessageAgent, .chatRating, .chatClosed])

        // The same people: Intercom's contact carries the email on every part (so the
        // conversation joins Dana's chat.jsonl records through it) and the external id.
        let dana = IdentityKeys(email: "dana.reyes@example.com", chatVisitor: "65f1c0a2e4b0d1a7c3f9e201")
        let second = IdentityKeys(customer: "cust-5521", chatVisitor: "65f1c0a2e4b0d1a7c3f9e377")
        #expect(tps.prefix(8).allSatisfy { $0.keys == dana })
        #expect(tps.suffix(6).allSatisfy { $0.keys == second })
        #expect(plain[3].keys.email == dana.email)
        #expect(plain[8].keys.customer == second.customer)
        #expect(tps.prefix(8).allSatisfy { $0.conversation == "215463871" })
        #expect(tps.suffix(6).allSatisfy { $0.conversation == "215463902" })
        #expect(tps[0].eventID == "2117580001")
    }

    @Test func intercomShapedExportWithoutOverridesDoesNotRead() throws {
        // part_type is not a default event field, so every part is taken as a message, and the
        // agent's author.id must never become a visitor key.
        // The user-authored parts (author.type "user") read as visitor messages keyed by author.id;
        // the admin's and bot's parts have no visitor key left and are missing_identity.
        let outcome = try read(try fixture("chat/intercom_like.jsonl"), format: "chat")
        #expect(outcome.rejects.map(\.origin.line) == [3, 5, 8, 10, 12, 13, 15])
        #expect(outcome.rejectReasons == Array(repeating: .missingIdentity, count: 7))
        #expect(outcome.touchpoints.map(\.origin.line) == [1, 2, 4, 6, 7, 9, 11, 14])
        #expect(outcome.touchpoints.allSatisfy { $0.action == .chatMessageVisitor })
        #expect(Set(outcome.touchpoints.compactMap(\.keys.chatVisitor)) == ["65f1c0a2e4b0d1a7c3f9e201", "65f1c0a2e4b0d1a7c3f9e377"])
    }

    @Test func unknownFieldRoleIsAConfigError() {
        var options = ReaderOptions()
        options.fields = ["conversation": "conversation.id", "visitor_name": "contact.name"]
        #expect(throws: ConfigError.self) { try ChatEventReader(options: options) }
        do {
            _ = try ReaderRegistry.make(format: "chat", options: options)
            Issue.record("expected a ConfigError")
        } catch {
            #expect(error.path == "fields.visitor_name")
            #expect(error.message.contains("event_id"))
        }
    }

    @Test func unknownTimeFormatIsAConfigError() {
        var options = ReaderOptions()
        options.timeFormat = "rfc2822"
        do {
            _ = try ReaderRegistry.make(format: "chat", options: options)
            Issue.record("expected a ConfigError")
        } catch {
            #expect(error.path == "time_format")
        }
    }

    @Test func authorIdIsTheVisitorOnlyWhenTheAuthorIsTheVisitor() throws {
        let visitor = try one(#"{"type":"message","author":{"type":"contact","id":"lc-42"},"created_at":"2026-03-02T09:00:00Z","text":"hello"}"#)
        #expect(visitor.touchpoints.first?.keys == IdentityKeys(chatVisitor: "lc-42"))
        #expect(visitor.touchpoints.first?.action == .chatMessageVisitor)
        let agent = try one(#"{"type":"message","author":{"type":"admin","id":"5512873"},"created_at":"2026-03-02T09:00:00Z","text":"hi"}"#)
        #expect(agent.rejectReasons == [.missingIdentity])
        // An explicit visitor_id on an agent's record is the visitor's.
        let agentWithVisitor = try one(#"{"visitor_id":"v-1","author":{"type":"admin","id":"5512873"},"created_at":"2026-03-02T09:00:00Z"}"#)
        #expect(agentWithVisitor.touchpoints.first?.keys == IdentityKeys(chatVisitor: "v-1"))
        #expect(agentWithVisitor.touchpoints.first?.action == .chatMessageAgent)
    }

    @Test func eventNamesAndRoles() throws {
        let base = #""visitor_id":"v-1","timestamp":"2026-03-02T09:00:00Z""#
        let cases: [(String, Action)] = [
            (#"{"event":"Chat.Msg","role":"End-User","#, .chatMessageVisitor),
            (#"{"type":"comment","author_role":"teammate","#, .chatMessageAgent),
            (#"{"type":"msg","author_role":"Automation","#, .chatMessageBot),
            (#"{"type":"agent_reply","#, .chatMessageAgent),
            (#"{"type":"bot_message","#, .chatMessageBot),
            (#"{"type":"visitor_message","author_role":"agent","#, .chatMessageVisitor), // the name wins
            (#"{"type":"OPEN","#, .chatStarted),
            (#"{"type":"chat.ended","author_role":"agent","#, .chatClosed),
        ]
        for (head, action) in cases {
            let r = try one(head + base + "}")
            #expect(r.touchpoints.map(\.action) == [action], "\(head)")
        }
        let noRole = try one(#"{"type":"message","#  + base + "}")
        #expect(noRole.rejectReasons == [.malformed])
        #expect(noRole.rejects.first?.detail.contains("author_role|author.type|role") == true)
        let oddRole = try one(#"{"type":"message","author_role":"supervisor","#  + base + "}")
        #expect(oddRole.rejectReasons == [.unknownEvent])
        #expect(oddRole.rejects.first?.detail.contains("\"supervisor\"") == true)
        let numericEvent = try one(#"{"type":7,"#  + base + "}")
        #expect(numericEvent.rejectReasons == [.unknownEvent])
    }

    @Test func ratingWordsAndNumbers() throws {
        let base = #""type":"rating","visitor_id":"v-1","timestamp":"2026-03-02T09:00:00Z""#
        let cases: [(String, Double?)] = [
            ("1", 1), ("\"3\"", 3), ("4.5", 4.5), ("\"bad\"", 2), ("\"Rated good\"", 4), ("\"great\"", 5),
            ("\"Thumbs-Up\"", 4), ("\"terrible\"", 1), ("\"neutral\"", 3),
            ("0", nil), ("6", nil), ("\"meh\"", nil), ("true", nil),
        ]
        for (value, score) in cases {
            let r = try one("{" + base + #","rating":"# + value + "}")
            if let score {
                #expect(r.touchpoints.map(\.score) == [score], "rating \(value)")
            } else {
                // A number off the 1–5 scale is out_of_range; a word or value that is no rating is malformed.
                #expect(r.rejectReasons == [value == "0" || value == "6" ? .outOfRange : .malformed], "rating \(value)")
                #expect(r.rejects.first?.detail.contains("field rating") == true)
            }
        }
        let missing = try one("{" + base + "}")
        #expect(missing.rejectReasons == [.malformed])
    }

    @Test func surveyScores() throws {
        let base = #""type":"survey","visitor_id":"v-1","timestamp":"2026-03-02T09:00:00Z""#
        #expect(try one("{" + base + #","nps":0}"#).touchpoints.map(\.score) == [0])
        #expect(try one("{" + base + #","score":"10"}"#).touchpoints.map(\.score) == [10])
        #expect(try one("{" + base + #","survey_score":11}"#).rejectReasons == [.outOfRange])
        #expect(try one("{" + base + #","survey_score":"nine"}"#).rejectReasons == [.malformed])
        #expect(try one("{" + base + "}").rejectReasons == [.malformed])
    }

    @Test func timesAndTimeOptions() throws {
        let head = #"{"type":"start","visitor_id":"v-1","timestamp":"#
        // epoch milliseconds (13 digits) and float seconds
        #expect(try one(head + "1772409600123}").touchpoints.map(\.time) == [1_772_409_600_123])
        #expect(try one(head + "1772409600.5}").touchpoints.map(\.time) == [1_772_409_600_500])
        // no offset in the text: the timezone option (+02:00) applies; 10:00 local = 08:00Z
        var options = ReaderOptions()
        options.timezone = Zone(offset: 7200)
        #expect(try one(head + #""2026-03-02 10:00:00"}"#, options: options).touchpoints.map(\.time) == [1_772_409_600_000 + 8 * 3_600_000])
        // epoch_ms makes a small number milliseconds
        options = ReaderOptions()
        options.timeFormat = "epoch_ms"
        #expect(try one(head + "1772409600000}", options: options).touchpoints.map(\.time) == [1_772_409_600_000])
        #expect(try one(head + "1772409600}", options: options).rejectReasons == [.badTimestamp]) // 1970: out of range
        let bad = try one(head + #""next tuesday"}"#)
        #expect(bad.rejectReasons == [.badTimestamp])
        #expect(bad.rejects.first?.detail.contains("\"next tuesday\"") == true)
        #expect(try one(#"{"type":"start","visitor_id":"v-1"}"#).rejectReasons == [.badTimestamp])
    }

    @Test func identityPlaceholdersAndBadLines() throws {
        let tail = #""type":"start","timestamp":"2026-03-02T09:00:00Z"}"#
        #expect(try one(#"{"visitor_id":"anonymous","visitor_email":"not given","#  + tail).rejectReasons == [.missingIdentity])
        #expect(try one(#"{"visitor_id":"-","customer_id":" C-9 ","#  + tail).touchpoints.map(\.keys) == [IdentityKeys(customer: "C-9")])
        #expect(try one(#"{"visitor":{"id":"z-1","email":"Z@Example.COM"},"#  + tail).touchpoints.map(\.keys)
                == [IdentityKeys(email: "z@example.com", chatVisitor: "z-1")])
        #expect(try one("[1,2]").rejectReasons == [.badJSON])
        #expect(try one(#"{"visitor_id":"v","visitor_id":"w","#  + tail).rejectReasons == [.badJSON])
        #expect(try one("not json at all").rejectReasons == [.badJSON])
    }

    @Test func textIsCutToTheLimit() throws {
        var options = ReaderOptions()
        options.textLimit = 5
        let r = try one(#"{"author_role":"visitor","visitor_id":"v-1","timestamp":"2026-03-02T09:00:00Z","message":"Grüße aus München"}"#,
                        options: options)
        // Bytes: G r ü ü ß ß …; 5 bytes end inside "ß", so the cut falls back to "Grü" (4 bytes).
        #expect(r.touchpoints.first?.text == "Grü…")
    }

    @Test func sniffRecognisesChatLines() throws {
        let bytes = try fixture("chat/chat.jsonl")
        let lines = bytes.split(separator: 10).map(Array.init)
        for (i, l) in lines.enumerated() where i != 17 { // line 18 is the truncated one, still sniffed as chat
            #expect(l.withUnsafeBufferPointer { ChatEventReader.sniff($0) }, "line \(i + 1)")
        }
        let others = [
            #"127.0.0.1 - - [10/Oct/2026:13:55:36 -0700] "GET / HTTP/1.1" 200 2326 "-" "curl/8""#,
            #"{"email":"a@b.c","event":"open","sg_event_id":"x","timestamp":1772409600}"#,
        ]
        for o in others {
            #expect(!Array(o.utf8).withUnsafeBufferPointer { ChatEventReader.sniff($0) })
        }
        #expect(ReaderRegistry.detect(lines) == "chat")
        #expect(ReaderRegistry.descriptor(named: "chat")?.channel == "chat")
    }

    /// Issue 11: with a field map like Crisp's, the operator's id sits at `data.user.user_id`,
    /// not under `author`, and used to become the visitor key, joining every customer the
    /// operator talked to. The `agent` role keeps it out whatever its path.
    @Test("the agent role: an operator's id is no visitor key on its own message, whatever the path")
    func agentRoleAnyPath() throws {
        var o = ReaderOptions()
        o.fields = ["time": "data.timestamp", "event": "event", "role": "data.from", "visitor": "data.user.user_id|data.session_id",
                    "conversation": "data.session_id", "text": "data.content", "agent": "data.user.user_id"]
        // 1506985696616 ms = 2017-10-02T23:08:16.616Z (Crisp's documented example).
        let visitor = #"{"event":"message","data":{"session_id":"session_1","from":"user","content":"Hey","timestamp":1506985696616,"user":{"user_id":"visitor_7"}}}"#
        let operatorReply = #"{"event":"message","data":{"session_id":"session_1","from":"operator","content":"Hi","timestamp":1506985700000,"user":{"user_id":"operator_9"}}}"#
        let r = try read(Array((visitor + "\n" + operatorReply + "\n").utf8), format: "chat", options: o)
        #expect(r.touchpoints.map { "\($0.action.name) \($0.keys.chatVisitor ?? "-")" } == ["chat_message_visitor visitor_7", "chat_message_agent session_1"])
        // Without the agent role, the operator's id was the key of the reply.
        o.fields["agent"] = nil
        let before = try read(Array((operatorReply + "\n").utf8), format: "chat", options: o)
        #expect(before.touchpoints.map(\.keys.chatVisitor) == ["operator_9"])
    }
}
