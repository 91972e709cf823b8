import JourneysCore

/// Reads a live-chat / support event export, one JSON object per line (format `chat`).
///
/// Each record is one chat event: a conversation started, a message by the visitor, an agent or
/// a bot, a rating, a survey answer, or the close. Field names differ between tools, so every
/// field is a `FieldMap` role whose default lists the common names as `|` alternatives; a
/// pipeline's `fields:` overrides a role (Zendesk, Intercom or LiveChat shaped exports).
///
/// Meaning of a record:
/// - `event` (`type|event`, absent = `message`): message / msg / chat.msg / comment / reply;
///   chat_started / started / start / open / opened; rating / rated; survey / nps /
///   survey_response; closed / close / end / ended. Case, `.`, `-` and spaces do not matter
///   (`Chat.Msg` = `chat_msg`). `visitor_message`, `agent_message` / `agent_reply` and
///   `bot_message` carry their author in the name. Anything else is `unknown_event`.
/// - A message's author comes from `role`: visitor / customer / user / contact / end-user /
///   lead / client → `chat_message_visitor`; agent / admin / operator / teammate / staff →
///   `chat_message_agent`; bot / chatbot / system / automation → `chat_message_bot`. A message
///   without a role is `malformed` (guessing would corrupt first-response times); an unknown
///   role is `unknown_event`. Other events ignore the role.
/// - Identity: `visitor` → `keys.chatVisitor`, `email` → `keys.email` (trimmed, lower-cased),
///   `customer` → `keys.customer`; placeholders (`identity.ignore_values`) do not count. A record
///   with none of them is `missing_identity`. A visitor id read from a path under `author`
///   (`author.id`, `author_id`) is the visitor only when the author *is* the visitor: on an
///   agent's or bot's record it is the agent's id and is ignored, so agents never join the
///   people they talk to into one person. The `agent` role (no default) extends this to any
///   path: on an agent's or bot's record, a visitor, email or customer value equal to one of
///   its values (`|` alternatives, all read) is no key, and the visitor's next alternative is
///   tried (`visitor: data.user.user_id|data.session_id`, `agent: data.user.user_id`).
/// - `rating` (rating events → `score`): a number 1–5, or a word mapped onto that five-point
///   scale: terrible / awful / horrible / very bad → 1; bad / poor / negative / unsatisfied /
///   dissatisfied / thumbs down → 2; ok / okay / neutral / average / fair → 3; good / positive /
///   satisfied / thumbs up → 4; great / excellent / awesome / amazing / perfect / very good → 5.
///   A leading `rated ` is dropped (`rated good`). So a good / bad tool keeps CSAT (4–5 =
///   satisfied) meaningful. Anything else, or no rating, is `malformed`; a number outside 1–5
///   is `out_of_range`.
/// - `score` (survey events → `score`): a number 0–10 (NPS); outside 0–10 it is `out_of_range`,
///   anything else `malformed`.
/// - `text` on any event (a message, a rating's comment), cut to `text_limit` bytes.
/// - `url`: the page the chat was on → path, query, campaign and click id.
public struct ChatEventReader: LogReader {
    public static let format = "chat"

    /// Roles and their default paths (`|` separates alternatives, the first present wins).
    public static let defaultFields: [String: String] = [
        "time": "timestamp|created_at|time",
        "conversation": "conversation_id|session_id|chat_id",
        "visitor": "visitor_id|visitor.id|author.id",
        "email": "visitor_email|visitor.email|email",
        "customer": "customer_id|user_id|external_id",
        "role": "author_role|author.type|role",
        "event": "type|event",
        "text": "message|text|body",
        "rating": "rating",
        "score": "survey_score|nps|score",
        "event_id": "id|event_id",
        "url": "page_url|url",
        "agent": "",
    ]

    public static let descriptor = ReaderDescriptor(
        name: format, channel: "chat",
        summary: "live-chat / support event export, one JSON object per line (message, agent reply, bot, rating, survey, close)",
        options: "fields (role: JSON path, `|` alternatives): "
            + defaultFields.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", ")
            + "; time_format (auto); timezone (UTC); text_limit (500); identity.ignore_values",
        make: { (o: ReaderOptions) throws(ConfigError) -> any LogReader in try ChatEventReader(options: o) },
        sniff: { line in ChatEventReader.sniff(line) })

    /// A JSON object that names a conversation and a visitor or author.
    public static func sniff(_ line: UnsafeBufferPointer<UInt8>) -> Bool {
        guard JSONLine.looksLikeJSON(line) else { return false }
        guard JSONLine.mentions(line, "conversation_id") || JSONLine.mentions(line, "chat_id") else { return false }
        return JSONLine.mentions(line, "visitor_id") || JSONLine.mentions(line, "author_role")
            || JSONLine.mentions(line, "visitor") || JSONLine.mentions(line, "author")
    }

    let fields: FieldMap
    let options: ReaderOptions
    let identity: IdentityBytes
    /// The visitor role's alternatives, each with whether it lies under the record's author.
    let visitorPaths: [(path: FieldPath, underAuthor: Bool)]
    /// Each alternative of the `agent` role: on an agent's or bot's record, no identity value
    /// equal to one of these is a person's key, whatever field it was read from.
    let agentPaths: [FieldPath]
    /// Each role's path (`fields`), ready for lookups.
    let time, conversation, email, customer, role, event, text, rating, score, eventID, url: FieldPath
    /// The parsed line and a reusable byte buffer (no allocation per line once warm).
    var tape = JSONTape()
    var scratch: [UInt8] = []

    /// - Throws: `ConfigError` for an unknown role in `fields` or an unknown `time_format`.
    public init(options: ReaderOptions = ReaderOptions()) throws(ConfigError) {
        let fields = try FieldMap(defaults: Self.defaultFields, overrides: options.fields, reader: Self.format)
        guard TimeField.formats.contains(options.timeFormat) else {
            throw ConfigError("time_format", "unknown time format \"\(options.timeFormat)\"; known: \(TimeField.formats.joined(separator: ", "))")
        }
        guard let time = fields.paths["time"], !time.isEmpty else {
            throw ConfigError("fields.time", "the chat reader needs a time field")
        }
        self.fields = fields
        self.options = options
        identity = IdentityBytes(options.identity)
        visitorPaths = (fields.paths["visitor"] ?? "").split(separator: "|").map { alt in
            let p = String(alt)
            return (FieldPath(p), p.hasPrefix("author.") || p.hasPrefix("author_"))
        }
        agentPaths = (fields.paths["agent"] ?? "").split(separator: "|").map { FieldPath(String($0)) }
        (self.time, conversation, email, customer, role, event) = (fields.path("time"), fields.path("conversation"), fields.path("email"),
                                                                  fields.path("customer"), fields.path("role"), fields.path("event"))
        (text, rating, score, eventID, url) = (fields.path("text"), fields.path("rating"), fields.path("score"), fields.path("event_id"), fields.path("url"))
    }

    /// The field path(s) of a role, for reject details.
    func field(_ role: String) -> String { fields.paths[role] ?? role }

    enum Event { case message(Action?), started, rating, survey, closed }

    /// Calls `body` with the text trimmed, lower-cased (ASCII) and with `.`, `-` and spaces as `_`.
    static func normalized<R>(_ s: UnsafeBufferPointer<UInt8>, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        let t = s.trimmingSpaces
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: t.count) { n in
            for i in 0..<t.count {
                switch t[i] {
                case 65...90: n[i] = t[i] | 0x20
                case 46, 45, 32: n[i] = 95
                default: n[i] = t[i]
                }
            }
            return body(UnsafeBufferPointer(n))
        }
    }

    /// Looks up a normalized name in a table of names.
    static func lookup<T>(_ name: UnsafeBufferPointer<UInt8>, _ table: [([UInt8], T)]) -> T? {
        for (n, v) in table where n.count == name.count && n.elementsEqual(name) { return v }
        return nil
    }

    static func table<T>(_ entries: [([String], T)]) -> [([UInt8], T)] {
        entries.flatMap { names, v in names.map { (Array($0.utf8), v) } }
    }

    static let events: [([UInt8], Event)] = table([
        (["message", "msg", "chat_msg", "chat_message", "comment", "reply"], .message(nil)),
        (["visitor_message", "chat_message_visitor"], .message(.chatMessageVisitor)),
        (["agent_message", "agent_reply", "chat_message_agent"], .message(.chatMessageAgent)),
        (["bot_message", "chat_message_bot"], .message(.chatMessageBot)),
        (["chat_started", "started", "start", "open", "opened", "chat_start", "conversation_started"], .started),
        (["rating", "rated", "chat_rating", "chat_rated"], .rating),
        (["survey", "nps", "chat_survey", "survey_response"], .survey),
        (["closed", "close", "end", "ended", "chat_closed", "chat_ended", "conversation_closed"], .closed),
    ])

    static func event(_ name: UnsafeBufferPointer<UInt8>) -> Event? {
        normalized(name) { lookup($0, events) }
    }

    static let roles: [([UInt8], Action)] = table([
        (["visitor", "customer", "user", "contact", "end_user", "enduser", "lead", "client"], .chatMessageVisitor),
        (["agent", "admin", "operator", "teammate", "staff"], .chatMessageAgent),
        (["bot", "chatbot", "system", "automation"], .chatMessageBot),
    ])

    static func messageAction(role: UnsafeBufferPointer<UInt8>) -> Action? {
        normalized(role) { lookup($0, roles) }
    }

    static let ratingWords: [([UInt8], Double)] = table([
        (["terrible", "awful", "horrible", "very_bad", "very_poor", "very_dissatisfied", "very_unsatisfied"], 1),
        (["bad", "poor", "negative", "unsatisfied", "dissatisfied", "thumbs_down"], 2),
        (["ok", "okay", "neutral", "average", "fair"], 3),
        (["good", "positive", "satisfied", "thumbs_up"], 4),
        (["great", "excellent", "awesome", "amazing", "perfect", "very_good", "very_satisfied"], 5),
    ])
    static let ratedPrefix: [UInt8] = Array("rated_".utf8)

    /// A rating as a number (a rating word on the 1–5 scale, see the type's documentation), or
    /// nil; the caller range-checks it.
    static func rating(_ doc: JSONDoc, _ i: Int) -> Double? {
        if let d = doc.double(i) { return d.isNaN ? nil : d }
        guard let s = doc.text(i) else { return nil }
        return normalized(s) { word in
            var w = word
            if w.starts(with: ratedPrefix) { w = UnsafeBufferPointer(rebasing: w[ratedPrefix.count...]) }
            return lookup(w, ratingWords)
        }
    }

    /// Shows a value in a reject detail.
    static func show(_ v: JSONValue) -> String {
        switch v {
        case .string(let s): "\"\(JSONLine.cut(s, 40))\""
        case .number(let n): n
        case .bool(let b): b ? "true" : "false"
        case .null: "null"
        case .array: "an array"
        case .object: "an object"
        }
    }

    public mutating func read(_ line: UnsafeBufferPointer<UInt8>, origin: Origin, into out: inout TouchpointBuffer) -> LineVerdict {
        var tape = JSONTape()
        swap(&tape, &self.tape)
        defer { swap(&tape, &self.tape) }
        if let e = JSONLine.parse(line, into: &tape) { return .rejected(.badJSON, e.description) }
        return tape.withDoc(line) { read($0, origin: origin, into: &out) }
    }

    mutating func read(_ doc: JSONDoc, origin: Origin, into out: inout TouchpointBuffer) -> LineVerdict {
        guard doc.kind(0) == .object else { return .rejected(.badJSON, "the line is JSON but not an object") }
        func show(_ i: Int) -> String { Self.show(doc.value(i)) }

        // What happened.
        let event: Event
        if let raw = self.event.find(in: doc) {
            guard let name = doc.text(raw), let e = Self.event(name) else {
                return .rejected(.unknownEvent, "event \(show(raw)) (field \(field("event"))) is not a chat event")
            }
            event = e
        } else {
            event = .message(nil)
        }
        let action: Action
        var agentSide = false
        switch event {
        case .message(let known):
            if let known {
                action = known
            } else {
                guard let rawRole = role.find(in: doc) else {
                    return .rejected(.malformed, "message without an author role (field \(field("role")))")
                }
                guard let role = doc.text(rawRole), let a = Self.messageAction(role: role) else {
                    return .rejected(.unknownEvent, "author role \(show(rawRole)) (field \(field("role"))) is not a visitor, agent or bot role")
                }
                action = a
            }
            agentSide = action != .chatMessageVisitor
        case .started: action = .chatStarted
        case .rating: action = .chatRating
        case .survey: action = .chatSurvey
        case .closed: action = .chatClosed
        }
        if !agentSide, let role = role.text(in: doc), let a = Self.messageAction(role: role) {
            agentSide = a != .chatMessageVisitor
        }

        // When.
        guard let rawTime = time.find(in: doc) else {
            return .rejected(.badTimestamp, "no time (field \(field("time")))")
        }
        guard let time = TimeField.parse(doc, rawTime, format: options.timeFormat, zone: options.timezone) else {
            return .rejected(.badTimestamp, "time \(show(rawTime)) (field \(field("time"))) is not a \(options.timeFormat == "auto" ? "known time format" : options.timeFormat + " time")")
        }
        guard Timestamp.isPlausible(time) else {
            return .rejected(.badTimestamp, "time \(show(rawTime)) (field \(field("time"))) is out of range (\(Timestamp.iso(time)))")
        }

        // Who.
        /// True for an agent's or bot's own id on their record (the `agent` role's values).
        func isAgent(_ v: UnsafeBufferPointer<UInt8>?) -> Bool {
            guard agentSide, let t = v?.trimmingSpaces, !t.isEmpty else { return false }
            return agentPaths.contains { p in p.text(in: doc).map { JSONDoc.equal($0.trimmingSpaces, t) } ?? false }
        }
        var visitor: UnsafeBufferPointer<UInt8>?
        for alt in visitorPaths {
            guard let v = alt.path.find(in: doc) else { continue }
            if isAgent(doc.text(v)) { continue } // the agent's id: the next alternative may be the visitor's
            if !(alt.underAuthor && agentSide) { visitor = identity.cleaned(doc.text(v)) }
            break
        }
        let emailText = email.text(in: doc), customerText = customer.text(in: doc)
        let email = isAgent(emailText) ? nil : identity.cleanedEmail(emailText)
        let customer = isAgent(customerText) ? nil : identity.cleaned(customerText)
        guard visitor != nil || email != nil || customer != nil else {
            return .rejected(.missingIdentity, "no visitor, email or customer (fields \(field("visitor")); \(field("email")); \(field("customer")))")
        }

        var score: Double?
        switch event {
        case .rating:
            guard let raw = rating.find(in: doc) else {
                return .rejected(.malformed, "rating event without a rating (field \(field("rating")))")
            }
            guard let r = Self.rating(doc, raw) else {
                return .rejected(.malformed, "rating \(show(raw)) (field \(field("rating"))) is not a number or a rating word")
            }
            guard NumberRange.rating.contains(r) else {
                return .rejected(.outOfRange, NumberRange.outside("rating", show(raw), NumberRange.rating, at: "field \(field("rating"))"))
            }
            score = r
        case .survey:
            guard let raw = self.score.find(in: doc) else {
                return .rejected(.malformed, "survey event without a score (field \(field("score")))")
            }
            guard let s = doc.double(raw), !s.isNaN else {
                return .rejected(.malformed, "survey score \(show(raw)) (field \(field("score"))) is not a number")
            }
            guard NumberRange.survey.contains(s) else {
                return .rejected(.outOfRange, NumberRange.outside("survey score", show(raw), NumberRange.survey, at: "field \(field("score"))"))
            }
            score = s
        default: break
        }

        out.beginRow(time: time, channel: .chat, action: action, origin: origin)
        if let visitor { out.setKey(.chatVisitor, visitor) }
        if let email { out.setEmail(email, scratch: &scratch) }
        if let customer { out.setKey(.customer, customer) }
        if let score { out.setNumbers(score: score) }
        if let text = text.text(in: doc), !text.isEmpty { out.setText(text, limit: options.textLimit, scratch: &scratch) }
        if let c = conversation.text(in: doc)?.trimmingSpaces, !c.isEmpty { out.setValue(\.conversation, c) }
        if let e = eventID.text(in: doc)?.trimmingSpaces, !e.isEmpty { out.setValue(\.eventID, e) }
        if let u = url.text(in: doc)?.trimmingSpaces, !u.isEmpty, !(u.count == 1 && u[0] == 45) { // "-"
            URLParts.apply(u, into: &out, scratch: &scratch)
        }
        return .emitted(1)
    }
}
