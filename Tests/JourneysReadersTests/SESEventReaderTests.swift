import JourneysCore
import JourneysReaders
import Testing

/// Expected values below were worked out by hand from the fixture text. 2026-10-14T00:00:00Z is
/// 1791936000 s (20740 days × 86400), so e.g. `2026-10-14T07:30:00.120Z` is
/// (1791936000 + 7 × 3600 + 30 × 60) × 1000 + 120 = 1791963000120.
@Suite("SESEventReader")
struct SESEventReaderTests {
    static let q = "0102019a1b2c3d4e-aaaa1111-2222-3333-4444-555566667777-000000"

    func fixtureOutcome() throws -> ReadOutcome {
        try read(try fixture("email/ses_events.ndjson"), format: "ses")
    }

    func lines(_ text: String, options: ReaderOptions = ReaderOptions()) throws -> ReadOutcome {
        try read(Array(text.utf8), format: "ses", options: options)
    }

    @Test("fixture: every line ends as touchpoints, an ignored skip or a reject with the right reason")
    func fixtureTotals() throws {
        let o = try expectConformance(try fixture("email/ses_events.ndjson"), format: "ses")
        #expect(o.lines == 22)
        #expect(o.touchpoints.count == 14)
        #expect(o.skips[.ignored] == 4) // no-change subscription, Rendering Failure, SNS confirmation, SES set-up notice
        #expect(o.skips.total == 4)
        #expect(o.rejects.map { "\($0.origin.line):\($0.reason.rawValue)" } == [
            "16:bad_json", "17:unknown_event", "18:bad_json", "19:missing_identity", "20:bad_timestamp",
        ])
        let detail = Dictionary(uniqueKeysWithValues: o.rejects.map { ($0.origin.line, $0.detail) })
        #expect(detail[16] == "SNS \"Message\": invalid value at byte 0")
        #expect(detail[17] == "unknown event \"Received\" (field \"notificationType\")")
        #expect(detail[19] == "no recipient email address (field \"mail.destination\")")
        #expect(detail[20] == "timestamp \"2026-13-40T14:40:01.000Z\" is not a time between 1990 and 2100 (field \"delivery.timestamp\")")
        #expect(o.touchpoints.map(\.origin.line) == [1, 2, 3, 4, 5, 5, 6, 7, 8, 9, 10, 13, 14, 22])
        #expect(o.touchpoints.allSatisfy { $0.channel == .email })

        let gz = try read(try fixture("email/ses_events.ndjson.gz"), format: "ses")
        #expect(gz == o)
    }

    @Test("Send and Delivery: time from the event or the mail, tags give customer and campaign")
    func sendAndDelivery() throws {
        let t = try fixtureOutcome().touchpoints
        let send = t[0]
        #expect(send.action == .emailProcessed)
        #expect(send.time == 1_791_963_000_120) // send has no timestamp: mail.timestamp 07:30:00.120Z
        #expect(send.keys == IdentityKeys(customer: "C-2001", email: "quinn@example.com")) // "Quinn@Example.com"
        #expect(send.campaign.name == "fall-coats")
        #expect(send.eventID == Self.q + ":send:quinn@example.com")
        #expect(send.device == .unknown)

        let delivery = t[1]
        #expect(delivery.action == .emailDelivered)
        #expect(delivery.time == 1_791_963_002_456) // delivery.timestamp 07:30:02.456Z
        #expect(delivery.eventID == Self.q + ":delivery:quinn@example.com")
        #expect(delivery.text == nil)
    }

    @Test("Open and Click: device, link path and utm, event ids carry the time")
    func openAndClick() throws {
        let t = try fixtureOutcome().touchpoints
        let open = t[2]
        #expect(open.action == .emailOpen)
        #expect(open.time == 1_791_965_565_000) // 08:12:45Z = +29565 s
        #expect(open.device == .tablet) // iPad
        #expect(open.eventID == Self.q + ":open:quinn@example.com:1791965565000")

        let click = t[3]
        #expect(click.action == .emailClick)
        #expect(click.time == 1_791_965_590_250) // 08:13:10.250Z = +29590 s
        #expect(click.path == "/coats/wool-long")
        #expect(click.campaign == Campaign(source: "ses", medium: "email", name: "fall_coats")) // link utm beats the tag
        #expect(click.clickID == nil)
        #expect(click.keys == IdentityKeys(customer: "C-2001", email: "quinn@example.com"))
        #expect(click.query.map(\.name) == ["utm_source", "utm_medium", "utm_campaign", "cid"])
        #expect(click.eventID == Self.q + ":click:quinn@example.com:1791965590250")

        let zoe = t[13]
        #expect(zoe.origin.line == 22)
        #expect(zoe.time == 1_791_992_527_891) // 15:42:07.891Z = +56527 s
        #expect(zoe.keys == IdentityKeys(customer: "C-3003", email: "zoe.park@example.com")) // "Zoe Park <Zoe.Park@example.com>", cid
        #expect(zoe.path == "/account/points")
        #expect(zoe.campaign == Campaign(name: "loyalty-oct")) // no utm_campaign in the link: the mail tag
        #expect(zoe.device == .desktop)
    }

    @Test("a Bounce with two bounced recipients gives two touchpoints with their diagnostics")
    func bounceTwoRecipients() throws {
        let b = try fixtureOutcome().touchpoints.filter { $0.origin.line == 5 }
        let r = "0102019a1b2c3d4f-bbbb1111-2222-3333-4444-555566667777-000000"
        #expect(b.count == 2) // tess@ is in destination but did not bounce
        #expect(b.map(\.action) == [.emailBounce, .emailBounce])
        #expect(b.map(\.time) == [1_791_963_065_669, 1_791_963_065_669]) // bounce.timestamp 07:31:05.669Z
        #expect(b.map(\.keys.email) == ["rita@example.org", "sam@example.org"])
        #expect(b.map(\.text) == ["Permanent/General: smtp; 550 5.1.1 user unknown",
                                  "Permanent/General: smtp; 550 5.1.1 <sam@example.org>: Recipient address rejected"])
        #expect(b.map(\.eventID) == [r + ":bounce:rita@example.org", r + ":bounce:sam@example.org"])
        #expect(b.allSatisfy { $0.campaign.name == "fall-coats" && $0.keys.customer == nil })
    }

    @Test("Complaint (plain and SNS-wrapped), Reject, DeliveryDelay, SNS Delivery notification")
    func feedbackEvents() throws {
        let t = try fixtureOutcome().touchpoints
        let complaint = t[6]
        #expect(complaint.action == .emailComplaint)
        #expect(complaint.keys.email == "uma@example.com")
        #expect(complaint.time == 1_791_968_400_000) // 09:00:00Z
        #expect(complaint.text == "abuse")

        let reject = t[7]
        #expect(reject.action == .emailDropped)
        #expect(reject.time == 1_791_969_000_500) // no reject.timestamp: mail 09:10:00.500Z
        #expect(reject.text == "Bad content")
        #expect(reject.campaign.name == nil) // only ses:* tags

        let delay = t[8]
        #expect(delay.action == .emailDeferred)
        #expect(delay.time == 1_791_969_630_000) // 09:20:30Z
        #expect(delay.keys.email == "wen@example.org")
        #expect(delay.text == "TransientCommunicationFailure: smtp; 421 4.4.1 Unable to connect to remote host")
        #expect(delay.eventID == "0102019a1b2c3d52-eeee1111-2222-3333-4444-555566667777-000000:deliverydelay:wen@example.org:1791969630000")

        let snsDelivery = t[11]
        #expect(snsDelivery.action == .emailDelivered)
        #expect(snsDelivery.time == 1_791_979_201_302) // 12:00:01.302Z
        #expect(snsDelivery.eventID == "0102019a1b2c3d54-a1a11111-2222-3333-4444-555566667777-000000:delivery:xena@example.com")

        let wrapped = t[12]
        #expect(wrapped.origin.line == 14)
        #expect(wrapped.action == .emailComplaint)
        #expect(wrapped.keys.email == "yuri@example.net")
        #expect(wrapped.time == 1_791_985_510_000) // complaint.timestamp 13:45:10Z, not the SNS Timestamp
        #expect(wrapped.text == "abuse")
        #expect(wrapped.eventID == "0102019a1b2c3d55-b2b21111-2222-3333-4444-555566667777-000000:complaint:yuri@example.net")
    }

    @Test("Subscription: opting out is an unsubscribe, opting back in a resubscribe, no change is skipped")
    func subscription() throws {
        let t = try fixtureOutcome().touchpoints
        #expect(t[9].action == .emailUnsubscribe)
        #expect(t[9].time == 1_791_972_000_000) // 10:00:00Z
        #expect(t[9].eventID == Self.q + ":subscription:quinn@example.com:1791972000000")
        #expect(t[10].action == .emailResubscribe)
        #expect(t[10].time == 1_791_975_600_000) // 11:00:00Z

        // A topic opt-out without unsubscribeAll, in the array form some producers write.
        let o = try lines("""
            {"eventType":"Subscription","mail":{"timestamp":"2026-10-14T10:00:00.000Z","messageId":"m1","destination":["a@example.com"]},"subscription":{"timestamp":"2026-10-14T10:00:01.000Z","newTopicPreferences":[{"topicName":"deals","subscriptionStatus":"OPT_OUT"}],"oldTopicPreferences":[{"topicName":"deals","subscriptionStatus":"OPT_IN"}]}}
            {"eventType":"Subscription","mail":{"timestamp":"2026-10-14T10:00:00.000Z","messageId":"m1","destination":["a@example.com"]},"subscription":{"timestamp":"2026-10-14T10:00:02.000Z","newTopicPreferences":{"unsubscribeAll":false,"topicSubscriptionStatus":[{"topicName":"deals","subscriptionStatus":"OptOut"}]},"oldTopicPreferences":{"unsubscribeAll":false,"topicSubscriptionStatus":[{"topicName":"deals","subscriptionStatus":"OptOut"}]}}}
            """)
        #expect(o.touchpoints.map(\.action) == [.emailUnsubscribe])
        #expect(o.touchpoints.first?.time == 1_791_972_001_000) // 10:00:01Z = 1791936000 + 36001 s
        #expect(o.skips[.ignored] == 1)
    }

    @Test("every destination is a recipient for events without their own list; duplicates count once")
    func destinations() throws {
        let o = try lines("""
            {"eventType":"Open","mail":{"timestamp":"2026-10-14T10:00:00.000Z","messageId":"m2","destination":["a@example.com","B@example.com","a@example.com","not-an-address"]},"open":{"timestamp":"2026-10-14T10:05:00Z","userAgent":"Mozilla/5.0 (iPhone)"}}
            {"eventType":"Bounce","mail":{"timestamp":"2026-10-14T10:00:00.000Z","messageId":"m3","destination":["c@example.com"]},"bounce":{"bounceType":"Transient","bounceSubType":"MailboxFull","timestamp":"2026-10-14T10:00:04Z"}}
            {"eventType":"Open","mail":{"timestamp":"2026-10-14T10:00:00.000Z","destination":["d@example.com"]},"open":{}}
            """)
        #expect(o.touchpoints.map(\.keys.email) == ["a@example.com", "b@example.com", "c@example.com", "d@example.com"])
        #expect(o.touchpoints[0].time == 1_791_972_300_000) // 10:05:00Z
        #expect(o.touchpoints[0].device == .mobile)
        #expect(o.touchpoints[2].text == "Transient/MailboxFull") // no bouncedRecipients: destination, no diagnostic
        #expect(o.touchpoints[3].time == 1_791_972_000_000) // empty open object: mail.timestamp
        #expect(o.touchpoints[3].eventID == nil) // no messageId
    }

    @Test("malformed records and SNS edge cases are rejected or skipped with a reason")
    func edges() throws {
        let o = try lines("""
            {"eventType":"Open","open":{"timestamp":"2026-10-14T10:05:00Z"}}
            {"mail":{"timestamp":"2026-10-14T10:00:00.000Z","destination":["a@example.com"]}}
            {"Type":"Notification","MessageId":"x","Message":{"eventType":"Open"}}
            {"Type":"Notification","MessageId":"x","Message":"[1,2]"}
            {"Type":"UnsubscribeConfirmation","MessageId":"x","Message":"bye"}
            {"Type":"Reminder","MessageId":"x"}
            {"eventType":"Open","eventType":"Click"}
            [1,2,3]
            {"eventType":"Send","mail":{"messageId":"m4","destination":["a@example.com"]},"send":{}}
            """)
        #expect(o.touchpoints.isEmpty)
        #expect(o.skips[.ignored] == 1)
        #expect(o.rejects.map { "\($0.origin.line):\($0.reason.rawValue)" } == [
            "1:malformed", "2:malformed", "3:malformed", "4:malformed", "6:unknown_event", "7:bad_json", "8:malformed",
            "9:bad_timestamp",
        ])
        #expect(o.rejects[4].detail == "unknown SNS message type \"Reminder\" (field \"Type\")")
        #expect(o.rejects[5].detail.hasPrefix("duplicate key \"eventType\""))
    }

    @Test("an event in an SNS notification without a time of its own takes the envelope's Timestamp")
    func snsEnvelopeTimestamp() throws {
        // The SNS envelope as AWS documents it (Type, MessageId, TopicArn, Message as a JSON string,
        // Timestamp); the Delivery notification inside has neither delivery.timestamp nor
        // mail.timestamp. 2026-10-14T07:30:00.120Z = 1791963000120 ms (see the top of this file).
        let inner = #"{\"notificationType\":\"Delivery\",\"mail\":{\"source\":\"sender@example.com\",\"messageId\":\"m9\",\"destination\":[\"Recipient@Example.com\"]},\"delivery\":{\"recipients\":[\"recipient@example.com\"]}}"#
        let o = try lines("""
            {"Type":"Notification","MessageId":"n1","TopicArn":"arn:aws:sns:us-east-1:123456789012:ses","Message":"\(inner)","Timestamp":"2026-10-14T07:30:00.120Z"}
            {"Type":"Notification","MessageId":"n2","TopicArn":"arn:aws:sns:us-east-1:123456789012:ses","Message":"\(inner)"}
            """)
        #expect(o.touchpoints.map(\.origin.line) == [1])
        #expect(o.touchpoints.first?.time == 1_791_963_000_120)
        #expect(o.touchpoints.first?.action == .emailDelivered)
        #expect(o.touchpoints.first?.keys.email == "recipient@example.com")
        #expect(o.rejects.map { "\($0.origin.line):\($0.reason.rawValue)" } == ["2:bad_timestamp"])
        #expect(o.rejects.first?.detail == #"no timestamp (fields "delivery.timestamp", "mail.timestamp", SNS "Timestamp")"#)
    }

    @Test("text is cut to text_limit; a field map is a configuration error")
    func optionsUse() throws {
        var options = ReaderOptions()
        options.textLimit = 17
        let o = try lines("""
            {"eventType":"Reject","mail":{"timestamp":"2026-10-14T10:00:00.000Z","messageId":"m5","destination":["a@example.com"]},"reject":{"reason":"Bad content: the message contained a virus"}}
            """, options: options)
        #expect(o.touchpoints.first?.text == "Bad content: the …")

        var bad = ReaderOptions()
        bad.fields = ["email": "to"]
        #expect(throws: ConfigError.self) { _ = try SESEventReader(options: bad) }
    }

    @Test("sniffing recognises Firehose records and SNS-wrapped events, not SendGrid lines")
    func sniff() throws {
        func sniff(_ s: String) -> Bool {
            var s = s
            return s.withUTF8 { SESEventReader.sniff($0) }
        }
        #expect(sniff(#"{"eventType":"Open","mail":{"messageId":"x"},"open":{}}"#))
        #expect(sniff(#"{"notificationType":"Bounce","bounce":{},"mail":{}}"#))
        #expect(sniff(#"{"Type":"Notification","MessageId":"x","Message":"{\"eventType\":\"Open\",\"mail\":{}}"}"#))
        #expect(!sniff(#"{"Type":"Notification","MessageId":"x","Message":"hello"}"#))
        #expect(!sniff(#"{"email":"a@b.c","timestamp":1,"event":"open","sg_event_id":"x"}"#))
        let lines = try fixture("email/ses_events.ndjson").split(separator: 10).map(Array.init)
        #expect(ReaderRegistry.detect(lines) == "ses")
        #expect(ReaderRegistry.descriptor(named: "ses")?.channel == "email")
    }
}
