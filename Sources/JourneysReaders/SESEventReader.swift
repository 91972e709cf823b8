import JourneysCore

/// Reads Amazon SES email events: one touchpoint per recipient of each event.
///
/// A line is one of:
/// - an event-publishing record as Firehose / Kinesis writes it (`{"eventType":"Open","mail":{…},"open":{…}}`);
/// - an SES feedback notification (`{"notificationType":"Bounce","mail":{…},"bounce":{…}}`);
/// - either of those wrapped by SNS: `{"Type":"Notification","MessageId":…,"Message":"<the event as a JSON string>"}`.
///   SNS `SubscriptionConfirmation` / `UnsubscribeConfirmation` messages are `ignored` skips.
///
/// Event types: `Send` → processed, `Delivery`, `Open`, `Click`, `Bounce`, `Complaint`,
/// `Reject` → dropped, `DeliveryDelay` → deferred, `Subscription` → unsubscribe when the
/// recipient's preferences change to opted out (`newTopicPreferences.unsubscribeAll` turns true,
/// or a topic's status becomes `OptOut`), resubscribe when they change back to opted in, and an
/// `ignored` skip when nothing changed. `Rendering Failure` is an `ignored` skip: the message
/// never left SES because of a template error in the sender's system, so it is nothing the
/// recipient experienced (unlike `Reject`, which is kept as dropped). SES's
/// `AmazonSnsSubscriptionSucceeded` set-up notice is an `ignored` skip too; any other type is
/// `unknown_event`.
///
/// Fields (the record's shape is fixed, so the reader takes no `fields:` map):
/// - Time: the event object's `timestamp` (`open.timestamp`, `bounce.timestamp`, …), else
///   `mail.timestamp` (ISO-8601 with milliseconds).
/// - Recipients: `bounce.bouncedRecipients[].emailAddress`, `complaint.complainedRecipients[].emailAddress`,
///   `delivery.recipients[]`, `deliveryDelay.delayedRecipients[].emailAddress`, else (and for every
///   other event) `mail.destination[]`; `Name <addr>` forms give `addr`; duplicates count once.
///   No usable address is `missing_identity`.
/// - Customer: the first value of the `mail.tags` entry named in `identity.customer_fields`, else
///   (clicks) the link's `identity.customer_params`.
/// - Campaign name: the click link's `utm_campaign`, else the `campaign` or `utm_campaign` tag
///   (`click.linkTags` first, then `mail.tags`). Other campaign fields and the click id come from
///   the link (`URLParts.apply`).
/// - Text (cut to `text_limit`): bounce `bounceType/bounceSubType: diagnosticCode` of that
///   recipient; delay `delayType: diagnosticCode`; reject `reason`; complaint `complaintFeedbackType`.
/// - Device class from `open.userAgent` / `click.userAgent`.
/// - Event id: `mail.messageId:eventtype:recipient` (event type lower-cased), plus `:time-ms` for
///   events that repeat for one message and recipient (open, click, delivery delay,
///   subscription), so a second open is not taken for a duplicate of the first; a redelivered
///   copy of one event keeps its id.
public struct SESEventReader: LogReader {
    public static let format = "ses"
    public static let descriptor = ReaderDescriptor(
        name: format, channel: "email",
        summary: "Amazon SES events (Firehose / Kinesis records, SNS notifications, SNS-wrapped), one touchpoint per recipient",
        options: "time_format (auto, for the ISO-8601 timestamps), timezone (UTC), text_limit (500), identity.customer_fields "
            + "(mail.tags names), identity.customer_params, identity.ignore_values; no fields map",
        make: { (o: ReaderOptions) throws(ConfigError) -> any LogReader in try SESEventReader(options: o) },
        sniff: { SESEventReader.sniff($0) })

    let options: ReaderOptions
    var agents = UserAgentCache()

    public init(options: ReaderOptions = ReaderOptions()) throws(ConfigError) {
        if let role = options.fields.keys.sorted().first {
            throw ConfigError("fields.\(role)", "the ses reader reads SES's fixed record shape and takes no field map")
        }
        self.options = options
    }

    /// True for a JSON line with `eventType` or `notificationType` and `mail`, or an SNS
    /// `Notification` whose escaped `Message` mentions one of them.
    public static func sniff(_ line: UnsafeBufferPointer<UInt8>) -> Bool {
        guard JSONLine.looksLikeJSON(line) else { return false }
        if JSONLine.mentions(line, "eventType") || JSONLine.mentions(line, "notificationType") {
            return JSONLine.mentions(line, "mail")
        }
        guard JSONLine.mentions(line, "Type"), JSONLine.mentions(line, "Message"), JSONLine.mentions(line, "Notification") else { return false }
        return EmailJSON.contains(line, #"eventType\""#) || EmailJSON.contains(line, #"notificationType\""#)
    }

    /// What each event type means: action, the key of its event object, and where its recipients are.
    enum Recipients { case destination, strings(String), objects(String) }
    static let events: [String: (Action, String, Recipients)] = [
        "Send": (.emailProcessed, "send", .destination),
        "Delivery": (.emailDelivered, "delivery", .strings("recipients")),
        "Open": (.emailOpen, "open", .destination),
        "Click": (.emailClick, "click", .destination),
        "Bounce": (.emailBounce, "bounce", .objects("bouncedRecipients")),
        "Complaint": (.emailComplaint, "complaint", .objects("complainedRecipients")),
        "Reject": (.emailDropped, "reject", .destination),
        "DeliveryDelay": (.emailDeferred, "deliveryDelay", .objects("delayedRecipients")),
        "Subscription": (.emailUnsubscribe, "subscription", .destination),
    ]
    static let ignoredTypes: Set<String> = ["Rendering Failure", "RenderingFailure", "AmazonSnsSubscriptionSucceeded"]

    public mutating func read(_ line: UnsafeBufferPointer<UInt8>, origin: Origin, into out: inout TouchpointBuffer) -> LineVerdict {
        var record: JSONValue
        switch JSONLine.parse(line) {
        case .success(let v): record = v
        case .failure(let e): return .rejected(.badJSON, e.description)
        }
        guard case .object = record else { return .rejected(.malformed, "not a JSON object") }

        // SNS envelope.
        if let snsType = record["Type"] {
            guard case .string(let kind) = snsType else { return .rejected(.malformed, "SNS \"Type\" is not text") }
            switch kind {
            case "Notification":
                guard let message = record["Message"] else { return .rejected(.malformed, "SNS notification without \"Message\"") }
                guard case .string(let text) = message else { return .rejected(.malformed, "SNS \"Message\" is not a JSON string") }
                do throws(JSONError) {
                    record = try JSONParser.parse(text)
                } catch {
                    return .rejected(.badJSON, "SNS \"Message\": \(error.description)")
                }
                guard case .object = record else { return .rejected(.malformed, "SNS \"Message\" is not a JSON object") }
            case "SubscriptionConfirmation", "UnsubscribeConfirmation":
                return .skipped(.ignored)
            default:
                return .rejected(.unknownEvent, "unknown SNS message type \(JSONText.quoted(kind)) (field \"Type\")")
            }
        }

        let typeField = record["eventType"] != nil ? "eventType" : "notificationType"
        guard let typeValue = record[typeField] else {
            return .rejected(.malformed, "no \"eventType\" or \"notificationType\"")
        }
        guard case .string(let eventType) = typeValue else {
            return .rejected(.malformed, "\"\(typeField)\" is not text")
        }
        if SESEventReader.ignoredTypes.contains(eventType) { return .skipped(.ignored) }
        guard let spec = SESEventReader.events[eventType] else {
            return .rejected(.unknownEvent, "unknown event \(JSONText.quoted(eventType)) (field \"\(typeField)\")")
        }
        var action = spec.0
        let objectKey = spec.1
        guard let mail = record["mail"], case .object = mail else {
            return .rejected(.malformed, "no \"mail\" object")
        }
        let event = record[objectKey]

        // Time: the event's own timestamp, else the mail's.
        let timeField: String
        let rawTime: JSONValue
        if let v = event?["timestamp"], v != .null {
            (timeField, rawTime) = (objectKey + ".timestamp", v)
        } else if let v = mail["timestamp"], v != .null {
            (timeField, rawTime) = ("mail.timestamp", v)
        } else {
            return .rejected(.badTimestamp, "no timestamp (fields \"\(objectKey).timestamp\", \"mail.timestamp\")")
        }
        guard let time = TimeField.parse(rawTime, format: options.timeFormat, offset: options.timezoneOffset),
              Timestamp.isPlausible(time) else {
            return .rejected(.badTimestamp, "timestamp \(EmailJSON.show(rawTime)) is not a time between 1990 and 2100 (field \"\(timeField)\")")
        }

        if action == .emailUnsubscribe {
            switch SESEventReader.subscriptionChange(event) {
            case .optedOut: break
            case .optedIn: action = .emailResubscribe
            case .none: return .skipped(.ignored)
            }
        }

        // Recipients, each with its own entry (for per-recipient diagnostics).
        var recipients: [(String, JSONValue?)] = []
        let id = options.identity
        func add(_ raw: String?, _ entry: JSONValue?) {
            guard let email = id.cleanEmail(SESEventReader.address(raw)) else { return }
            if !recipients.contains(where: { $0.0 == email }) { recipients.append((email, entry)) }
        }
        var recipientsField = "mail.destination"
        switch spec.2 {
        case .strings(let key):
            if case .array(let items)? = event?[key] {
                for item in items { add(item.text, nil) }
                recipientsField = "\(objectKey).\(key)"
            }
        case .objects(let key):
            if case .array(let items)? = event?[key] {
                for item in items { add(item["emailAddress"]?.text, item) }
                recipientsField = "\(objectKey).\(key)[].emailAddress"
            }
        case .destination: break
        }
        if recipients.isEmpty {
            if case .array(let items)? = mail["destination"] { for item in items { add(item.text, nil) } }
            if recipientsField != "mail.destination" { recipientsField += "\", \"mail.destination" }
        }
        guard !recipients.isEmpty else {
            return .rejected(.missingIdentity, "no recipient email address (field \"\(recipientsField)\")")
        }

        // What all recipients share.
        var t = Touchpoint(time: time, channel: .email, action: action, origin: origin)
        let tags = mail["tags"]
        if let tags {
            for name in id.customerFields {
                if let v = id.clean(SESEventReader.tag(name, in: tags)) { t.keys.customer = v; break }
            }
        }
        if action == .emailClick, let link = event?["link"]?.text, !link.isEmpty {
            URLParts.apply(link, to: &t)
            for p in t.query where t.keys.customer == nil && id.customerParams.contains(p.name) {
                if let v = id.clean(p.value) { t.keys.customer = v }
            }
        }
        if t.campaign.name == nil {
            for source in [event?["linkTags"], tags] {
                guard let source else { continue }
                if let c = SESEventReader.tag("campaign", in: source) ?? SESEventReader.tag("utm_campaign", in: source) {
                    t.campaign.name = c
                    break
                }
            }
        }
        if action == .emailOpen || action == .emailClick, let ua = event?["userAgent"]?.text, !ua.isEmpty {
            t.device = agents.classify(ua).device
        }
        let lowerType = eventType.lowercased()
        let repeats = action == .emailOpen || action == .emailClick || action == .emailDeferred || objectKey == "subscription"
        let messageID = mail["messageId"]?.text.flatMap(EmailJSON.nonEmpty)

        for (email, entry) in recipients {
            var r = t
            r.keys.email = email
            if let text = SESEventReader.text(action, event: event, recipient: entry) {
                r.text = JSONLine.cut(text, options.textLimit)
            }
            if let messageID {
                r.eventID = messageID + ":" + lowerType + ":" + email + (repeats ? ":\(time)" : "")
            }
            out.emit(r)
        }
        return .emitted(recipients.count)
    }

    /// `addr` from `addr` or `Display Name <addr>`.
    static func address(_ raw: String?) -> String? {
        guard let raw else { return nil }
        guard let open = raw.lastIndex(of: "<"), let close = raw.lastIndex(of: ">"), open < close else { return raw }
        return String(raw[raw.index(after: open)..<close])
    }

    /// The first non-empty value of tag `name` in an SES tag map (`{"name": ["value"]}`; a plain string is accepted too).
    static func tag(_ name: String, in tags: JSONValue) -> String? {
        tags[name].flatMap(EmailJSON.firstText)
    }

    /// The free text of an event for one recipient.
    static func text(_ action: Action, event: JSONValue?, recipient: JSONValue?) -> String? {
        guard let event else { return nil }
        let diagnostic = recipient?["diagnosticCode"]?.text.flatMap(EmailJSON.nonEmpty)
        switch action {
        case .emailBounce:
            let kind = [event["bounceType"]?.text, event["bounceSubType"]?.text].compactMap { $0.flatMap(EmailJSON.nonEmpty) }
                .joined(separator: "/")
            if let diagnostic { return kind.isEmpty ? diagnostic : kind + ": " + diagnostic }
            return kind.isEmpty ? nil : kind
        case .emailDeferred:
            let kind = event["delayType"]?.text.flatMap(EmailJSON.nonEmpty)
            if let diagnostic { return kind.map { $0 + ": " + diagnostic } ?? diagnostic }
            return kind
        case .emailDropped:
            return event["reason"]?.text.flatMap(EmailJSON.nonEmpty)
        case .emailComplaint:
            return event["complaintFeedbackType"]?.text.flatMap(EmailJSON.nonEmpty)
        default:
            return nil
        }
    }

    enum SubscriptionChange { case optedOut, optedIn, none }

    /// Whether a `Subscription` event's preferences changed to opted out, back to opted in, or not at all.
    ///
    /// Reads `newTopicPreferences` / `oldTopicPreferences` as SES documents them
    /// (`{"unsubscribeAll": Bool, "topicSubscriptionStatus": [{"topicName", "subscriptionStatus": "OptIn"|"OptOut"}]}`),
    /// and also a bare array of topic statuses; `OPT_OUT` / `OptOut` compare alike.
    static func subscriptionChange(_ subscription: JSONValue?) -> SubscriptionChange {
        guard let subscription else { return .none }
        let new = Preferences(subscription["newTopicPreferences"])
        let old = Preferences(subscription["oldTopicPreferences"])
        if new.unsubscribeAll && !old.unsubscribeAll { return .optedOut }
        for (topic, out) in new.topics where out && old.topics.first(where: { $0.0 == topic })?.1 != true { return .optedOut }
        if old.unsubscribeAll && !new.unsubscribeAll { return .optedIn }
        for (topic, out) in new.topics where !out && old.topics.first(where: { $0.0 == topic })?.1 == true { return .optedIn }
        return .none
    }

    struct Preferences {
        var unsubscribeAll = false
        /// Topic name → opted out.
        var topics: [(String, Bool)] = []

        init(_ v: JSONValue?) {
            guard let v else { return }
            var list: JSONValue? = v
            if case .object = v {
                if case .bool(true)? = v["unsubscribeAll"] { unsubscribeAll = true }
                list = v["topicSubscriptionStatus"]
            }
            guard case .array(let items)? = list else { return }
            for item in items {
                guard let name = item["topicName"]?.text, let status = item["subscriptionStatus"]?.text else { continue }
                let norm = status.lowercased().filter { $0 != "_" }
                topics.append((name, norm == "optout"))
            }
        }
    }
}
