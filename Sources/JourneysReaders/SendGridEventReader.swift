import JourneysCore

/// Reads the SendGrid Event Webhook: email touchpoints from delivery and engagement events.
///
/// A line is one of:
/// - one event object (`{"email":…,"timestamp":…,"event":…}`), one per line (NDJSON);
/// - the body the webhook POSTs: a JSON array of event objects on one line. Each element
///   becomes one touchpoint; an invalid element (an unknown event, no email …) is rejected on
///   its own (`TouchpointBuffer.rejectEvent`) and the others are kept, with a detail naming it
///   (`element [2] of 5: …`, 0-based as in `jq '.[2]'`); a line none of whose elements is
///   valid is rejected for its first;
/// - a line of a pretty-printed array holding one object per line: a lone `[` or `]` (or an
///   empty `[]`) is a `header` skip, and an object line ending in `,` is read without the comma.
///   Arrays pretty-printed with one *field* per line cannot be read line by line.
///
/// Field roles (override with a source's `fields:`; `a|b` tries `a`, then `b`):
/// `time` (`timestamp`: epoch seconds as a number or numeric string, read with `time_format`),
/// `email` (`email`), `event` (`event`), `event_id` (`sg_event_id`), `message_id`
/// (`sg_message_id`), `url` (`url`, clicks), `customer` (the identity's `customer_fields`:
/// SendGrid custom arguments arrive as top-level fields), `category` (`category`), `campaign`
/// (`marketing_campaign_name`), `text` (`reason|response`), `bounce_type` (`type`),
/// `user_agent` (`useragent`).
///
/// Meaning:
/// - `processed`, `delivered`, `deferred`, `dropped`, `bounce` (also with `type: blocked`),
///   `open`, `click`, `spamreport` (→ complaint), `unsubscribe` and `group_unsubscribe`
///   (→ unsubscribe), `group_resubscribe` (→ resubscribe); any other event is `unknown_event`.
/// - The email is required (`missing_identity` without it); a click whose record has no email
///   may take it from the URL's `identity.email_params`.
/// - Customer: the first custom argument named in `identity.customer_fields`, else (clicks) the
///   URL's `identity.customer_params` (e.g. `cid`).
/// - Campaign name: the click URL's `utm_campaign`, else `marketing_campaign_name`, else
///   `category` — a string, or for an array its first non-empty element (SendGrid's first
///   category is, by convention, the broad one). Other campaign fields come only from the URL.
/// - Text (bounce, dropped, deferred): `reason` or `response`, prefixed with the bounce `type`
///   (`blocked: …`) when there is one, cut to `text_limit` bytes.
/// - Device class from `useragent` for opens and clicks (email opens go through image proxies,
///   so bots are not skipped here).
/// - Event id: `sg_event_id`; without it `sg_message_id:event`, plus `:time-ms` for events that
///   repeat for one message (open, click, deferred), so a second open is not taken for a
///   duplicate of the first.
public struct SendGridEventReader: LogReader {
    public static let format = "sendgrid"

    /// The default field of each role; `customer` is filled from the identity options.
    public static let defaultFields: [String: String] = [
        "time": "timestamp", "email": "email", "event": "event", "event_id": "sg_event_id",
        "message_id": "sg_message_id", "url": "url", "customer": "", "category": "category",
        "campaign": "marketing_campaign_name", "text": "reason|response", "bounce_type": "type",
        "user_agent": "useragent",
    ]

    public static let descriptor = ReaderDescriptor(
        name: format, channel: "email",
        summary: "SendGrid Event Webhook: one event per line, or the webhook's JSON array of events",
        options: "fields (time=timestamp, email=email, event=event, event_id=sg_event_id, message_id=sg_message_id, url=url, "
            + "customer=identity.customer_fields, category=category, campaign=marketing_campaign_name, text=reason|response, "
            + "bounce_type=type, user_agent=useragent), time_format (auto), timezone (UTC), text_limit (500), "
            + "identity.customer_fields, identity.customer_params, identity.email_params, identity.ignore_values",
        make: { (o: ReaderOptions) throws(ConfigError) -> any LogReader in try SendGridEventReader(options: o) },
        sniff: { SendGridEventReader.sniff($0) })

    let options: ReaderOptions
    let fields: FieldMap
    var agents = UserAgentCache()

    public init(options: ReaderOptions = ReaderOptions()) throws(ConfigError) {
        self.options = options
        var defaults = SendGridEventReader.defaultFields
        defaults["customer"] = options.identity.customerFields.joined(separator: "|")
        fields = try FieldMap(defaults: defaults, overrides: options.fields, reader: SendGridEventReader.format)
    }

    /// True for a JSON line that names SendGrid's own fields, or has `event`, `email` and
    /// `timestamp` together with one of SendGrid's event names.
    public static func sniff(_ line: UnsafeBufferPointer<UInt8>) -> Bool {
        guard JSONLine.looksLikeJSON(line) else { return false }
        if JSONLine.mentions(line, "sg_event_id") || JSONLine.mentions(line, "sg_message_id") || JSONLine.mentions(line, "smtp-id") {
            return true
        }
        guard JSONLine.mentions(line, "event"), JSONLine.mentions(line, "email"), JSONLine.mentions(line, "timestamp") else { return false }
        return eventNames.contains { JSONLine.mentions(line, $0.0) }
    }

    static let eventNames: [(String, Action)] = [
        ("processed", .emailProcessed), ("delivered", .emailDelivered), ("deferred", .emailDeferred),
        ("dropped", .emailDropped), ("bounce", .emailBounce), ("open", .emailOpen), ("click", .emailClick),
        ("spamreport", .emailComplaint), ("unsubscribe", .emailUnsubscribe), ("group_unsubscribe", .emailUnsubscribe),
        ("group_resubscribe", .emailResubscribe),
    ]

    public mutating func read(_ line: UnsafeBufferPointer<UInt8>, origin: Origin, into out: inout TouchpointBuffer) -> LineVerdict {
        var b = EmailJSON.trim(line)
        if b.count == 1, b[0] == 91 || b[0] == 93 { return .skipped(.header) } // lone [ or ]
        if b.count >= 2, b[0] == 123, b[b.count - 1] == 44 { // "{…}," inside a pretty-printed array
            b = EmailJSON.trim(UnsafeBufferPointer(rebasing: b[..<(b.count - 1)]))
        }
        let parsed: JSONValue
        switch JSONLine.parse(b) {
        case .success(let v): parsed = v
        case .failure(let e): return .rejected(.badJSON, e.description)
        }
        switch parsed {
        case .object:
            do throws(EmailRejection) {
                out.emit(try touchpoint(parsed, origin: origin))
                return .emitted(1)
            } catch {
                return .rejected(error.reason, error.detail)
            }
        case .array(let items):
            // Each event stands alone: a bad one is rejected (`rejectEvent`) and the others are
            // kept; only when none is kept is the line itself rejected, for its first bad event.
            // Events are rejected as they are met (the buffer keeps a bounded number of them).
            if items.isEmpty { return .skipped(.header) }
            func detail(_ i: Int, _ e: EmailRejection) -> String { "element [\(i)] of \(items.count): \(e.detail)" }
            var made = 0
            var first: (index: Int, rejection: EmailRejection)?
            for (i, item) in items.enumerated() {
                do throws(EmailRejection) {
                    guard case .object = item else { throw EmailRejection(.malformed, "not a JSON object") }
                    out.emit(try touchpoint(item, origin: origin))
                    made += 1
                } catch {
                    if first == nil { first = (i, error) }
                    out.rejectEvent(error.reason, detail(i, error))
                }
            }
            if made == 0, let first {
                return .rejected(first.rejection.reason, detail(first.index, first.rejection) + (items.count > 1 ? " (every element was rejected)" : ""))
            }
            return .emitted(made)
        default:
            return .rejected(.malformed, "not a JSON object or array of objects")
        }
    }

    /// The field path a role reads, for reject details.
    func path(_ role: String) -> String { fields.paths[role] ?? role }

    mutating func touchpoint(_ r: JSONValue, origin: Origin) throws(EmailRejection) -> Touchpoint {
        // Event first: an account event without an email is unknown, not anonymous.
        guard let rawEvent = fields.value("event", in: r) else {
            throw EmailRejection(.malformed, "no event (field \"\(path("event"))\")")
        }
        guard let eventName = rawEvent.text else {
            throw EmailRejection(.malformed, "event is not text (field \"\(path("event"))\")")
        }
        let lower = eventName.lowercased()
        guard let action = SendGridEventReader.eventNames.first(where: { $0.0 == lower })?.1 else {
            throw EmailRejection(.unknownEvent, "unknown event \(JSONText.quoted(eventName)) (field \"\(path("event"))\")")
        }

        guard let rawTime = fields.value("time", in: r) else {
            throw EmailRejection(.badTimestamp, "no timestamp (field \"\(path("time"))\")")
        }
        guard let time = TimeField.parse(rawTime, format: options.timeFormat, offset: options.timezoneOffset),
              Timestamp.isPlausible(time) else {
            throw EmailRejection(.badTimestamp, "timestamp \(EmailJSON.show(rawTime)) is not a time between 1990 and 2100 (field \"\(path("time"))\")")
        }

        let id = options.identity
        var t = Touchpoint(time: time, channel: .email, action: action, origin: origin)
        t.keys.customer = fields.value("customer", in: r).flatMap { id.clean($0.text) }

        if action == .emailClick, let url = fields.text("url", in: r), !url.isEmpty {
            URLParts.apply(url, to: &t)
            for p in t.query {
                if t.keys.customer == nil, id.customerParams.contains(p.name), let v = id.clean(p.value) { t.keys.customer = v }
                if t.keys.email == nil, id.emailParams.contains(p.name), let v = id.cleanEmail(p.value) { t.keys.email = v }
            }
        }
        let urlEmail = t.keys.email
        if let raw = fields.value("email", in: r) {
            if let e = id.cleanEmail(raw.text) {
                t.keys.email = e
            } else if urlEmail == nil {
                throw EmailRejection(.missingIdentity, "email \(EmailJSON.show(raw)) is not an address (field \"\(path("email"))\")")
            }
        }
        guard t.keys.email != nil else {
            throw EmailRejection(.missingIdentity, "no email (field \"\(path("email"))\")")
        }

        if t.campaign.name == nil {
            if let c = fields.text("campaign", in: r).flatMap(EmailJSON.nonEmpty) {
                t.campaign.name = c
            } else if let cat = fields.value("category", in: r) {
                t.campaign.name = EmailJSON.firstText(cat)
            }
        }

        switch action {
        case .emailBounce, .emailDropped, .emailDeferred:
            if let reason = fields.text("text", in: r).flatMap(EmailJSON.nonEmpty) {
                var text = reason
                if action == .emailBounce, let kind = fields.text("bounce_type", in: r).flatMap(EmailJSON.nonEmpty) {
                    text = kind + ": " + reason
                }
                t.text = JSONLine.cut(text, options.textLimit)
            }
        case .emailOpen, .emailClick:
            if let ua = fields.text("user_agent", in: r), !ua.isEmpty { t.device = agents.classify(ua).device }
        default: break
        }

        if let eid = fields.text("event_id", in: r).flatMap(EmailJSON.nonEmpty) {
            t.eventID = eid
        } else if let mid = fields.text("message_id", in: r).flatMap(EmailJSON.nonEmpty) {
            let repeats = action == .emailOpen || action == .emailClick || action == .emailDeferred
            t.eventID = mid + ":" + lower + (repeats ? ":\(time)" : "")
        }
        return t
    }
}

/// Why one email event cannot become a touchpoint.
struct EmailRejection: Error {
    var reason: RejectReason
    var detail: String
    init(_ reason: RejectReason, _ detail: String) {
        self.reason = reason
        self.detail = detail
    }
}

/// Small JSON helpers shared by the email readers.
enum EmailJSON {
    /// The bytes without leading and trailing spaces, tabs and carriage returns.
    static func trim(_ b: UnsafeBufferPointer<UInt8>) -> UnsafeBufferPointer<UInt8> {
        var s = 0, e = b.count
        while s < e, b[s] == 32 || b[s] == 9 || b[s] == 13 { s += 1 }
        while e > s, b[e - 1] == 32 || b[e - 1] == 9 || b[e - 1] == 13 { e -= 1 }
        return UnsafeBufferPointer(rebasing: b[s..<e])
    }

    /// True when `hay` contains the bytes of `needle`.
    static func contains(_ hay: UnsafeBufferPointer<UInt8>, _ needle: String) -> Bool {
        let n = Array(needle.utf8)
        guard let first = n.first, n.count <= hay.count else { return false }
        var i = 0
        while i <= hay.count - n.count {
            if hay[i] == first {
                var k = 1
                while k < n.count, hay[i + k] == n[k] { k += 1 }
                if k == n.count { return true }
            }
            i += 1
        }
        return false
    }

    /// The text trimmed, or nil when nothing is left.
    static func nonEmpty(_ s: String) -> String? {
        let t = s.trimmingSpaces
        return t.isEmpty ? nil : t
    }

    /// A string's text, or an array's first non-empty string element.
    static func firstText(_ v: JSONValue) -> String? {
        switch v {
        case .string(let s): return nonEmpty(s)
        case .array(let items):
            for item in items { if case .string(let s) = item, let t = nonEmpty(s) { return t } }
            return nil
        default: return nil
        }
    }

    /// A value as it appears in a reject detail (strings quoted, capped).
    static func show(_ v: JSONValue) -> String {
        switch v {
        case .string(let s): return JSONText.quoted(JSONLine.cut(s, 60))
        case .number(let n): return JSONLine.cut(n, 60)
        case .bool(let b): return b ? "true" : "false"
        case .null: return "null"
        case .array: return "an array"
        case .object: return "an object"
        }
    }
}
