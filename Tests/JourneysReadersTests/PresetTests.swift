import JourneysCore
import JourneysReaders
import Testing

/// Reads a fixture with no options: the preset must be detected from its first lines, read it
/// the same in every way of feeding it, and give touchpoints of its channel.
func loadPreset(_ path: String, _ preset: String, _ channel: Channel, sourceLocation: SourceLocation = #_sourceLocation) throws -> ReadOutcome {
    let bytes = try fixture(path)
    let sample = bytes.split(separator: 10).prefix(20).map(Array.init)
    #expect(ReaderRegistry.detect(sample) == preset, "\(path) is detected as \(preset)", sourceLocation: sourceLocation)
    let o = try expectConformance(bytes, format: preset, sourceLocation: sourceLocation)
    #expect(o.touchpoints.allSatisfy { $0.channel == channel }, sourceLocation: sourceLocation)
    return o
}

/// The built-in email provider presets over each provider's documented examples
/// (`fixtures/email/providers/`: each `*.SOURCE.md` says where every record comes from, and each
/// `*.EXPECTED.md` works out its touchpoint by hand from the provider's documentation). The rows
/// below are those tables: line (record) · UTC time · action · email key · click path · bounce kind.
/// JSON numbers with microseconds are rounded to the nearest millisecond (the tables' "rounded" values).
@Suite("Presets")
struct PresetTests {
    /// One row per touchpoint: "line time action email path kind".
    func rows(_ o: ReadOutcome) -> [String] {
        o.touchpoints.map { t in
            let kind = t.action == .emailBounce ? (t.text?.split(separator: ":").first.map(String.init) ?? "-") : ""
            return "\(t.origin.line) \(Timestamp.iso(t.time)) \(t.action.name) \(t.keys.email ?? "-") \(t.path ?? "")\(kind.isEmpty ? "" : " " + kind)"
                .trimmingSpaces
        }
    }

    func load(_ file: String, _ preset: String) throws -> ReadOutcome { try loadPreset("email/providers/\(file)", preset, .email) }

    @Test("Mailgun webhooks: failed split by severity and reason, rejected from message.headers.to, Apple proxy opens")
    func mailgunWebhooks() throws {
        let o = try load("mailgun_webhooks.ndjson", "mailgun")
        #expect(rows(o) == [
            "1 2026-02-03T19:26:38.373Z email_processed recipient@example.com",
            "2 2018-08-12T21:17:17.153Z email_delivered recipient@example.com",
            "3 2018-08-12T22:11:39.660Z email_deferred undeliverable@nomx.example.com",
            "4 2018-08-12T21:47:02.390Z email_bounce invalid@example.com  hard",
            "5 2018-06-22T21:12:49.818Z email_dropped joan@example.com",
            "6 2018-06-22T22:02:56.105Z email_dropped joan@example.org",
            "7 2013-08-21T01:09:03.042Z email_open recipient@example.com",
            "8 2022-05-18T14:17:15.279Z email_machine_open bot@example.com",
            "9 2013-08-21T08:59:24.095Z email_click recipient@example.com /signup",
            "10 2013-08-22T23:23:11.421Z email_unsubscribe recipient@example.com",
            "11 2013-08-22T23:31:00.050Z email_complaint foo@example.com",
        ])
        #expect(o.rejects.isEmpty)
    }

    @Test("Mailgun events API page: every item a record, stored events ignored")
    func mailgunEvents() throws {
        let o = try load("mailgun_events.ndjson", "mailgun")
        #expect(o.lines == 1)
        #expect(rows(o) == [
            "1 2018-06-22T18:29:58.642Z email_processed team@example.org",
            "1 2018-06-22T18:29:59.626Z email_delivered john@example.com",
            "1 2022-10-06T14:28:43.872Z email_deferred test@example.com",
            "1 2022-10-19T21:15:38.405Z email_bounce christest123@example.com  hard",
            "1 2018-06-22T21:12:49.818Z email_dropped joan@example.com",
            "1 2018-06-22T22:02:56.105Z email_dropped joan@example.org",
            "1 2013-08-21T01:09:03.042Z email_open recipient@example.com",
            "1 2013-08-21T08:59:24.095Z email_click recipient@example.com /signup",
            "1 2013-08-22T23:23:11.421Z email_unsubscribe recipient@example.com",
            "1 2013-08-22T23:31:00.050Z email_complaint foo@example.com",
        ])
        #expect(o.rejects.isEmpty)
    }

    @Test("Postmark: per-type time and recipient fields, bounce types, subscription changes")
    func postmark() throws {
        let o = try load("postmark.ndjson", "postmark")
        #expect(rows(o) == [
            "1 2021-02-21T16:34:52.000Z email_delivered john@example.com",
            "2 2014-08-01T17:28:10.273Z email_delivered recipient@example.com",
            "3 2016-04-27T20:28:50.396Z email_bounce bounce@example.com  hard",
            "4 2016-04-27T20:28:50.396Z email_bounce softbounce@example.com  soft",
            "5 2016-04-27T20:28:50.396Z email_deferred delayed@example.com",
            "6 2016-04-27T20:21:41.249Z email_open recipient@example.com",
            "7 2017-10-25T15:21:11.906Z email_click recipient@example.com /click/me",
            "8 2016-04-27T20:28:50.396Z email_complaint spam@example.com",
            "9 2022-06-05T17:17:32.000Z email_unsubscribe john@example.com",
            "10 2022-06-05T17:17:32.000Z email_resubscribe john@example.com",
        ])
        // Row 11: suppressed after a hard bounce Postmark reports as its own Bounce record.
        #expect(o.skips[.ignored] == 1)
        #expect(o.rejects.isEmpty)
    }

    @Test("Brevo: ts_epoch in ms or s, hard and soft bounces, proxy opens are machine opens; a record with only `date` is read in Paris time")
    func brevo() throws {
        let o = try load("brevo.ndjson", "brevo")
        #expect(rows(o) == [
            "1 2018-03-06T19:10:23.000Z email_processed recipient@example.com",
            "2 2020-11-09T14:54:14.000Z email_processed example@example.com",
            "3 2018-03-06T19:10:23.000Z email_delivered recipient@example.com",
            "4 2018-03-06T19:10:23.000Z email_deferred notauser@example.com",
            "5 2018-03-06T19:10:23.000Z email_dropped recipient@example.com",
            "6 2018-03-06T19:10:23.000Z email_bounce not-a-user@example.com  hard",
            "7 2018-03-06T19:10:23.000Z email_bounce recipient@no-mx.example.com  soft",
            "8 2018-03-06T19:10:23.000Z email_open recipient@example.com",
            "9 2018-03-06T19:10:23.000Z email_open recipient@example.com",
            // Only `date`, "2020-10-09 00:00:00" in Paris time: CEST (UTC+2) on that day.
            "10 2020-10-08T22:00:00.000Z email_machine_open example@example.com",
            "11 2018-03-06T19:10:23.000Z email_click recipient@example.com /click/me",
            "12 2018-03-06T19:10:23.000Z email_complaint recipient@example.com",
            "13 2018-03-06T19:10:23.000Z email_unsubscribe recipient@example.com",
            "14 2020-11-09T14:53:43.000Z email_dropped example@example.com",
        ])
        #expect(o.rejects.isEmpty)
        // A source's own timezone wins over the preset's Paris time; the pipeline's does not.
        var utc = ReaderOptions()
        utc.timezone = Zone(offset: 0)
        utc.timezoneIsSources = true
        #expect(Presets.all.first { $0.name == "brevo" }!.options(under: utc).timezone == Zone(offset: 0))
        var pipelineWide = ReaderOptions()
        pipelineWide.timezone = Zone(offset: 3600)
        #expect(Presets.all.first { $0.name == "brevo" }!.options(under: pipelineWide).timezone == (try Zone.named("Europe/Paris")))
        // The same record with an epoch time is a machine open.
        let proxy = try read(Array(#"{"event":"proxy_open","email":"a@example.com","ts_epoch":1604933654000}"#.utf8) + [10], format: "brevo")
        #expect(proxy.touchpoints.map(\.action) == [.emailMachineOpen])
    }

    @Test("Mailjet: a grouped array, sent is delivered, hard_bounce decides the bounce, greylisting is a deferral")
    func mailjet() throws {
        let o = try load("mailjet.ndjson", "mailjet")
        #expect(rows(o) == [
            "1 2015-06-03T12:19:09.000Z email_delivered api@example.com",
            "1 2015-05-31T20:18:39.000Z email_open api@example.com",
            "1 2015-06-03T12:30:53.000Z email_click api@example.com /",
            "1 2015-05-05T07:49:55.000Z email_bounce bounce@example.com  hard",
            "1 2017-06-22T01:05:27.000Z email_deferred protected@example.com",
            "1 2015-05-05T07:49:55.000Z email_dropped bounce@example.com",
            "1 2015-05-05T07:49:55.000Z email_complaint bounce@example.com",
            "1 2015-06-03T12:35:41.000Z email_unsubscribe api@example.com",
        ])
    }

    @Test("Mandrill: mandrill_events, the event's own ts, sync events ignored")
    func mandrill() throws {
        let o = try load("mandrill.ndjson", "mandrill")
        let at = "2015-01-03T16:43:27.000Z", who = "example.webhook@example.com"
        #expect(rows(o) == [
            "1 \(at) email_processed \(who)", "1 \(at) email_deferred \(who)", "1 \(at) email_bounce \(who)  hard",
            "1 \(at) email_bounce \(who)  soft", "1 \(at) email_open \(who)", "1 \(at) email_click \(who) /",
            "1 \(at) email_complaint \(who)", "1 \(at) email_unsubscribe \(who)", "1 \(at) email_dropped \(who)",
        ])
        #expect(o.rejects.isEmpty)
    }

    @Test("Mandrill's form field as posted, the events a JSON string, reads as the decoded form")
    func mandrillFormField() throws {
        let decoded = try fixture("email/providers/mandrill.ndjson")
        // Re-encode `mandrill_events` as the string a form post carries: {"mandrill_events":"[…]"}.
        let text = String(decoding: decoded, as: UTF8.self).trimmingSpaces
        let array = String(text.dropFirst(#"{"mandrill_events":"#.count).dropLast())
        let escaped = array.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
        let posted = Array((#"{"mandrill_events":""# + escaped + "\"}\n").utf8)
        #expect(ReaderRegistry.detect([posted]) == "mandrill")
        let a = try read(decoded, format: "mandrill"), b = try read(posted, format: "mandrill")
        #expect(rows(b) == rows(a) && rows(a).count == 9)
        let broken = try read(Array(#"{"mandrill_events":"[{\"event\":"}"#.utf8) + [10], format: "mandrill")
        #expect(broken.rejects.first?.detail.hasPrefix("the JSON in field mandrill_events: ") == true)
    }

    @Test("SparkPost: msys.<class>_event records, bounce classes, string epochs and ISO times")
    func sparkpost() throws {
        let o = try load("sparkpost.ndjson", "sparkpost")
        #expect(rows(o) == [
            "1 2016-02-02T19:50:00.000Z email_processed recipient@example.com",
            "1 2016-02-02T19:50:00.000Z email_delivered recipient@example.com",
            "1 2016-06-02T00:02:28.000Z email_deferred recipient@nomx.example.com",
            "1 2016-06-01T23:42:28.000Z email_bounce bounce@example.com  hard",
            "1 2016-02-02T19:50:00.000Z email_dropped recipient@example.com",
            "1 2016-06-02T20:40:34.000Z email_dropped suppressed@example.com",
            "1 2016-02-02T19:50:00.000Z email_bounce recipient@example.com  soft",
            "1 2016-04-18T14:25:07.000Z email_click recipient@example.com /",
            "1 2016-02-02T19:50:00.000Z email_complaint recipient@example.com",
            "1 2016-06-02T19:04:40.000Z email_unsubscribe recipient@example.com",
            "1 2016-02-02T19:50:00.000Z email_unsubscribe recipient@example.com",
        ])
        // Records [4], [8], [9]: the documented examples were trimmed of their timestamp.
        #expect(o.rejects.map(\.detail) == ["record [4] of 14: no time (field timestamp)", "record [8] of 14: no time (field timestamp)",
                                            "record [9] of 14: no time (field timestamp)"])
        #expect(o.rejects.allSatisfy { $0.eventOnly })
        // SparkPost's ping when a webhook is created.
        let ping = try read(Array(#"[{"msys":{}}]"#.utf8) + [10], format: "sparkpost")
        #expect(ping.skips[.ignored] == 1 && ping.touchpoints.isEmpty && ping.rejects.isEmpty)
    }

    @Test("Resend: the envelope's created_at, the first To address, both spellings of the delay")
    func resend() throws {
        let o = try load("resend.ndjson", "resend")
        #expect(rows(o) == [
            "1 2024-02-22T23:41:12.126Z email_processed delivered@example.com",
            "2 2024-02-22T23:41:12.126Z email_delivered delivered@example.com",
            "3 2024-02-22T23:41:12.126Z email_deferred delivered@example.com",
            "4 2023-02-22T23:41:12.126Z email_deferred delivered@example.com",
            "5 2024-11-22T23:41:12.126Z email_bounce delivered@example.com  hard",
            "6 2023-10-02T18:11:26.101Z email_bounce bounced@example.com  hard",
            "7 2023-10-01T20:01:01.598Z email_bounce blocked@example.org  hard",
            "8 2024-02-22T23:41:12.126Z email_complaint delivered@example.com",
            "9 2023-09-28T17:20:38.990Z email_open to@example.org",
            "10 2023-09-28T17:21:35.257Z email_click to@example.org /test",
        ])
    }

    @Test("Postal: payload times, original_message for bounces, incoming mail ignored")
    func postal() throws {
        let o = try load("postal.ndjson", "postal")
        #expect(rows(o) == [
            "1 2020-11-30T16:01:46.986Z email_delivered recipient@example.com",
            "2 2016-10-31T20:19:37.130Z email_delivered test@example.com",
            "3 2020-11-30T16:18:21.911Z email_deferred deferred@example.com",
            "4 2020-11-30T16:12:31.893Z email_dropped suppressed@example.com",
            "5 2020-11-30T16:21:58.701Z email_bounce failed@example.com  hard",
            "6 2016-10-31T20:19:39.500Z email_bounce test@example.com  -",
            "7 2016-10-31T20:21:40.250Z email_open test@example.com",
            "8 2016-10-31T20:22:40.750Z email_click test@example.com /",
        ])
        #expect(o.skips[.ignored] == 1) // row 9: direction incoming
    }

    @Test("MailerSend: activity types, data.created_at, the nested recipient")
    func mailersend() throws {
        let o = try load("mailersend.ndjson", "mailersend")
        #expect(rows(o) == [
            "1 2023-02-27T21:09:49.506Z email_processed recipient@example.com",
            "2 2023-02-27T21:09:51.865Z email_delivered recipient@example.com",
            "3 2022-08-08T13:51:52.747Z email_bounce notauser@example.com  soft",
            "4 2023-02-27T21:48:13.593Z email_bounce invalid@example.com  hard",
            "5 2023-02-27T21:17:57.025Z email_open recipient@example.com",
            "6 2023-02-27T21:14:11.691Z email_click recipient@example.com /test",
            "7 2022-08-08T13:51:52.747Z email_complaint recipient@example.com",
            "8 2023-02-27T21:33:54.791Z email_unsubscribe recipient@example.com",
        ])
    }

    @Test("a source's own options lie over the preset's: a field role, an action, a records path")
    func overrides() throws {
        var options = ReaderOptions()
        options.fields["customer"] = "Metadata.userid"
        options.actions["Open"] = "ignore"
        let o = try read(try fixture("email/providers/postmark.ndjson"), format: "postmark", options: options)
        #expect(o.touchpoints.first { $0.origin.line == 2 }?.keys.customer == "12345")
        #expect(!o.touchpoints.contains { $0.action == .emailOpen })
        #expect(o.skips[.ignored] == 2)
    }

    @Test("every preset is listed with its options as pipeline keys, and none is detected on another's examples")
    func listedAndDistinct() throws {
        for p in Presets.all {
            let d = try #require(ReaderRegistry.descriptor(named: p.name))
            #expect(d.options.contains("format: "))
            if case .jsonl = p.base { #expect(d.options.contains("format: jsonl") && d.options.contains("actions: {")) }
        }
        for (file, preset) in [("postmark.ndjson", "postmark"), ("brevo.ndjson", "brevo"), ("resend.ndjson", "resend"),
                               ("postal.ndjson", "postal"), ("mailersend.ndjson", "mailersend"), ("ses_sns.ndjson", "ses")] {
            for line in try fixture("email/providers/\(file)").split(separator: 10) {
                let hits = Presets.all.filter { p in Array(line).withUnsafeBufferPointer { ReaderRegistry.descriptor(named: p.name)!.sniff?($0) ?? false } }.map(\.name)
                #expect(hits == (preset == "ses" ? [] : [preset]), "\(file): \(String(decoding: line.prefix(60), as: UTF8.self))")
            }
        }
    }
}

/// The chat and support presets over each tool's documented examples
/// (`fixtures/chat/providers/`, with `*.SOURCE.md` and the hand-worked `*.EXPECTED.md`).
/// Rows: line · UTC time · action · chat visitor · customer · email · conversation · score.
@Suite("Chat presets")
struct ChatPresetTests {
    func rows(_ o: ReadOutcome) -> [String] {
        o.touchpoints.map { t in
            [String(t.origin.line), Timestamp.iso(t.time), t.action.name, t.keys.chatVisitor ?? "-", t.keys.customer ?? "-",
             t.keys.email ?? "-", t.conversation ?? "-", t.score.map { String(Int($0)) } ?? "-"].joined(separator: " ")
        }
    }

    func load(_ file: String, _ preset: String) throws -> ReadOutcome { try loadPreset("chat/providers/\(file)", preset, .chat) }

    @Test("Intercom: source and parts by author type, notes and app logs ignored, the rating's own contact; no admin id or e-mail is a key")
    func intercom() throws {
        let o = try load("intercom.ndjson", "intercom")
        #expect(rows(o) == [
            "1 2024-12-18T15:59:19.000Z chat_message_agent 6762f1571bb69f9f2193bbbb 70 - 524 -",
            "1 2024-12-18T15:59:21.000Z chat_message_visitor 6762f1571bb69f9f2193bbbb 70 joe@bloggs.com 524 -",
            "2 2024-12-18T15:58:31.000Z chat_message_agent 6762f1261bb69f9f2193bba7 70 - 503 -",
            "2 2022-09-19T14:20:23.000Z chat_message_agent 6762f1261bb69f9f2193bba7 70 - 503 -",
            "3 2024-12-18T15:59:23.000Z chat_message_agent 6762f15b1bb69f9f2193bbbc 70 - 525 -",
            "4 2024-12-18T16:00:03.000Z chat_message_agent 6762f1831bb69f9f2193bbcc 70 - 542 -",
            "5 2024-12-18T15:59:42.000Z chat_message_agent 6762f16e1bb69f9f2193bbc2 70 - 531 -",
            "5 2024-12-18T15:59:44.000Z chat_closed 6762f16e1bb69f9f2193bbc2 70 - 531 -",
            "6 2022-12-14T14:41:34.000Z chat_rating 5ba682d23d7cf92bef87bfd4 70 - 1295 5",
        ])
        #expect(o.rejects.isEmpty)
        // No touchpoint carries an admin's id or address (admin212@email.com, operator+…@intercom.io, 991267694 …).
        #expect(!o.touchpoints.contains { t in [t.keys.email, t.keys.chatVisitor, t.keys.visitor].contains { ($0 ?? "").contains("admin") || ($0 ?? "").contains("intercom.io") || ($0 ?? "").hasPrefix("9912") } })
    }

    @Test("LiveChat: webhook and thread events, an agent's e-mail id is never the visitor, the customer from users[]")
    func livechat() throws {
        let o = try load("livechat.ndjson", "livechat")
        #expect(rows(o) == [
            "1 2019-12-05T07:27:08.820Z chat_message_visitor b7eff798-f8df-4364-8059-649c35c9ed0c - - PJ0MRSHTDG -",
            "2 2019-12-17T07:57:41.512Z chat_message_agent b7eff798-f8df-4364-8059-649c35c9ed0c - - PJ0MRSHTDG -",
        ])
        // Row 3 (routing notice) and 7 (pre-chat form) ignored; so are 4 and 5, the rating and
        // chat_deactivated webhooks, which carry no time at all; 6 is an agent's message in a
        // chat whose users[] lists no customer.
        #expect(o.skips[.ignored] == 4)
        #expect(o.rejects.map { "\($0.origin.line):\($0.reason.rawValue)" } == ["6:missing_identity"])
        // With a time, the rating webhook is a rating (thumbs up: 4 on the 1-5 scale) of that chat.
        let rated = #"{"webhook_id":"w","organization_id":"o","action":"thread_properties_updated","payload":{"chat_id":"PJ0MRSHTDG","created_at":"2019-12-05T07:30:00.000000Z","user_id":"b7eff798","properties":{"rating":{"score":1,"comment":"Well done!"}}}}"#
        let r = try read(Array(rated.utf8) + [10], format: "livechat")
        #expect(rows(r) == ["1 2019-12-05T07:30:00.000Z chat_rating b7eff798 - - PJ0MRSHTDG 4"])
    }

    @Test("Crisp: message:send from the visitor, epoch milliseconds, the session as conversation")
    func crisp() throws {
        let o = try load("crisp.ndjson", "crisp")
        #expect(rows(o) == ["1 2017-10-02T23:08:16.616Z chat_message_visitor session_36ba3566-9651-4790-afc8-ffedbccc317f - - session_36ba3566-9651-4790-afc8-ffedbccc317f -"])
        // An operator's message: the operator's user id is never the chat visitor; the session is.
        let op = #"{"website_id":"w","event":"message:send","data":{"session_id":"session_1","type":"text","content":"Hi","from":"operator","origin":"chat","timestamp":1506985700000,"user":{"user_id":"operator_9","nickname":"Ann"}},"timestamp":1506985700000}"#
        let r = try read(Array(op.utf8) + [10], format: "crisp")
        #expect(rows(r) == ["1 2017-10-02T23:08:20.000Z chat_message_agent session_1 - - session_1 -"])
    }
}

/// The tools whose examples the second round of research found (`fixtures/chat/providers/`:
/// each `*.SOURCE.md` names the repository, path and commit of every line; `*.EXPECTED.md` and
/// `*.NOTES.md` work out the touchpoints from the tool's docs). Where the table needs a join
/// with another record (a thread's contact, a ticket's requester), the preset cannot make it:
/// those rows are ignored, as each test says.
@Suite("Chat presets, second round")
struct MoreChatPresetTests {
    func rows(_ o: ReadOutcome) -> [String] { ChatPresetTests().rows(o) }
    func load(_ file: String, _ preset: String) throws -> ReadOutcome { try loadPreset("chat/providers/\(file)", preset, .chat) }

    @Test("Zendesk Chat: offline messages from the REST API and its exports; a chat's history by nick")
    func zendeskChat() throws {
        let o = try load("zendesk_chat.ndjson", "zendesk_chat")
        #expect(rows(o) == [
            "1 2014-10-09T05:28:35.000Z chat_message_visitor 1.12345 - john@example.com 123 -",
            "2 2021-04-26T13:54:02.000Z chat_message_visitor 3.45678 - visitor_jiny@example.com 2104.10414779.SVhDCJ9flq79a -",
            "3 2021-04-21T14:36:55.000Z chat_message_visitor 1.12345 - visitor_john@example.com 2104.10414779.SVE9Mo9bE4wR8 -",
        ])
        // A chat with history (derived from the documented schema and the Web SDK's event shapes;
        // see zendesk_chat.SOURCE.md): the visitor joins, writes, an agent joins and answers, the
        // visitor rates (good: 4 on the 1-5 scale) and leaves.
        let derived = try fixture("chat/providers/zendesk_chat.DERIVED.ndjson").split(separator: 10).last!
        let d = try read(Array(derived) + [10], format: "zendesk_chat")
        let chat = "1.12345 - visitor1@example.com 2311.10414779.DERIVEDexample"
        #expect(rows(d) == [
            "1 2023-11-14T22:13:20.000Z chat_started \(chat) -", "1 2023-11-14T22:13:25.000Z chat_message_visitor \(chat) -",
            "1 2023-11-14T22:14:25.000Z chat_message_agent \(chat) -", "1 2023-11-14T22:15:25.000Z chat_rating \(chat) 4",
            "1 2023-11-14T22:15:35.000Z chat_closed \(chat) -",
        ])
        #expect(d.rejects.isEmpty)
        // Messages whose nick carries the visitor's id (`visitor:123`), without a chat around them:
        // the id is the key; an agent's nick (`agent:456`) never is; a bare `visitor` names nobody.
        let nicks = #"{"type":"chat.msg","nick":"visitor:123","msg":"Hi","timestamp":1700000005000}"# + "\n"
            + #"{"type":"chat.msg","nick":"agent:456","msg":"Hello","timestamp":1700000010000,"visitor":{"id":"123"}}"# + "\n"
            + #"{"type":"chat.msg","nick":"visitor","msg":"?","timestamp":1700000015000}"# + "\n"
        let n = try read(Array(nicks.utf8), format: "zendesk_chat")
        #expect(n.touchpoints.map { "\($0.action.name) \($0.keys.chatVisitor ?? "-")" } == ["chat_message_visitor 123", "chat_message_agent 123"])
        #expect(n.rejects.map(\.reason) == [.missingIdentity])
    }

    @Test("Zendesk Support: a good rating by the requester, tickets as chat starts; offered ratings and comments ignored")
    func zendeskSupport() throws {
        let o = try load("zendesk_support.ndjson", "zendesk_support")
        #expect(rows(o) == [
            "1 2009-07-20T22:55:29.000Z chat_rating - 20978392 - 35436 4",
            "2 2009-07-20T22:55:29.000Z chat_started - 20978392 - 35436 -",
            "6 2022-07-18T10:16:53.000Z chat_started - 360786799676 - 125 -",
        ])
        // Lines 3 and 4: comments (their author may be the requester or an agent, and the
        // requester is not in the record); line 5: two ratings offered, not given.
        #expect(o.skips[.ignored] == 3)
        #expect(o.rejects.isEmpty)
        // Never the assignee (235323).
        #expect(!o.touchpoints.contains { $0.keys.customer == "235323" })
    }

    @Test("HubSpot: the sender's actor id decides the role, the visitor of an agent's or bot's reply is its recipient")
    func hubspot() throws {
        let o = try load("hubspot.ndjson", "hubspot")
        // A visitor's V-1551 is contact 1551: one key for the messages and the thread.
        #expect(rows(o) == [
            "1 2022-08-22T12:44:06.152Z chat_message_agent 1551 - - 3058861870 -",
            "1 2022-08-22T11:44:36.083Z chat_message_visitor 1551 - - 3058861870 -",
            "2 2025-06-18T13:43:16.871Z chat_message_bot 130157923909 - - 9302608802 -",
            "2 2025-06-18T13:39:26.341Z chat_message_visitor 130157923909 - - 9302608802 -",
            "2 2025-06-18T13:39:26.339Z chat_message_bot 130157923909 - - 9302608802 -",
            "3 2022-11-25T17:29:14.142Z chat_message_visitor 340101 - - 3562432284 -",
            // Threads: the contact starts the conversation.
            "4 2022-08-22T11:44:35.985Z chat_started 1551 - - 3058861870 -",
            "4 2025-06-18T13:39:26.246Z chat_started 130157923909 - - 9302608802 -",
            "4 2022-11-25T17:29:14.052Z chat_started 340101 - - 3562432284 -",
        ])
        // Assignments, status changes (the CLOSED one names no person: the table's chat_closed
        // needs the thread's contact) and system greetings.
        #expect(o.rejects.isEmpty)
    }

    @Test("Freshchat: message_create by actor type, the 2018 and API v2 shapes; resolutions and assignments name no person")
    func freshchat() throws {
        let o = try load("freshchat.ndjson", "freshchat")
        #expect(rows(o) == [
            "1 2020-04-06T15:59:29.971Z chat_message_visitor 5cac723a-13aa-473e-846b-9cdb7d2c41a5 - - aecf3cc7-138a-4b40-9723-5bf4d1abb97b -",
            "2 2020-04-06T15:59:44.709Z chat_message_agent 5cac723a-13aa-473e-846b-9cdb7d2c41a5 - - aecf3cc7-138a-4b40-9723-5bf4d1abb97b -",
            "4 2020-04-06T15:59:50.314Z chat_started 5cac723a-13aa-473e-846b-9cdb7d2c41a5 - - aecf3cc7-138a-4b40-9723-5bf4d1abb97b -",
            "6 2022-11-22T10:55:23.126Z chat_message_agent 9047e655-1e83-463e-b1b6-4a44beb1f07f - - 35e80ec8-c697-42e4-8ce9-a47a050b1d1a -",
            "7 2022-11-22T10:55:22.272Z chat_started 9047e655-1e83-463e-b1b6-4a44beb1f07f - - 35e80ec8-c697-42e4-8ce9-a47a050b1d1a -",
            "8 2021-08-17T08:06:22.803Z chat_message_agent Denise_aliasc26ddeed24ad9e8b19a68eb119d6e37c - - ac2175df14d36caf64e9a578fad89070 -",
            "9 2018-10-19T10:16:07.973Z chat_message_visitor dbec0910-b4d6-4d81-8015-81f560a918de - - 11de8840-6ce8-48ac-a418-7c2ae81a1b57_dbec0910-b4d6-4d81-8015-81f560a918de_feedback -",
            "10 2025-07-10T19:47:55.442Z chat_message_visitor d108c12a-7e7d-474c-94d2-be08551c8400 - - 7e673110-64fc-461f-bcec-cc8e9a47a568 -",
        ])
        #expect(o.skips[.ignored] == 2) // line 3 (resolution), line 5 (assignment)
        #expect(o.touchpoints.map(\.text).prefix(2) == ["User here, I am going", "Hi!!! Agent this side"])
    }

    @Test("Drift: conversations by their contact, the contact's own messages; agents' messages name no contact and are ignored")
    func drift() throws {
        // Line 1 is Drift's documented create-conversation response; lines 2-4 are the public
        // go-drift SDK's test fixtures (drift.SOURCE.md). Times are epoch milliseconds.
        let o = try load("drift.ndjson", "drift")
        #expect(rows(o) == [
            "1 2019-01-28T18:27:44.840Z chat_started 1261122150 - - 464032472 -",
            "2 2018-06-06T13:51:07.340Z chat_started 903182234 - - 116119985 -",
            "3 2023-06-09T09:55:45.000Z chat_message_visitor 903182234 - - 116119985 -",
        ])
        #expect(o.rejects.isEmpty)
        #expect(o.skips[.ignored] == 1) // line 4: only an agent's message
    }

    @Test("tawk.to: chat start and end, a transcript's messages by sender; the visitor's e-mail is the key")
    func tawkto() throws {
        let o = try load("tawkto.ndjson", "tawkto")
        let chat = "hello@example.com 70fe3290-99ad-11e9-a30a-51567162179f -"
        #expect(rows(o) == [
            "1 2019-06-28T14:03:04.646Z chat_started - - \(chat)", "2 2019-06-28T14:04:08.718Z chat_closed - - \(chat)",
            "3 2024-07-03T01:02:48.176Z chat_message_visitor - - \(chat)",
        ])
        #expect(o.rejects.isEmpty)
    }
}

@Suite("Closest formats")
struct ClosestFormatTests {
    func lines(_ text: String) -> [[UInt8]] { text.split(separator: "\n").map { Array($0.utf8) } }

    @Test("a file no format matches is told the formats most of its lines look like, and why the first other line fails")
    func closest() {
        // One combined line among lines that are not: combined, 1 of 4, and line 2's reason.
        let mixed = lines(#"1.2.3.4 - - [10/Oct/2026:09:14:03 +0200] "GET / HTTP/1.1" 200 5 "-" "Mozilla/5.0""# + "\nfoo bar\nbaz\nqux")
        #expect(ReaderRegistry.detect(mixed) == nil)
        let c = ReaderRegistry.closest(mixed)
        #expect(c.count == 1)
        #expect(c.first?.hasPrefix("combined: 1 of 4 lines look like it; line 2: malformed: ") == true)
        // JSON lines: the preset whose keys they have most of, and the keys they lack.
        let brevoish = lines(#"{"evt":"delivered","email":"a@example.com","tx":1520363423000,"message-id":"<x@y>"}"#)
        #expect(ReaderRegistry.closest(brevoish).first == #"brevo: line 1 lacks "event", "ts_epoch""#)
        // Text like nothing: the general readers, each with its reason.
        let prose = ReaderRegistry.closest(lines("hello world\nthis is not a log"))
        #expect(prose.map { String($0.prefix { $0 != ":" }) } == ["w3c", "json_access", "combined"])
        #expect(prose.allSatisfy { $0.contains("0 of 2 lines look like it; line 1: ") })
    }
}

@Suite("ValueMap")
struct ValueMapTests {
    func resolve(_ m: ValueMap, _ v: String?, _ fields: [String: String] = [:]) -> String {
        // Each condition field's bytes, held for the call.
        let held: [[UInt8]?] = m.fields.map { fields[$0].map { Array($0.utf8) } }
        let value = v.map { Array($0.utf8) }
        func run(_ b: UnsafeBufferPointer<UInt8>?) -> ValueMap.Outcome? {
            var ptrs: [UnsafeBufferPointer<UInt8>?] = []
            func go(_ k: Int) -> ValueMap.Outcome? {
                guard k < held.count else { return m.resolve(b) { ptrs[$0] } }
                guard let h = held[k] else { ptrs.append(nil); return go(k + 1) }
                return h.withUnsafeBufferPointer { p in ptrs.append(p); return go(k + 1) }
            }
            return go(0)
        }
        let out = value.map { v in v.withUnsafeBufferPointer { run($0) } } ?? run(nil)
        switch out {
        case nil: return "none"
        case .ignore: return "ignore"
        case .action(let n, let kind): return kind.map { "\(n):\($0)" } ?? n
        }
    }

    @Test("an exact value wins over a wildcard, then the most conditions, then more literal text; written order never matters")
    func precedence() throws {
        let m = try ValueMap(actions: ["failed": "email_bounce:hard", "failed[severity=temporary]": "email_deferred",
                                       "failed[severity=permanent, reason=suppress-*]": "email_dropped",
                                       "visitor:*": "chat_message_visitor", "visitor:bot*": "chat_message_bot", "visitor:bot": "x"],
                             ignore: ["stored", "list_*"])
        #expect(resolve(m, "failed") == "email_bounce:hard")
        #expect(resolve(m, "failed", ["severity": "temporary"]) == "email_deferred")
        #expect(resolve(m, "failed", ["severity": "permanent", "reason": "suppress-bounce"]) == "email_dropped")
        #expect(resolve(m, "failed", ["severity": "permanent", "reason": "bounce"]) == "email_bounce:hard")
        #expect(resolve(m, "visitor:12") == "chat_message_visitor")
        #expect(resolve(m, "visitor:bot-3") == "chat_message_bot")
        #expect(resolve(m, "visitor:bot") == "x")
        #expect(resolve(m, "stored") == "ignore")
        #expect(resolve(m, "list_uploaded") == "ignore")
        #expect(resolve(m, "Failed") == "none") // values match exactly
        #expect(resolve(m, nil) == "none")
    }

    @Test("wildcards anywhere; * alone is any present value; an exact ignore beats a wildcard with conditions")
    func wildcards() throws {
        let m = try ValueMap(actions: ["message[author_id=*@*]": "chat_message_agent", "message": "chat_message_visitor",
                                       "*[author.type=admin]": "chat_message_agent", "note": "ignore", "conversation[rating=*]": "chat_rating",
                                       "conversation": "x"], ignore: [])
        #expect(resolve(m, "message", ["author_id": "smith@example.com"]) == "chat_message_agent")
        #expect(resolve(m, "message", ["author_id": "b7eff798-f8df"]) == "chat_message_visitor")
        #expect(resolve(m, "message", ["author_id": "@"]) == "chat_message_agent")
        #expect(resolve(m, "comment", ["author.type": "admin"]) == "chat_message_agent")
        #expect(resolve(m, "note", ["author.type": "admin"]) == "ignore")
        #expect(resolve(m, "conversation", ["rating": "5"]) == "chat_rating")
        #expect(resolve(m, "conversation", ["rating": ""]) == "x")
        #expect(resolve(m, "conversation") == "x")
        #expect(resolve(m, "comment") == "none")
    }

    @Test("a condition with nothing after = matches an absent or empty field")
    func absent() throws {
        let m = try ValueMap(actions: ["opened[bot=]": "email_open", "opened": "email_machine_open"], ignore: [])
        #expect(resolve(m, "opened") == "email_open")
        #expect(resolve(m, "opened", ["bot": ""]) == "email_open")
        #expect(resolve(m, "opened", ["bot": "apple"]) == "email_machine_open")
    }

    @Test("a key with a condition that is not field=value is a configuration error naming it")
    func badKeys() {
        #expect(throws: ConfigError.self) { try ValueMap(actions: ["failed[severity]": "email_deferred"], ignore: []) }
        #expect(throws: ConfigError.self) { try ValueMap(actions: ["fail[ed": "email_deferred"], ignore: []) }
        #expect(throws: ConfigError.self) { try ValueMap(actions: ["failed": " "], ignore: []) }
    }
}

/// The web presets over each source's documented example lines (`fixtures/web/presets/`:
/// `*.SOURCE.md` gives the page or repository of every line, `*.EXPECTED.md` works each field
/// out by hand). Bots are kept here (most documented examples are `curl`), so every line shows.
/// Rows: line · UTC time · path · query · status · response ms.
@Suite("Web presets")
struct WebPresetTests {
    func load(_ preset: String, file: String? = nil) throws -> ReadOutcome {
        let bytes = try fixture("web/presets/\(file ?? preset).log")
        let sample = bytes.split(separator: 10).prefix(20).map(Array.init)
        #expect(ReaderRegistry.detect(sample) == (preset == "cloudfront" ? "w3c" : preset), "\(preset) is detected")
        var o = ReaderOptions()
        o.skipBots = false
        o.skipAssets = false
        return try expectConformance(bytes, format: preset, options: o)
    }

    func rows(_ o: ReadOutcome) -> [String] {
        o.touchpoints.map { t in
            let query = t.query.map { "\($0.name)=\($0.value)" }.joined(separator: "&")
            return "\(t.origin.line) \(Timestamp.iso(t.time)) \(t.path ?? "-") \(query.isEmpty ? "-" : query) \(t.status) \(t.responseTimeMs.map(String.init) ?? "-")"
        }
    }

    @Test("ALB: client port cut, the load balancer's status, the target's time; fields appended later ignored")
    func alb() throws {
        let o = try load("alb")
        #expect(rows(o) == ["1 2018-07-02T22:23:00.186Z / - 200 1", "2 2018-07-02T22:23:00.186Z / - 200 48", "3 2018-07-02T22:23:00.186Z / - 200 2",
                            "4 2018-07-02T22:23:00.186Z / - 101 3", "5 2018-07-02T22:23:00.186Z / - 101 1", "6 2018-11-30T22:23:00.186Z / - 200 1",
                            "7 2018-11-30T22:23:00.186Z / - 502 1"])
        #expect(o.touchpoints.first?.keys.visitor?.hasPrefix("ipua-") == true) // 192.168.131.39 without :2817, as the IP + agent key
    }

    @Test("Classic ELB: HTTP lines read, TCP and SSL listeners' \"- - - \" requests with status - are ignored skips")
    func elb() throws {
        let o = try load("elb")
        #expect(rows(o) == ["1 2015-05-13T23:39:43.945Z / - 200 1", "2 2015-05-13T23:39:43.945Z / - 200 1"])
        #expect(o.skips[.ignored] == 2 && o.rejects.isEmpty)
    }

    @Test("S3 server access: bucket paths and subresource queries; a PUT is no page view")
    func s3() throws {
        let o = try load("s3")
        #expect(rows(o) == ["1 2019-02-06T00:00:38.000Z /DOC-EXAMPLE-BUCKET1 versioning= 200 -", "2 2019-02-06T00:00:38.000Z /DOC-EXAMPLE-BUCKET1 logging= 200 -",
                            "3 2019-02-06T00:00:38.000Z /DOC-EXAMPLE-BUCKET1 policy= 404 -", "4 2019-02-06T00:01:00.000Z /DOC-EXAMPLE-BUCKET1 versioning= 200 -"])
        #expect(o.skips[.ignored] == 1)
    }

    @Test("CloudFront standard logs through the w3c reader, under its own name")
    func cloudfront() throws {
        let o = try load("cloudfront")
        #expect(rows(o) == ["3 2019-12-04T21:02:31.000Z /index.html - 200 1", "4 2019-12-04T21:02:31.000Z /index.html - 200 0",
                            "5 2019-12-04T21:02:31.000Z /index.html - 200 1", "6 2019-12-13T22:36:27.000Z /favicon.ico - 502 102",
                            "7 2019-12-13T22:36:26.000Z / - 502 107", "8 2019-12-13T22:37:02.000Z / - 502 103"])
        #expect(o.touchpoints[3].referrerHost == "www.example.com")
    }

    @Test("HAProxy httplog: syslog prefix, client port cut, an accept date without offset in the source's timezone")
    func haproxy() throws {
        let o = try load("haproxy")
        #expect(rows(o) == ["1 2009-02-06T12:14:14.655Z /index.html - 200 -"])
        var plus1 = ReaderOptions()
        plus1.timezone = Zone(offset: 3600)
        let berlin = try read(try fixture("web/presets/haproxy.log"), format: "haproxy", options: plus1)
        #expect(berlin.touchpoints.map(\.time) == [o.touchpoints[0].time - 3_600_000])
    }

    @Test("ingress-nginx: combined plus request length, request time and upstream fields")
    func ingressNginx() throws {
        let o = try load("ingress_nginx")
        #expect(rows(o) == ["1 2023-09-11T07:44:14.000Z / - 404 2", "2 2023-09-11T07:44:17.000Z / - 404 1", "3 2023-09-11T07:44:29.000Z / - 404 1",
                            "4 2023-09-11T07:44:33.000Z / - 404 1", "5 2022-02-03T20:09:14.000Z / - 200 1", "6 2022-02-03T20:09:14.000Z / - 200 0"])
    }

    @Test("vhost_combined: the virtual host and port before combined, never the client")
    func vhostCombined() throws {
        let o = try load("vhost_combined")
        #expect(rows(o) == ["1 2014-01-19T03:06:20.000Z /non_existent/testcontext key1=value_1 404 -"])
    }

    @Test("Caddy: the 2021 example; the current docs' example has a trailing comma and is rejected bad_json")
    func caddy() throws {
        let o = try load("caddy")
        #expect(rows(o) == ["2 2020-03-30T19:38:34.769Z / - 200 0"])
        #expect(o.rejects.map { "\($0.origin.line):\($0.reason.rawValue)" } == ["1:bad_json"])
    }

    @Test("Traefik: StartUTC, RequestPath, DownstreamStatus, Duration in nanoseconds")
    func traefik() throws {
        let o = try load("traefik")
        #expect(rows(o) == ["1 2020-06-11T19:07:28.798Z /ping - 200 0"])
    }
}

/// Every format of the registry, built-in readers and presets alike, is read from a sample of
/// its own in every way of feeding it (`expectConformance`): a format added without a sample
/// fails here by name.
@Suite("Registry conformance")
struct RegistryConformanceTests {
    /// Each format's sample and the options it needs.
    static func sample(_ name: String) throws -> (String, ReaderOptions)? {
        var o = ReaderOptions()
        switch name {
        case "combined": return ("web/access.log", o)
        case "common": return ("web/common.log", o)
        case "nginx":
            o.logFormat = try String(decoding: fixture("web/custom.log_format.txt"), as: UTF8.self)
                .split(separator: "\n").last { !$0.hasPrefix("#") && !$0.isEmpty }.map(String.init)
            return ("web/custom.log", o)
        case "json_access": return ("web/access.json", o)
        case "w3c": return ("web/iis.log", o)
        case "sendgrid": return ("email/sendgrid_events.ndjson", o)
        case "ses": return ("email/ses_events.ndjson", o)
        case "chat": return ("chat/chat.jsonl", o)
        case "jsonl":
            o.fields = ["time": "ts", "action": "event", "visitor": "anonymous_id", "customer": "user_id", "email": "traits.email"]
            return ("generic/events.jsonl", o)
        case "csv":
            o.fields = ["time": "created_at", "action": "event", "customer": "customer_id", "email": "email"]
            return ("generic/orders.csv", o)
        default:
            guard let p = Presets.all.first(where: { $0.name == name }) else { return nil }
            switch p.base {
            case .jsonl:
                let email = "email/providers/\(name).ndjson", chat = "chat/providers/\(name).ndjson"
                if (try? fixture(email)) != nil { return (email, o) }
                if (try? fixture(chat)) != nil { return (chat, o) }
                if name == "mailgun" { return ("email/providers/mailgun_webhooks.ndjson", o) }
                return nil
            case .nginx, .jsonAccess, .w3c:
                o.skipBots = false // most documented examples are curl
                return ("web/presets/\(name).log", o)
            }
        }
    }

    @Test(arguments: ReaderRegistry.names) func everyFormatReadsItsSample(format: String) throws {
        let s = try #require(try Self.sample(format), "\(format) has a sample in fixtures/")
        let o = try expectConformance(try fixture(s.0), format: format, options: s.1)
        #expect(o.touchpoints.count > 0, "\(format) reads touchpoints from \(s.0)")
    }
}
