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
///   `mail.timestamp` (ISO-8601 with milliseconds), else, for an event in an SNS notification,
///   the envelope's `Timestamp`.
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
    let identity: IdentityBytes
    let customerParams: ByteNames
    /// The `mail.tags` names of `identity.customer_fields`.
    let customerTags: [JSONKey]
    var agents = UserAgentCache()
    /// The parsed line, an SNS notification's parsed message, the line's recipients (lower-cased,
    /// one after another) and byte buffers: all reused, so a line allocates nothing once warm.
    var tape = JSONTape()
    var message = JSONTape()
    var recipients: [(end: Int, entry: Int?)] = []
    var addresses: [UInt8] = []
    var scratch: [UInt8] = []
    var textScratch: [UInt8] = []

    public init(options: ReaderOptions = ReaderOptions()) throws(ConfigError) {
        if let role = options.fields.keys.sorted().first {
            throw ConfigError("fields.\(role)", "the ses reader reads SES's fixed record shape and takes no field map")
        }
        self.options = options
        identity = IdentityBytes(options.identity)
        customerParams = ByteNames(options.identity.customerParams)
        customerTags = options.identity.customerFields.map(JSONKey.init)
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

    /// `events` and `ignoredTypes` for lookups by bytes (every name is ASCII, so bytes compare as strings do).
    struct Spec {
        var name: [UInt8]
        var lowerName: [UInt8]
        var action: Action
        var objectKey: String
        var object: JSONKey
        var recipients: Recipients
        var list: JSONKey?
    }
    static let specs: [Spec] = events.map { name, spec in
        var list: String?
        switch spec.2 {
        case .strings(let k), .objects(let k): list = k
        case .destination: break
        }
        return Spec(name: Array(name.utf8), lowerName: Array(name.lowercased().utf8), action: spec.0, objectKey: spec.1,
                    object: JSONKey(spec.1), recipients: spec.2, list: list.map(JSONKey.init))
    }
    static let ignored: [[UInt8]] = ignoredTypes.map { Array($0.utf8) }

    /// The keys the reader looks up.
    enum Key {
        static let type = JSONKey("Type"), message = JSONKey("Message"), eventType = JSONKey("eventType")
        static let snsTimestamp = JSONKey("Timestamp")
        static let notificationType = JSONKey("notificationType"), mail = JSONKey("mail"), timestamp = JSONKey("timestamp")
        static let emailAddress = JSONKey("emailAddress"), destination = JSONKey("destination"), tags = JSONKey("tags")
        static let link = JSONKey("link"), linkTags = JSONKey("linkTags"), campaign = JSONKey("campaign")
        static let utmCampaign = JSONKey("utm_campaign"), userAgent = JSONKey("userAgent"), messageId = JSONKey("messageId")
        static let diagnosticCode = JSONKey("diagnosticCode"), bounceType = JSONKey("bounceType")
        static let bounceSubType = JSONKey("bounceSubType"), delayType = JSONKey("delayType"), reason = JSONKey("reason")
        static let complaintFeedbackType = JSONKey("complaintFeedbackType")
    }

    static func equal(_ b: UnsafeBufferPointer<UInt8>, _ s: StaticString) -> Bool {
        JSONDoc.equal(b, UnsafeBufferPointer(start: s.utf8Start, count: s.utf8CodeUnitCount))
    }

    public mutating func read(_ line: UnsafeBufferPointer<UInt8>, origin: Origin, into out: inout TouchpointBuffer) -> LineVerdict {
        var tape = JSONTape(), message = JSONTape()
        swap(&tape, &self.tape)
        swap(&message, &self.message)
        defer { swap(&tape, &self.tape); swap(&message, &self.message) }
        if let e = JSONLine.parse(line, into: &tape) { return .rejected(.badJSON, e.description) }
        return tape.withDoc(line) { doc in
            guard doc.kind(0) == .object else { return .rejected(.malformed, "not a JSON object") }
            // SNS envelope.
            guard let snsType = doc.member(0, Key.type) else { return read(doc, origin: origin, into: &out) }
            guard doc.kind(snsType) == .string else { return .rejected(.malformed, "SNS \"Type\" is not text") }
            let kind = doc.bytes(snsType)
            if Self.equal(kind, "Notification") {
                guard let m = doc.member(0, Key.message) else { return .rejected(.malformed, "SNS notification without \"Message\"") }
                guard doc.kind(m) == .string else { return .rejected(.malformed, "SNS \"Message\" is not a JSON string") }
                let text = doc.bytes(m)
                // The envelope's own time, for an event that has none.
                let envelopeTime = doc.member(0, Key.snsTimestamp).flatMap {
                    TimeField.parse(doc, $0, format: "iso8601")
                }.flatMap { Timestamp.isPlausible($0) ? $0 : nil }
                if let e = JSONLine.parse(text, into: &message) { return .rejected(.badJSON, "SNS \"Message\": \(e.description)") }
                return message.withDoc(text) { inner in
                    guard inner.kind(0) == .object else { return .rejected(.malformed, "SNS \"Message\" is not a JSON object") }
                    return read(inner, origin: origin, envelopeTime: envelopeTime, into: &out)
                }
            }
            if Self.equal(kind, "SubscriptionConfirmation") || Self.equal(kind, "UnsubscribeConfirmation") { return .skipped(.ignored) }
            return .rejected(.unknownEvent, "unknown SNS message type \(JSONText.quoted(doc.string(snsType))) (field \"Type\")")
        }
    }

    /// Reads the SES record at the root of `doc`; `envelopeTime`: the SNS envelope's `Timestamp`,
    /// when the record came in one.
    mutating func read(_ doc: JSONDoc, origin: Origin, envelopeTime: Int64? = nil, into out: inout TouchpointBuffer) -> LineVerdict {
        let typeKey = doc.member(0, Key.eventType) != nil ? Key.eventType : Key.notificationType
        let typeField = typeKey == Key.eventType ? "eventType" : "notificationType"
        guard let typeValue = doc.member(0, typeKey) else {
            return .rejected(.malformed, "no \"eventType\" or \"notificationType\"")
        }
        guard doc.kind(typeValue) == .string else {
            return .rejected(.malformed, "\"\(typeField)\" is not text")
        }
        let eventType = doc.bytes(typeValue)
        if Self.ignored.contains(where: { n in n.withUnsafeBufferPointer { JSONDoc.equal(eventType, $0) } }) { return .skipped(.ignored) }
        guard let spec = Self.specs.first(where: { s in s.name.withUnsafeBufferPointer { JSONDoc.equal(eventType, $0) } }) else {
            return .rejected(.unknownEvent, "unknown event \(JSONText.quoted(doc.string(typeValue))) (field \"\(typeField)\")")
        }
        var action = spec.action
        guard let mail = doc.member(0, Key.mail), doc.kind(mail) == .object else {
            return .rejected(.malformed, "no \"mail\" object")
        }
        let event = doc.member(0, spec.object)
        func member(_ key: JSONKey) -> Int? { event.flatMap { doc.member($0, key) } }

        // Time: the event's own timestamp, else the mail's, else the SNS envelope's `Timestamp`.
        let time: Int64
        if let (rawTime, timeField) = member(Key.timestamp).flatMap({ doc.kind($0) != .null ? ($0, spec.objectKey + ".timestamp") : nil })
            ?? doc.member(mail, Key.timestamp).flatMap({ doc.kind($0) != .null ? ($0, "mail.timestamp") : nil }) {
            guard let t = TimeField.parse(doc, rawTime, format: options.timeFormat, zone: options.timezone),
                  Timestamp.isPlausible(t) else {
                return .rejected(.badTimestamp, "timestamp \(EmailJSON.show(doc.value(rawTime))) is not a time between 1990 and 2100 (field \"\(timeField)\")")
            }
            time = t
        } else if let envelopeTime {
            time = envelopeTime
        } else {
            return .rejected(.badTimestamp, "no timestamp (fields \"\(spec.objectKey).timestamp\", \"mail.timestamp\", SNS \"Timestamp\")")
        }

        if action == .emailUnsubscribe {
            switch SESEventReader.subscriptionChange(event.map(doc.value)) {
            case .optedOut: break
            case .optedIn: action = .emailResubscribe
            case .none: return .skipped(.ignored)
            }
        }

        // Recipients, each with its own entry (for per-recipient diagnostics), lower-cased in `addresses`.
        recipients.removeAll(keepingCapacity: true)
        addresses.removeAll(keepingCapacity: true)
        var listFound = false
        if let list = spec.list, let items = member(list), doc.kind(items) == .array {
            listFound = true
            for item in doc.items(items) {
                if case .objects = spec.recipients {
                    add(doc.member(item, Key.emailAddress).flatMap(doc.text), entry: item)
                } else {
                    add(doc.text(item), entry: nil)
                }
            }
        }
        if recipients.isEmpty, let items = doc.member(mail, Key.destination), doc.kind(items) == .array {
            for item in doc.items(items) { add(doc.text(item), entry: nil) }
        }
        guard !recipients.isEmpty else {
            var field = "mail.destination"
            if let list = spec.list, listFound {
                var objects = false
                if case .objects = spec.recipients { objects = true }
                field = "\(spec.objectKey).\(String(decoding: list.bytes, as: UTF8.self))" + (objects ? "[].emailAddress" : "")
                field += "\", \"mail.destination"
            }
            return .rejected(.missingIdentity, "no recipient email address (field \"\(field)\")")
        }

        // What all recipients share.
        let tags = doc.member(mail, Key.tags)
        var customer: UnsafeBufferPointer<UInt8>?
        if let tags {
            for name in customerTags {
                if let v = identity.cleaned(doc.member(tags, name).flatMap { EmailJSON.firstText(doc, $0) }) { customer = v; break }
            }
        }
        let link = action == .emailClick ? nonEmptyText(member(Key.link), doc) : nil
        var device = DeviceClass.unknown
        if action == .emailOpen || action == .emailClick, let ua = member(Key.userAgent).flatMap(doc.text), !ua.isEmpty {
            device = agents.classify(bytes: ua, hash: StringTable.hash(ua)).device
        }
        let repeats = action == .emailOpen || action == .emailClick || action == .emailDeferred || spec.objectKey == "subscription"
        let messageID = EmailJSON.nonEmpty(doc, doc.member(mail, Key.messageId))

        var start = 0
        for (end, entry) in recipients {
            defer { start = end }
            out.beginRow(time: time, channel: .email, action: action, origin: origin)
            let row = out.count - 1
            if let customer { out.setKey(.customer, customer) }
            if let link {
                URLParts.apply(link, into: &out, scratch: &scratch)
                if customer == nil {
                    scratch.removeAll(keepingCapacity: true)
                    var found = false
                    out.forEachExtra(row, query: { name, value in
                        if !found, customerParams.contains(name), let v = identity.cleaned(value) { scratch.append(contentsOf: v); found = true }
                    }, text: { _ in })
                    if found { scratch.withUnsafeBufferPointer { out.setKey(.customer, $0) } }
                }
            }
            if out.columns.campaign[row] == 0, let c = campaignTag(member(Key.linkTags), doc) ?? campaignTag(tags, doc) {
                out.setValue(\.campaign, c)
            }
            out.setNumbers(device: device)
            if text(action, event: event, recipient: entry, doc) {
                textScratch.withUnsafeBufferPointer { out.setText($0, limit: options.textLimit, scratch: &scratch) }
            }
            addresses.withUnsafeBufferPointer { a in
                let email = UnsafeBufferPointer(rebasing: a[start..<end])
                out.setKey(.email, email)
                if let messageID {
                    scratch.removeAll(keepingCapacity: true)
                    scratch.append(contentsOf: messageID)
                    scratch.append(58)
                    scratch.append(contentsOf: spec.lowerName)
                    scratch.append(58)
                    scratch.append(contentsOf: email)
                    if repeats { scratch.append(58); scratch.appendDecimal(time) }
                    scratch.withUnsafeBufferPointer { out.setValue(\.eventID, $0) }
                }
            }
        }
        return .emitted(recipients.count)
    }

    /// The `campaign` (else `utm_campaign`) tag of a tag map.
    func campaignTag(_ tags: Int?, _ doc: JSONDoc) -> UnsafeBufferPointer<UInt8>? {
        guard let tags else { return nil }
        return Self.tag(Key.campaign, tags, doc) ?? Self.tag(Key.utmCampaign, tags, doc)
    }

    /// A text as it is (untrimmed), nil when absent or empty.
    func nonEmptyText(_ i: Int?, _ doc: JSONDoc) -> UnsafeBufferPointer<UInt8>? {
        guard let t = i.flatMap(doc.text), !t.isEmpty else { return nil }
        return t
    }

    /// Adds a recipient from `addr` or `Display Name <addr>`, lower-cased, unless it is no
    /// address or already a recipient.
    mutating func add(_ raw: UnsafeBufferPointer<UInt8>?, entry: Int?) {
        guard let raw else { return }
        let from = addresses.count
        if raw.contains(where: { $0 >= 0x80 }) { // `Character`s and Unicode lower-casing: the `String` path
            guard var email = options.identity.cleanEmail(String(decoding: raw, as: UTF8.self)) else { return }
            email.withUTF8 { addresses.append(contentsOf: $0) }
        } else {
            guard let email = identity.cleanedEmail(raw) else { return }
            for c in email { addresses.append(c &- 65 < 26 ? c | 0x20 : c) }
        }
        let new = from..<addresses.count
        var start = 0
        for (end, _) in recipients {
            defer { start = end }
            let old = start..<end
            if addresses[old].elementsEqual(addresses[new])
                || (addresses[old].contains { $0 >= 0x80 } || addresses[new].contains { $0 >= 0x80 })
                && String(decoding: addresses[old], as: UTF8.self) == String(decoding: addresses[new], as: UTF8.self) {
                addresses.removeSubrange(new)
                return
            }
        }
        recipients.append((addresses.count, entry))
    }

    /// The first non-empty value of tag `name` in an SES tag map (`{"name": ["value"]}`; a plain string is accepted too).
    static func tag(_ name: JSONKey, _ tags: Int, _ doc: JSONDoc) -> UnsafeBufferPointer<UInt8>? {
        doc.member(tags, name).flatMap { EmailJSON.firstText(doc, $0) }
    }

    /// Writes the free text of an event for one recipient into `textScratch`; false when there is none.
    mutating func text(_ action: Action, event: Int?, recipient: Int?, _ doc: JSONDoc) -> Bool {
        guard let event else { return false }
        func nonEmpty(_ i: Int?) -> UnsafeBufferPointer<UInt8>? { EmailJSON.nonEmpty(doc, i) }
        let diagnostic = nonEmpty(recipient.flatMap { doc.member($0, Key.diagnosticCode) })
        textScratch.removeAll(keepingCapacity: true)
        switch action {
        case .emailBounce:
            if let t = nonEmpty(doc.member(event, Key.bounceType)) { textScratch.append(contentsOf: t) }
            if let t = nonEmpty(doc.member(event, Key.bounceSubType)) {
                if !textScratch.isEmpty { textScratch.append(47) } // "/"
                textScratch.append(contentsOf: t)
            }
        case .emailDeferred:
            if let t = nonEmpty(doc.member(event, Key.delayType)) { textScratch.append(contentsOf: t) }
        case .emailDropped:
            guard let t = nonEmpty(doc.member(event, Key.reason)) else { return false }
            textScratch.append(contentsOf: t)
            return true
        case .emailComplaint:
            guard let t = nonEmpty(doc.member(event, Key.complaintFeedbackType)) else { return false }
            textScratch.append(contentsOf: t)
            return true
        default:
            return false
        }
        // A bounce or a delay: `kind: diagnostic`, the kind alone, or the diagnostic alone.
        if let diagnostic {
            if !textScratch.isEmpty { textScratch.append(58); textScratch.append(32) } // ": "
            textScratch.append(contentsOf: diagnostic)
        }
        return !textScratch.isEmpty
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
