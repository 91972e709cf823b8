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
///   people they talk to into one person.
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
    /// The visitor role's alternatives, each with whether it lies under the record's author.
    let visitorPaths: [(path: String, underAuthor: Bool)]

    /// - Throws: `ConfigError` for an unknown role in `fields` or an unknown `time_format`.
    public init(options: ReaderOptions = ReaderOptions()) throws(ConfigError) {
        fields = try FieldMap(defaults: Self.defaultFields, overrides: options.fields, reader: Self.format)
        guard TimeField.formats.contains(options.timeFormat) else {
            throw ConfigError("time_format", "unknown time format \"\(options.timeFormat)\"; known: \(TimeField.formats.joined(separator: ", "))")
        }
        guard let time = fields.paths["time"], !time.isEmpty else {
            throw ConfigError("fields.time", "the chat reader needs a time field")
        }
        self.options = options
        visitorPaths = (fields.paths["visitor"] ?? "").split(separator: "|").map { alt in
            let p = String(alt)
            return (p, p.hasPrefix("author.") || p.hasPrefix("author_"))
        }
    }

    /// The field path(s) of a role, for reject details.
    func field(_ role: String) -> String { fields.paths[role] ?? role }

    enum Event { case message(Action?), started, rating, survey, closed }

    /// Lower-cases and turns `.`, `-` and spaces into `_`.
    static func normalized(_ s: String) -> String {
        var bytes = Array(s.trimmingSpaces.utf8)
        for i in bytes.indices {
            switch bytes[i] {
            case 65...90: bytes[i] |= 0x20
            case 46, 45, 32: bytes[i] = 95
            default: break
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    static func event(_ name: String) -> Event? {
        switch normalized(name) {
        case "message", "msg", "chat_msg", "chat_message", "comment", "reply": .message(nil)
        case "visitor_message", "chat_message_visitor": .message(.chatMessageVisitor)
        case "agent_message", "agent_reply", "chat_message_agent": .message(.chatMessageAgent)
        case "bot_message", "chat_message_bot": .message(.chatMessageBot)
        case "chat_started", "started", "start", "open", "opened", "chat_start", "conversation_started": .started
        case "rating", "rated", "chat_rating", "chat_rated": .rating
        case "survey", "nps", "chat_survey", "survey_response": .survey
        case "closed", "close", "end", "ended", "chat_closed", "chat_ended", "conversation_closed": .closed
        default: nil
        }
    }

    static func messageAction(role: String) -> Action? {
        switch normalized(role) {
        case "visitor", "customer", "user", "contact", "end_user", "enduser", "lead", "client": .chatMessageVisitor
        case "agent", "admin", "operator", "teammate", "staff": .chatMessageAgent
        case "bot", "chatbot", "system", "automation": .chatMessageBot
        default: nil
        }
    }

    /// A rating as a number (a rating word on the 1–5 scale, see the type's documentation), or
    /// nil; the caller range-checks it.
    static func rating(_ v: JSONValue) -> Double? {
        if let d = v.double { return d.isNaN ? nil : d }
        guard let s = v.text else { return nil }
        var word = normalized(s)
        if word.hasPrefix("rated_") { word.removeFirst(6) }
        switch word {
        case "terrible", "awful", "horrible", "very_bad", "very_poor", "very_dissatisfied", "very_unsatisfied": return 1
        case "bad", "poor", "negative", "unsatisfied", "dissatisfied", "thumbs_down": return 2
        case "ok", "okay", "neutral", "average", "fair": return 3
        case "good", "positive", "satisfied", "thumbs_up": return 4
        case "great", "excellent", "awesome", "amazing", "perfect", "very_good", "very_satisfied": return 5
        default: return nil
        }
    }

    /// The text trimmed, or nil when empty.
    static func nonEmpty(_ s: String?) -> String? {
        guard let t = s?.trimmingSpaces, !t.isEmpty else { return nil }
        return t
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
        let record: JSONValue
        switch JSONLine.parse(line) {
        case .success(let v): record = v
        case .failure(let e): return .rejected(.badJSON, e.description)
        }
        guard case .object = record else { return .rejected(.badJSON, "the line is JSON but not an object") }

        // What happened.
        let event: Event
        if let raw = fields.value("event", in: record) {
            guard let name = raw.text, let e = Self.event(name) else {
                return .rejected(.unknownEvent, "event \(Self.show(raw)) (field \(field("event"))) is not a chat event")
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
                guard let rawRole = fields.value("role", in: record) else {
                    return .rejected(.malformed, "message without an author role (field \(field("role")))")
                }
                guard let role = rawRole.text, let a = Self.messageAction(role: role) else {
                    return .rejected(.unknownEvent, "author role \(Self.show(rawRole)) (field \(field("role"))) is not a visitor, agent or bot role")
                }
                action = a
            }
            agentSide = action != .chatMessageVisitor
        case .started: action = .chatStarted
        case .rating: action = .chatRating
        case .survey: action = .chatSurvey
        case .closed: action = .chatClosed
        }
        if !agentSide, let role = fields.text("role", in: record), let a = Self.messageAction(role: role) {
            agentSide = a != .chatMessageVisitor
        }

        // When.
        guard let rawTime = fields.value("time", in: record) else {
            return .rejected(.badTimestamp, "no time (field \(field("time")))")
        }
        guard let time = TimeField.parse(rawTime, format: options.timeFormat, offset: options.timezoneOffset) else {
            return .rejected(.badTimestamp, "time \(Self.show(rawTime)) (field \(field("time"))) is not a \(options.timeFormat == "auto" ? "known time format" : options.timeFormat + " time")")
        }
        guard Timestamp.isPlausible(time) else {
            return .rejected(.badTimestamp, "time \(Self.show(rawTime)) (field \(field("time"))) is out of range (\(Timestamp.iso(time)))")
        }

        // Who.
        var keys = IdentityKeys()
        for alt in visitorPaths {
            guard let v = record.at(path: alt.path), v != .null else { continue }
            if !(alt.underAuthor && agentSide) { keys.chatVisitor = options.identity.clean(v.text) }
            break
        }
        keys.email = options.identity.cleanEmail(fields.text("email", in: record))
        keys.customer = options.identity.clean(fields.text("customer", in: record))
        guard !keys.isEmpty else {
            return .rejected(.missingIdentity, "no visitor, email or customer (fields \(field("visitor")); \(field("email")); \(field("customer")))")
        }

        var t = Touchpoint(time: time, channel: .chat, action: action, keys: keys, origin: origin)
        switch event {
        case .rating:
            guard let raw = fields.value("rating", in: record) else {
                return .rejected(.malformed, "rating event without a rating (field \(field("rating")))")
            }
            guard let r = Self.rating(raw) else {
                return .rejected(.malformed, "rating \(Self.show(raw)) (field \(field("rating"))) is not a number or a rating word")
            }
            guard NumberRange.rating.contains(r) else {
                return .rejected(.outOfRange, NumberRange.outside("rating", Self.show(raw), NumberRange.rating, at: "field \(field("rating"))"))
            }
            t.score = r
        case .survey:
            guard let raw = fields.value("score", in: record) else {
                return .rejected(.malformed, "survey event without a score (field \(field("score")))")
            }
            guard let s = raw.double, !s.isNaN else {
                return .rejected(.malformed, "survey score \(Self.show(raw)) (field \(field("score"))) is not a number")
            }
            guard NumberRange.survey.contains(s) else {
                return .rejected(.outOfRange, NumberRange.outside("survey score", Self.show(raw), NumberRange.survey, at: "field \(field("score"))"))
            }
            t.score = s
        default: break
        }
        if let text = fields.text("text", in: record), !text.isEmpty { t.text = JSONLine.cut(text, options.textLimit) }
        t.conversation = Self.nonEmpty(fields.text("conversation", in: record))
        t.eventID = Self.nonEmpty(fields.text("event_id", in: record))
        if let url = fields.text("url", in: record)?.trimmingSpaces, !url.isEmpty, url != "-" {
            URLParts.apply(url, to: &t)
        }
        out.emit(t)
        return .emitted(1)
    }
}
