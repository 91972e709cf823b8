import JourneysCore

/// Reads any JSON-lines log through a field map (format `jsonl`).
///
/// Nothing is guessed: `fields:` must map at least `time` and `action` (the reader cannot be
/// made otherwise). A role's path is a field name or a dotted path, with `|` alternatives.
/// Every touchpoint gets the channel `options.channel`. See `GenericRecord` for what each role
/// means and how a record is judged.
public struct GenericJSONReader: LogReader {
    public static let format = "jsonl"

    public static let descriptor = ReaderDescriptor(
        name: format, channel: "any",
        summary: "any JSON-lines log, read through a field map (fields: time and action required)",
        options: "fields (role: JSON path, `|` alternatives; time and action required): "
            + GenericRole.allCases.map(\.name).joined(separator: ", ")
            + "; channel (web); time_format (auto); timezone (UTC); text_limit (500); identity.ignore_values",
        make: { (o: ReaderOptions) throws(ConfigError) -> any LogReader in try GenericJSONReader(options: o) },
        sniff: nil)

    let record: GenericRecord
    /// Each role's alternative paths, indexed by `GenericRole.rawValue` (empty: unmapped).
    let paths: [[String]]

    /// - Throws: `ConfigError` when `fields` is missing, names an unknown role, or leaves time
    ///   or action unmapped, and for an unknown `time_format`.
    public init(options: ReaderOptions) throws(ConfigError) {
        let map = try GenericRecord.fieldMap(options, reader: Self.format, noun: "field")
        record = GenericRecord(options: options, names: map.paths, noun: "field")
        paths = GenericRole.allCases.map { role in
            (map.paths[role.name] ?? "").split(separator: "|").map(String.init)
        }
    }

    public mutating func read(_ line: UnsafeBufferPointer<UInt8>, origin: Origin, into out: inout TouchpointBuffer) -> LineVerdict {
        let json: JSONValue
        switch JSONLine.parse(line) {
        case .success(let v): json = v
        case .failure(let e): return .rejected(.badJSON, e.description)
        }
        guard case .object = json else { return .rejected(.badJSON, "the line is JSON but not an object") }
        let paths = self.paths
        func value(_ role: GenericRole) -> JSONValue? {
            for p in paths[role.rawValue] {
                if let v = json.at(path: p), v != .null { return v }
            }
            return nil
        }
        let options = record.options
        return record.build(
            get: { role in value(role)?.text },
            time: {
                guard let v = value(.time) else { return nil }
                return (TimeField.parse(v, format: options.timeFormat, offset: options.timezoneOffset), v.text ?? "a non-scalar value")
            },
            origin: origin, into: &out)
    }
}

/// The roles the generic `jsonl` and `csv` readers map to fields or columns.
enum GenericRole: Int, CaseIterable, Sendable {
    case time, action, visitor, customer, email, chatVisitor, url, referrer, status, value, currency, score, text
    case eventID, conversation, campaign, source, medium

    /// The role's name in `fields:`.
    var name: String {
        switch self {
        case .chatVisitor: "chat_visitor"
        case .eventID: "event_id"
        default: "\(self)"
        }
    }
}

/// What the generic readers make of one record, once its roles have been looked up.
///
/// - `time` (required): `time_format` / `timezone`; missing or unreadable → `bad_timestamp`.
/// - `action` (required): the value is the action's name (`page_view`, `purchase`,
///   `email_click`, … or any other name, kept as a custom action); missing → `unknown_event`.
/// - `visitor`, `customer`, `email` (trimmed, lower-cased), `chat_visitor`: identity keys;
///   placeholders (`identity.ignore_values`) do not count; none → `missing_identity`.
/// - `url` → path, query, `utm_*` campaign and click id; `referrer` → referrer host.
/// - `campaign`, `source`, `medium` → campaign name / source / medium, over the URL's `utm_*`.
/// - `status` (an integer), `value`, `score` (numbers, `.` decimal point): a value that is
///   present but not a number → `malformed`, naming the field (a purchase whose amount cannot be
///   read is not counted as a purchase of unknown value); a number outside its `NumberRange`
///   (status 100–599 or 0, value −1e12–1e12, score 0–100) → `out_of_range`.
/// - `currency` upper-cased; `text` cut to `text_limit` bytes; `event_id`, `conversation` as given.
struct GenericRecord: Sendable {
    let options: ReaderOptions
    /// Where each role is read from, for reject details.
    let names: [String: String]
    /// `field` or `column`, for reject details.
    let noun: String

    /// The field map of a generic reader, with `time` and `action` required.
    static func fieldMap(_ options: ReaderOptions, reader: String, noun: String) throws(ConfigError) -> FieldMap {
        guard !options.fields.isEmpty else {
            throw ConfigError("fields.time", "the \(reader) reader needs `fields:` naming the \(noun) of each role, at least time and action (e.g. fields: {time: ts, action: event, visitor: anonymous_id})")
        }
        let defaults = Dictionary(uniqueKeysWithValues: GenericRole.allCases.map { ($0.name, "") })
        let map = try FieldMap(defaults: defaults, overrides: options.fields, reader: reader)
        for role in [GenericRole.time, .action] where (map.paths[role.name] ?? "").isEmpty {
            throw ConfigError("fields.\(role.name)", "the \(reader) reader needs the \(noun) that holds the \(role.name) (fields.\(role.name))")
        }
        guard TimeField.formats.contains(options.timeFormat) else {
            throw ConfigError("time_format", "unknown time format \"\(options.timeFormat)\"; known: \(TimeField.formats.joined(separator: ", "))")
        }
        return map
    }

    /// `field ts` / `column created_at`: where a role is read from, for reject details.
    func name(_ role: GenericRole) -> String { "\(noun) \(names[role.name] ?? role.name)" }

    /// Judges one record.
    /// - Parameters:
    ///   - get: a role's value as text, nil when unmapped or absent.
    ///   - time: the parsed time (nil when unreadable) and the raw text, or nil when absent.
    func build(get: (GenericRole) -> String?, time: () -> (Int64?, String)?, origin: Origin,
               into out: inout TouchpointBuffer) -> LineVerdict {
        func text(_ role: GenericRole) -> String? {
            guard let t = get(role)?.trimmingSpaces, !t.isEmpty else { return nil }
            return t
        }
        guard let actionName = text(.action) else {
            return .rejected(.unknownEvent, "no action (\(name(.action)))")
        }
        guard let (parsed, raw) = time() else { return .rejected(.badTimestamp, "no time (\(name(.time)))") }
        guard let ms = parsed else {
            return .rejected(.badTimestamp, "time \"\(JSONLine.cut(raw, 40))\" (\(name(.time))) is not a \(options.timeFormat == "auto" ? "known time format" : options.timeFormat + " time")")
        }
        guard Timestamp.isPlausible(ms) else {
            return .rejected(.badTimestamp, "time \"\(JSONLine.cut(raw, 40))\" (\(name(.time))) is out of range (\(Timestamp.iso(ms)))")
        }
        var keys = IdentityKeys()
        keys.visitor = options.identity.clean(get(.visitor))
        keys.customer = options.identity.clean(get(.customer))
        keys.email = options.identity.cleanEmail(get(.email))
        keys.chatVisitor = options.identity.clean(get(.chatVisitor))
        guard !keys.isEmpty else {
            let mapped = [GenericRole.visitor, .customer, .email, .chatVisitor].compactMap { r -> String? in
                guard let n = names[r.name], !n.isEmpty else { return nil }
                return n
            }
            return .rejected(.missingIdentity, mapped.isEmpty ? "no identity role is mapped (visitor, customer, email, chat_visitor)"
                                                               : "no visitor, customer, email or chat visitor (\(noun)s \(mapped.joined(separator: ", ")))")
        }
        var t = Touchpoint(time: ms, channel: options.channel, action: Action(name: actionName), keys: keys, origin: origin)
        if let url = text(.url), url != "-" { URLParts.apply(url, to: &t) }
        if let ref = text(.referrer) { t.referrerHost = URLParts.host(ref) }
        if let s = text(.source) { t.campaign.source = s }
        if let s = text(.medium) { t.campaign.medium = s }
        if let s = text(.campaign) { t.campaign.name = s }
        if let s = text(.status) {
            guard let n = NumberRange.integer(s) else {
                return .rejected(.malformed, "status \"\(JSONLine.cut(s, 40))\" (\(name(.status))) is not an integer")
            }
            guard NumberRange.isStatus(n) else {
                return .rejected(.outOfRange, NumberRange.outside("status", JSONLine.cut(s, 40), NumberRange.status, at: name(.status)))
            }
            t.status = Int16(n)
        }
        for (role, range) in [(GenericRole.value, NumberRange.value), (.score, NumberRange.score)] {
            guard let s = text(role) else { continue }
            guard let d = Double(s), !d.isNaN else {
                return .rejected(.malformed, "\(role.name) \"\(JSONLine.cut(s, 40))\" (\(name(role))) is not a number")
            }
            guard range.contains(d) else {
                return .rejected(.outOfRange, NumberRange.outside(role.name, JSONLine.cut(s, 40), range, at: name(role)))
            }
            if role == .value { t.value = d } else { t.score = d }
        }
        if let s = text(.currency) { t.currency = s.uppercased() }
        if let s = get(.text), !s.trimmingSpaces.isEmpty { t.text = JSONLine.cut(s, options.textLimit) }
        t.eventID = text(.eventID)
        t.conversation = text(.conversation)
        out.emit(t)
        return .emitted(1)
    }
}
