import JourneysCore
import JourneysPipeline
import JourneysReaders
import Testing

/// Expected values below were worked out by hand from `fixtures/generic/orders.csv`, whose
/// times are the store's local time, UTC+1 (`timezone_offset: 3600`):
/// 2026-03-02T00:00:00Z = 1 772 409 600 s, 2026-03-03T00:00:00Z = 1 772 496 000 s.
@Suite struct GenericCSVReaderTests {
    static let orderFields: [String: String] = [
        "time": "created_at", "action": "event", "customer": "customer_id", "email": "email",
        "value": "total", "currency": "currency", "event_id": "order_id", "text": "note",
    ]

    private var orderOptions: ReaderOptions {
        var o = ReaderOptions()
        o.fields = Self.orderFields
        o.timezone = Zone(offset: 3600)
        return o
    }

    /// Reads `lines` (joined with LF) as CSV.
    private func csv(_ lines: [String], fields: [String: String] = ["time": "t", "action": "a", "visitor": "v", "text": "x"],
                     delimiter: UInt8 = 44) throws -> ReadOutcome {
        var o = ReaderOptions()
        o.fields = fields
        o.delimiter = delimiter
        return try read(Array((lines.joined(separator: "\n") + "\n").utf8), format: "csv", options: o)
    }

    @Test func fixtureConformsAndRejectsTheBadLines() throws {
        let outcome = try expectConformance(try fixture("generic/orders.csv"), format: "csv", options: orderOptions)
        #expect(outcome.lines == 19)
        #expect(outcome.touchpoints.count == 10)
        #expect(outcome.skips[.header] == 2) // line 1 and the repeated header on line 14
        #expect(outcome.skips[.blank] == 1) // line 13
        #expect(outcome.rejects.map(\.origin.line) == [6, 8, 9, 10, 11, 12])
        #expect(outcome.rejectReasons == [.malformed, .malformed, .malformed, .missingIdentity, .badTimestamp, .malformed])
        let details = outcome.rejects.map(\.detail)
        #expect(details[0] == "value \"1,299.00\" (column total) is not a number")
        #expect(details[1] == "quoted field 9 is not closed on this line (records are read line by line)")
        #expect(details[2] == "row has 1 field, the header has 9") // `ring twice"`, the rest of line 8's note
        #expect(details[3].contains("customer_id, email"))
        #expect(details[4].contains("\"03/02/2026 19:12\" (column created_at)"))
        #expect(details[5] == "row has 8 fields, the header has 9")
    }

    @Test func fixtureTouchpointsByHand() throws {
        let tps = try read(try fixture("generic/orders.csv"), format: "csv", options: orderOptions).touchpoints
        try #require(tps.count == 10)
        #expect(tps.allSatisfy { $0.channel == .web })
        #expect(tps.map(\.origin.line) == [2, 3, 4, 5, 7, 15, 16, 17, 18, 19])
        #expect(tps.map(\.time) == [
            1_772_443_217_000, // 10:20:17 local = 09:20:17Z
            1_772_448_063_000, // 11:41:03 local = 10:41:03Z
            1_772_450_400_000, // 12:20:00 local = 11:20:00Z
            1_772_456_575_000, // 14:02:55 local = 13:02:55Z
            1_772_466_300_000, // 16:45:00 local = 15:45:00Z
            1_772_525_144_000, // 03-03 09:05:44 local = 08:05:44Z
            1_772_529_300_000, // 10:15:00 local = 09:15:00Z
            1_772_532_030_000, // 11:00:30 local = 10:00:30Z
            1_772_540_865_000, // 13:27:45 local = 12:27:45Z
            1_772_542_800_000, // 14:00:00 local = 13:00:00Z
        ])
        #expect(tps.map(\.action) == [.purchase, .purchase, .purchase, .purchase, .purchase, .custom("refund"),
                                      .purchase, .purchase, .purchase, .purchase])
        #expect(tps.map(\.keys) == [
            IdentityKeys(customer: "cust-9001", email: "lee.park@example.org"),
            IdentityKeys(customer: "cust-5521"),
            IdentityKeys(customer: "cust-4410", email: "ops@northwind.example"),
            IdentityKeys(email: "guest.buyer@example.net"),
            IdentityKeys(customer: "cust-9001", email: "lee.park@example.org"),
            IdentityKeys(customer: "cust-5521"),
            IdentityKeys(customer: "cust-5521"),
            IdentityKeys(customer: "cust-8812", email: "noah.fischer@example.com"), // quoted, padded, mixed case
            IdentityKeys(customer: "cust-4410", email: "ops@northwind.example"),
            IdentityKeys(customer: "cust-6120", email: "finn@example.de"),
        ])
        #expect(tps.map(\.value) == [129, 54.9, 4800, 35, 42.5, -54.9, 54.9, 89, 2400, 75])
        #expect(tps.allSatisfy { $0.currency == "EUR" }) // line 19 says "eur"
        #expect(tps.map(\.eventID) == ["1001", "1002", "1003", "1004", "1006", "1011", "1012", "1013", "1014", "1015"])
        #expect(tps.map(\.text) == [nil, "gift wrap please", #"PO "NW-2026-014" attached"#, nil, "second order, same week",
                                    "damaged on arrival", "replacement", nil, #"PO "NW-2026-021", net 30"#, nil])
        #expect(tps.allSatisfy { $0.path == nil && $0.status == 0 })
    }

    @Test func tinyChunksKeepTheHeader() throws {
        let bytes = try fixture("generic/orders.csv")
        let whole = try read(bytes, format: "csv", options: orderOptions)
        for chunk in [1, 16, 50] {
            let cut = try read(bytes, format: "csv", options: orderOptions, feed: 3, chunkSize: chunk)
            #expect(cut == whole, "chunks of \(chunk) bytes")
        }
        #expect(whole.touchpoints.count == 10)
    }

    @Test func quoting() throws {
        let r = try csv([
            "t,a,v,x",
            #"2026-03-02T09:00:00Z,view,v1,"a, b""#,                 // delimiter inside quotes
            #"2026-03-02T09:00:01Z,view,v1,"say ""hi""""#,         // "" escapes, one just before the closing quote
            #"2026-03-02T09:00:02Z,view,"v1","""#,                   // quoted id, empty quoted field
            #"2026-03-02T09:00:03Z,view,v1,  "padded"  "#,           // blanks around quotes are ignored
            #"2026-03-02T09:00:04Z,view,v1,5" screen"#,               // a bare quote in an unquoted field is kept
            #"2026-03-02T09:00:05Z,view,v1,"""""#,                   // a field that is just one quote
            #"2026-03-02T09:00:06Z,view,v1,"closed"trailing"#,       // text after the closing quote
            #"2026-03-02T09:00:07Z,view,v1,"never closed"#,          // unclosed
            #"2026-03-02T09:00:08Z,view,v1,"#,                       // trailing delimiter: an empty last field
            #"2026-03-02T09:00:09Z,view,v1"#,                        // one field short
            #"2026-03-02T09:00:10Z,view,v1,x,"#,                     // one field too many
        ])
        #expect(r.touchpoints.map(\.origin.line) == [2, 3, 4, 5, 6, 7, 10])
        #expect(r.touchpoints.map(\.text) == ["a, b", #"say "hi""#, nil, "padded", #"5" screen"#, "\"", nil])
        #expect(r.touchpoints.map(\.keys.visitor) == Array(repeating: "v1", count: 7))
        #expect(r.rejects.map(\.origin.line) == [8, 9, 11, 12])
        #expect(r.rejects.map(\.detail) == [
            "text after the closing quote of field 4",
            "quoted field 4 is not closed on this line (records are read line by line)",
            "row has 3 fields, the header has 4",
            "row has 5 fields, the header has 4",
        ])
        #expect(r.rejectReasons == Array(repeating: .malformed, count: 4))
    }

    @Test func otherDelimiters() throws {
        let semi = try csv(["t;a;v;x", "2026-03-02T09:00:00Z;view;v1;\"1,5; 2\""], delimiter: 59)
        #expect(semi.touchpoints.map(\.text) == ["1,5; 2"])
        let tab = try csv(["t\ta\tv\tx", "2026-03-02T09:00:00Z\tview\tv1\t two words "], delimiter: 9)
        #expect(tab.touchpoints.map(\.text) == [" two words "])
        var o = ReaderOptions()
        o.fields = ["time": "t", "action": "a"]
        o.delimiter = 34
        #expect(throws: ConfigError.self) { try ReaderRegistry.make(format: "csv", options: o) }
    }

    @Test func headerMatchingAndAlternatives() throws {
        // Case and spaces in the header do not matter; the first alternative present is used.
        let r = try csv([
            "\u{FEFF}Order Time , Kind,Visitor ID",
            "2026-03-02 09:00:00,page_view,v1",
        ], fields: ["time": "ts|order time", "action": "KIND", "visitor": "visitor_id|Visitor ID"])
        #expect(r.skips[.header] == 1)
        #expect(r.rejects.isEmpty)
        #expect(r.touchpoints.map(\.time) == [1_772_409_600_000 + 9 * 3_600_000])
        #expect(r.touchpoints.map(\.action) == [.pageView])
        #expect(r.touchpoints.map(\.keys) == [IdentityKeys(visitor: "v1")])
    }

    @Test func missingOptionalColumnRejectsTheHeaderButReadsRows() throws {
        let r = try csv([
            "t,a,v",
            "2026-03-02T09:00:00Z,view,v1",
        ], fields: ["time": "t", "action": "a", "visitor": "v", "email": "e_mail|email"])
        #expect(r.rejects.map(\.origin.line) == [1])
        #expect(r.rejects.first?.detail == "the header has no column for email (e_mail|email); rows are read with that role empty")
        #expect(r.touchpoints.map(\.keys) == [IdentityKeys(visitor: "v1")])
    }

    @Test func missingRequiredColumnMakesTheInputUnreadable() throws {
        let r = try csv([
            "time,action,visitor",
            "2026-03-02T09:00:00Z,view,v1",
            "2026-03-02T09:00:01Z,view,v2",
            "time,action,visitor",
        ], fields: ["time": "timestamp", "action": "action", "visitor": "visitor", "text": "note"])
        #expect(r.touchpoints.isEmpty)
        #expect(r.rejects.map(\.origin.line) == [1, 2, 3])
        #expect(r.rejectReasons == [.malformed, .malformed, .malformed])
        let why = "the header (line 1) has no column for time (timestamp), text (note)"
        #expect(r.rejects.map(\.detail) == [why, "no usable header: " + why, "no usable header: " + why])
        #expect(r.skips[.header] == 1) // the repeated header line
    }

    @Test func unsplittableHeader() throws {
        let r = try csv([#"t,a,"v"#, "2026-03-02T09:00:00Z,view,v1"])
        #expect(r.rejectReasons == [.malformed, .malformed])
        #expect(r.rejects.last?.detail.hasPrefix("no usable header: the header (line 1) cannot be split") == true)
    }

    @Test func configErrors() {
        var o = ReaderOptions()
        do {
            _ = try ReaderRegistry.make(format: "csv", options: o)
            Issue.record("expected a ConfigError")
        } catch {
            #expect(error.path == "fields.time")
            #expect(error.message.contains("column"))
        }
        o.fields = ["time": "t", "action": "a", "colour": "c"]
        #expect(throws: ConfigError("fields.colour", "the csv reader has no field role \"colour\"; roles: action, agent, campaign, chat_visitor, conversation, currency, customer, email, event_id, medium, referrer, score, source, status, text, time, url, value, visitor")) {
            try ReaderRegistry.make(format: "csv", options: o)
        }
        #expect(ReaderRegistry.descriptor(named: "csv")?.sniff == nil)
    }
}
