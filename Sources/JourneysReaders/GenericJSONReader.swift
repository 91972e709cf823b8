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
    /// Each role's path, indexed by `GenericRole.rawValue`.
    let paths: [FieldPath]
    /// The parsed line and a reusable byte buffer (no allocation per line once warm).
    var tape = JSONTape()
    var scratch: [UInt8] = []

    /// - Throws: `ConfigError` when `fields` is missing, names an unknown role, or leaves time
    ///   or action unmapped, and for an unknown `time_format`.
    public init(options: ReaderOptions) throws(ConfigError) {
        let map = try GenericRecord.fieldMap(options, reader: Self.format, noun: "field")
        record = GenericRecord(options: options, names: map.paths, noun: "field")
        paths = GenericRole.allCases.map { map.path($0.name) }
    }

    public mutating func read(_ line: UnsafeBufferPointer<UInt8>, origin: Origin, into out: inout TouchpointBuffer) -> LineVerdict {
        var tape = JSONTape()
        swap(&tape, &self.tape)
        defer { swap(&tape, &self.tape) }
        if let e = JSONLine.parse(line, into: &tape) { return .rejected(.badJSON, e.description) }
        return tape.withDoc(line) { doc in
            guard doc.kind(0) == .object else { return .rejected(.badJSON, "the line is JSON but not an object") }
            let paths = self.paths
            let options = record.options
            return record.build(
                get: { role in paths[role.rawValue].text(in: doc) },
                time: {
                    guard let v = paths[GenericRole.time.rawValue].find(in: doc) else { return nil }
                    return (TimeField.parse(doc, v, format: options.timeFormat, offset: options.timezoneOffset), doc.text(v))
                },
                origin: origin, into: &out, scratch: &scratch)
        }
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
    let identity: IdentityBytes
    /// Where each role is read from, for reject details.
    let names: [String: String]
    /// `field` or `column`, for reject details.
    let noun: String

    init(options: ReaderOptions, names: [String: String], noun: String) {
        self.options = options
        identity = IdentityBytes(options.identity)
        self.names = names
        self.noun = noun
    }

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

    /// Judges one record, writing its touchpoint into `out`.
    /// - Parameters:
    ///   - get: a role's value as text, nil when unmapped or absent.
    ///   - time: the parsed time (nil when unreadable) and the raw text (nil when not a scalar),
    ///     or nil when absent.
    func build(get: (GenericRole) -> UnsafeBufferPointer<UInt8>?, time: () -> (Int64?, UnsafeBufferPointer<UInt8>?)?, origin: Origin,
               into out: inout TouchpointBuffer, scratch: inout [UInt8]) -> LineVerdict {
        func text(_ role: GenericRole) -> UnsafeBufferPointer<UInt8>? {
            guard let t = get(role)?.trimmingSpaces, !t.isEmpty else { return nil }
            return t
        }
        func shown(_ b: UnsafeBufferPointer<UInt8>) -> String { JSONLine.cut(String(decoding: b, as: UTF8.self), 40) }
        guard let actionName = text(.action) else {
            return .rejected(.unknownEvent, "no action (\(name(.action)))")
        }
        guard let (parsed, raw) = time() else { return .rejected(.badTimestamp, "no time (\(name(.time)))") }
        func rawTime() -> String { raw.map(shown) ?? "a non-scalar value" }
        guard let ms = parsed else {
            return .rejected(.badTimestamp, "time \"\(rawTime())\" (\(name(.time))) is not a \(options.timeFormat == "auto" ? "known time format" : options.timeFormat + " time")")
        }
        guard Timestamp.isPlausible(ms) else {
            return .rejected(.badTimestamp, "time \"\(rawTime())\" (\(name(.time))) is out of range (\(Timestamp.iso(ms)))")
        }
        let visitor = identity.cleaned(get(.visitor)), customer = identity.cleaned(get(.customer))
        let email = identity.cleanedEmail(get(.email)), chatVisitor = identity.cleaned(get(.chatVisitor))
        guard visitor != nil || customer != nil || email != nil || chatVisitor != nil else {
            let mapped = [GenericRole.visitor, .customer, .email, .chatVisitor].compactMap { r -> String? in
                guard let n = names[r.name], !n.isEmpty else { return nil }
                return n
            }
            return .rejected(.missingIdentity, mapped.isEmpty ? "no identity role is mapped (visitor, customer, email, chat_visitor)"
                                                               : "no visitor, customer, email or chat visitor (\(noun)s \(mapped.joined(separator: ", ")))")
        }
        var status: Int16 = 0
        if let s = text(.status) {
            guard let n = NumberRange.integer(String(decoding: s, as: UTF8.self)) else {
                return .rejected(.malformed, "status \"\(shown(s))\" (\(name(.status))) is not an integer")
            }
            guard NumberRange.isStatus(n) else {
                return .rejected(.outOfRange, NumberRange.outside("status", shown(s), NumberRange.status, at: name(.status)))
            }
            status = Int16(n)
        }
        /// Reads the number of `role` into `v`; the reject when it is not a number in `range`.
        func number(_ role: GenericRole, _ range: ClosedRange<Double>, _ v: inout Double?) -> LineVerdict? {
            guard let s = text(role) else { return nil }
            guard let d = JSONDoc.double(s), !d.isNaN else {
                return .rejected(.malformed, "\(role.name) \"\(shown(s))\" (\(name(role))) is not a number")
            }
            guard range.contains(d) else {
                return .rejected(.outOfRange, NumberRange.outside(role.name, shown(s), range, at: name(role)))
            }
            v = d
            return nil
        }
        var value: Double?, score: Double?
        if let reject = number(.value, NumberRange.value, &value) { return reject }
        if let reject = number(.score, NumberRange.score, &score) { return reject }

        out.beginRow(time: ms, channel: options.channel, actionName: actionName, origin: origin)
        if let visitor { out.setKey(.visitor, visitor) }
        if let customer { out.setKey(.customer, customer) }
        if let email { out.setEmail(email, scratch: &scratch) }
        if let chatVisitor { out.setKey(.chatVisitor, chatVisitor) }
        if let url = text(.url), !(url.count == 1 && url[0] == 45) { URLParts.apply(url, into: &out, scratch: &scratch) } // not "-"
        if let ref = text(.referrer) {
            scratch.removeAll(keepingCapacity: true)
            if URLParts.host(ref, into: &scratch) { scratch.withUnsafeBufferPointer { out.setValue(\.referrer, $0) } }
        }
        if let s = text(.source) { out.setValue(\.source, s) }
        if let s = text(.medium) { out.setValue(\.medium, s) }
        if let s = text(.campaign) { out.setValue(\.campaign, s) }
        out.setNumbers(status: status, value: value, score: score)
        if let s = text(.currency) {
            if s.contains(where: { $0 >= 0x80 }) { // Unicode upper-casing
                out.setValue(\.currency, String(decoding: s, as: UTF8.self).uppercased())
            } else {
                scratch.removeAll(keepingCapacity: true)
                for c in s { scratch.append(c &- 97 < 26 ? c & 0xDF : c) }
                scratch.withUnsafeBufferPointer { out.setValue(\.currency, $0) }
            }
        }
        if let s = get(.text), !s.trimmingSpaces.isEmpty { out.setText(s, limit: options.textLimit, scratch: &scratch) }
        if let s = text(.eventID) { out.setValue(\.eventID, s) }
        if let s = text(.conversation) { out.setValue(\.conversation, s) }
        return .emitted(1)
    }
}
