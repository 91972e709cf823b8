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
/// `user_agent` (`useragent`), `machine_open` (`sg_machine_open`).
///
/// Meaning:
/// - `processed`, `delivered`, `deferred`, `dropped`, `bounce` (also with `type: blocked`),
///   `open`, `click`, `spamreport` (→ complaint), `unsubscribe` and `group_unsubscribe`
///   (→ unsubscribe), `group_resubscribe` (→ resubscribe); any other event is `unknown_event`.
///   An `open` with `sg_machine_open: true` (Apple Mail Privacy Protection and other proxies
///   that open every message) is `email_machine_open`: kept, but not the person's own action.
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
        "user_agent": "useragent", "machine_open": "sg_machine_open",
    ]

    public static let descriptor = ReaderDescriptor(
        name: format, channel: "email",
        summary: "SendGrid Event Webhook: one event per line, or the webhook's JSON array of events",
        options: "fields (time=timestamp, email=email, event=event, event_id=sg_event_id, message_id=sg_message_id, url=url, "
            + "customer=identity.customer_fields, category=category, campaign=marketing_campaign_name, text=reason|response, "
            + "bounce_type=type, user_agent=useragent, machine_open=sg_machine_open), time_format (auto), timezone (UTC), text_limit (500), "
            + "identity.customer_fields, identity.customer_params, identity.email_params, identity.ignore_values",
        make: { (o: ReaderOptions) throws(ConfigError) -> any LogReader in try SendGridEventReader(options: o) },
        sniff: { SendGridEventReader.sniff($0) })

    let options: ReaderOptions
    let fields: FieldMap
    let identity: IdentityBytes
    let customerParams: ByteNames
    let emailParams: ByteNames
    /// Each role's path (`fields`), ready for lookups.
    let time, email, event, eventID, messageID, url, customer, category, campaign, text, bounceType, userAgent, machineOpen: FieldPath
    var agents = UserAgentCache()
    /// The parsed line and reusable byte buffers (no allocation per line once warm).
    var tape = JSONTape()
    var scratch: [UInt8] = []
    /// Keys from a click URL's parameters, a bounce's text before it is cut.
    var keyScratch: [UInt8] = []

    public init(options: ReaderOptions = ReaderOptions()) throws(ConfigError) {
        self.options = options
        var defaults = SendGridEventReader.defaultFields
        defaults["customer"] = options.identity.customerFields.joined(separator: "|")
        let fields = try FieldMap(defaults: defaults, overrides: options.fields, reader: SendGridEventReader.format)
        self.fields = fields
        identity = IdentityBytes(options.identity)
        customerParams = ByteNames(options.identity.customerParams)
        emailParams = ByteNames(options.identity.emailParams)
        (time, email, event, eventID, messageID, url) = (fields.path("time"), fields.path("email"), fields.path("event"),
                                                        fields.path("event_id"), fields.path("message_id"), fields.path("url"))
        (customer, category, campaign, text, bounceType, userAgent) = (fields.path("customer"), fields.path("category"), fields.path("campaign"),
                                                                      fields.path("text"), fields.path("bounce_type"), fields.path("user_agent"))
        machineOpen = fields.path("machine_open")
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
    static let eventNameBytes: [[UInt8]] = eventNames.map { Array($0.0.utf8) }

    /// The index in `eventNames` of an event name, compared lower-cased.
    static func eventIndex(_ name: UnsafeBufferPointer<UInt8>) -> Int? {
        if name.contains(where: { $0 >= 0x80 }) { // Unicode lower-casing, as `String.lowercased`
            let lower = String(decoding: name, as: UTF8.self).lowercased()
            return eventNames.firstIndex { $0.0 == lower }
        }
        return eventNameBytes.firstIndex { n in
            n.count == name.count && zip(n, name).allSatisfy { $0 == ($1 &- 65 < 26 ? $1 | 0x20 : $1) }
        }
    }

    public mutating func read(_ line: UnsafeBufferPointer<UInt8>, origin: Origin, into out: inout TouchpointBuffer) -> LineVerdict {
        var b = EmailJSON.trim(line)
        if b.count == 1, b[0] == 91 || b[0] == 93 { return .skipped(.header) } // lone [ or ]
        if b.count >= 2, b[0] == 123, b[b.count - 1] == 44 { // "{…}," inside a pretty-printed array
            b = EmailJSON.trim(UnsafeBufferPointer(rebasing: b[..<(b.count - 1)]))
        }
        var tape = JSONTape()
        swap(&tape, &self.tape)
        defer { swap(&tape, &self.tape) }
        if let e = JSONLine.parse(b, into: &tape) { return .rejected(.badJSON, e.description) }
        return tape.withDoc(b) { doc in
            switch doc.kind(0) {
            case .object:
                do throws(EmailRejection) {
                    try row(doc, 0, origin: origin, into: &out)
                    return .emitted(1)
                } catch {
                    return .rejected(error.reason, error.detail)
                }
            case .array:
                // Each event stands alone: a bad one is rejected (`rejectEvent`) and the others are
                // kept; only when none is kept is the line itself rejected, for its first bad event.
                // Events are rejected as they are met (the buffer keeps a bounded number of them).
                let count = doc.count(0)
                if count == 0 { return .skipped(.header) }
                func detail(_ i: Int, _ e: EmailRejection) -> String { "element [\(i)] of \(count): \(e.detail)" }
                var made = 0
                var first: (index: Int, rejection: EmailRejection)?
                for (i, item) in doc.items(0).enumerated() {
                    do throws(EmailRejection) {
                        guard doc.kind(item) == .object else { throw EmailRejection(.malformed, "not a JSON object") }
                        try row(doc, item, origin: origin, into: &out)
                        made += 1
                    } catch {
                        if first == nil { first = (i, error) }
                        out.rejectEvent(error.reason, detail(i, error))
                    }
                }
                if made == 0, let first {
                    return .rejected(first.rejection.reason, detail(first.index, first.rejection) + (count > 1 ? " (every element was rejected)" : ""))
                }
                return .emitted(made)
            default:
                return .rejected(.malformed, "not a JSON object or array of objects")
            }
        }
    }

    /// The field path a role reads, for reject details.
    func path(_ role: String) -> String { fields.paths[role] ?? role }

    /// Writes the touchpoint of the event object at node `r`, or throws (writing nothing).
    mutating func row(_ doc: JSONDoc, _ r: Int, origin: Origin, into out: inout TouchpointBuffer) throws(EmailRejection) {
        // Event first: an account event without an email is unknown, not anonymous.
        guard let rawEvent = event.find(in: doc, at: r) else {
            throw EmailRejection(.malformed, "no event (field \"\(path("event"))\")")
        }
        guard let eventName = doc.text(rawEvent) else {
            throw EmailRejection(.malformed, "event is not text (field \"\(path("event"))\")")
        }
        guard let eventIndex = Self.eventIndex(eventName) else {
            throw EmailRejection(.unknownEvent, "unknown event \(JSONText.quoted(doc.string(rawEvent))) (field \"\(path("event"))\")")
        }
        var action = Self.eventNames[eventIndex].1
        // An open SendGrid marks as made by a machine (Apple Mail Privacy Protection …).
        if action == .emailOpen, let m = machineOpen.find(in: doc, at: r), doc.kind(m) == .true { action = .emailMachineOpen }

        guard let rawTime = time.find(in: doc, at: r) else {
            throw EmailRejection(.badTimestamp, "no timestamp (field \"\(path("time"))\")")
        }
        guard let time = TimeField.parse(doc, rawTime, format: options.timeFormat, zone: options.timezone),
              Timestamp.isPlausible(time) else {
            throw EmailRejection(.badTimestamp, "timestamp \(EmailJSON.show(doc.value(rawTime))) is not a time between 1990 and 2100 (field \"\(path("time"))\")")
        }

        let start = out.count
        out.beginRow(time: time, channel: .email, action: action, origin: origin)
        let row = start
        if let c = identity.cleaned(customer.text(in: doc, at: r)) { out.setKey(.customer, c) }

        // A click's URL: path, query, campaign, click id; a customer and email from its parameters.
        var urlEmail = false
        if action == .emailClick, let link = url.text(in: doc, at: r), !link.isEmpty {
            URLParts.apply(link, into: &out, scratch: &scratch)
            var customerFound = out.customer[row] != 0
            keyScratch.removeAll(keepingCapacity: true)
            var customerEnd = 0
            out.forEachExtra(row, query: { name, value in
                if !customerFound, customerParams.contains(name), let v = identity.cleaned(value) {
                    keyScratch.replaceSubrange(0..<customerEnd, with: v)
                    customerEnd = v.count
                    customerFound = true
                }
                if !urlEmail, emailParams.contains(name), let v = identity.cleanedEmail(value) {
                    keyScratch.append(contentsOf: v)
                    urlEmail = true
                }
            }, text: { _ in })
            keyScratch.withUnsafeBufferPointer { k in
                if customerEnd > 0 { out.setKey(.customer, UnsafeBufferPointer(rebasing: k[..<customerEnd])) }
                if urlEmail { out.setEmail(UnsafeBufferPointer(rebasing: k[customerEnd...]), scratch: &scratch) }
            }
        }
        if let raw = email.find(in: doc, at: r) {
            if let e = identity.cleanedEmail(doc.text(raw)) {
                out.setEmail(e, scratch: &scratch)
            } else if !urlEmail {
                out.truncate(to: start)
                throw EmailRejection(.missingIdentity, "email \(EmailJSON.show(doc.value(raw))) is not an address (field \"\(path("email"))\")")
            }
        } else if !urlEmail {
            out.truncate(to: start)
            throw EmailRejection(.missingIdentity, "no email (field \"\(path("email"))\")")
        }

        if out.columns.campaign[row] == 0 {
            if let c = campaign.text(in: doc, at: r)?.trimmingSpaces, !c.isEmpty {
                out.setValue(\.campaign, c)
            } else if let cat = category.find(in: doc, at: r), let c = EmailJSON.firstText(doc, cat) {
                out.setValue(\.campaign, c)
            }
        }

        switch action {
        case .emailBounce, .emailDropped, .emailDeferred:
            if let reason = text.text(in: doc, at: r)?.trimmingSpaces, !reason.isEmpty {
                keyScratch.removeAll(keepingCapacity: true)
                if action == .emailBounce, let kind = bounceType.text(in: doc, at: r)?.trimmingSpaces, !kind.isEmpty {
                    keyScratch.append(contentsOf: kind)
                    keyScratch.append(58) // ": "
                    keyScratch.append(32)
                }
                keyScratch.append(contentsOf: reason)
                keyScratch.withUnsafeBufferPointer { out.setText($0, limit: options.textLimit, scratch: &scratch) }
            }
        case .emailOpen, .emailMachineOpen, .emailClick:
            if let ua = userAgent.text(in: doc, at: r), !ua.isEmpty {
                out.setNumbers(device: agents.classify(bytes: ua, hash: StringTable.hash(ua)).device)
            }
        default: break
        }

        if let eid = eventID.text(in: doc, at: r)?.trimmingSpaces, !eid.isEmpty {
            out.setValue(\.eventID, eid)
        } else if let mid = messageID.text(in: doc, at: r)?.trimmingSpaces, !mid.isEmpty {
            let repeats = action == .emailOpen || action == .emailMachineOpen || action == .emailClick || action == .emailDeferred
            scratch.removeAll(keepingCapacity: true)
            scratch.append(contentsOf: mid)
            scratch.append(58)
            scratch.append(contentsOf: Self.eventNameBytes[eventIndex])
            if repeats { scratch.append(58); scratch.appendDecimal(time) }
            scratch.withUnsafeBufferPointer { out.setValue(\.eventID, $0) }
        }
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

    /// The text of node `i` trimmed, or nil when absent, not text or nothing is left.
    static func nonEmpty(_ doc: JSONDoc, _ i: Int?) -> UnsafeBufferPointer<UInt8>? {
        guard let t = i.flatMap(doc.text)?.trimmingSpaces, !t.isEmpty else { return nil }
        return t
    }

    /// A string's text trimmed, or an array's first non-empty string element (node `i` of a parsed line).
    static func firstText(_ doc: JSONDoc, _ i: Int) -> UnsafeBufferPointer<UInt8>? {
        switch doc.kind(i) {
        case .string: return nonEmpty(doc, i)
        case .array:
            for item in doc.items(i) where doc.kind(item) == .string {
                if let t = nonEmpty(doc, item) { return t }
            }
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
