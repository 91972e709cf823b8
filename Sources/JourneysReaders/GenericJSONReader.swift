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
    /// The value map's condition fields (`ValueMap.fields`).
    let conditions: [FieldPath]
    /// Each alternative of the `agent` role, looked up on its own.
    let agents: [FieldPath]
    /// Where a line's records are (`records:`), nil for the default.
    let records: RecordPath?
    /// A field whose string value is the JSON to read (`unwrap:`), and its spelling.
    let unwrap: FieldPath?
    let unwrapSpelled: String
    /// The parsed line and reusable buffers (no allocation per line once warm).
    var tape = JSONTape()
    var scratch: [UInt8] = []
    var parents: [Int] = []
    var watch: FieldWatch
    public var watchedFields: [String] { watch.names }

    /// - Throws: `ConfigError` when `fields` is missing, names an unknown role, or leaves time
    ///   or action unmapped, for an unknown `time_format`, a bad `actions:` key or `records:` path.
    public init(options: ReaderOptions) throws(ConfigError) {
        let map = try GenericRecord.fieldMap(options, reader: Self.format, noun: "field")
        record = try GenericRecord(options: options, names: map.paths, noun: "field")
        paths = GenericRole.allCases.map { map.path($0.name) }
        conditions = record.valueMap.fields.map(FieldPath.init)
        agents = (map.paths["agent"] ?? "").split(separator: "|").map { FieldPath(String($0)) }
        records = try options.records.map { p throws(ConfigError) in try RecordPath(p) }
        unwrap = options.unwrap.map(FieldPath.init)
        unwrapSpelled = options.unwrap ?? ""
        watch = FieldWatch(options, map: map)
    }

    public mutating func read(_ line: UnsafeBufferPointer<UInt8>, origin: Origin, into out: inout TouchpointBuffer) -> LineVerdict {
        var tape = JSONTape()
        swap(&tape, &self.tape)
        defer { swap(&tape, &self.tape) }
        if let e = JSONLine.parse(line, into: &tape) { return .rejected(.badJSON, e.description) }
        if let unwrap {
            // JSON inside a string (an SNS envelope's `Message`, a form field): read that instead.
            var inner: [UInt8]?
            tape.withDoc(line) { doc in
                if let n = unwrap.find(in: doc), doc.kind(n) == .string { inner = Array(doc.bytes(n)) }
            }
            if let inner {
                var innerTape = JSONTape()
                return inner.withUnsafeBufferPointer { b in
                    if let e = JSONLine.parse(b, into: &innerTape) {
                        return .rejected(.badJSON, "the JSON in field \(unwrapSpelled): \(e.description)")
                    }
                    return innerTape.withDoc(b) { doc in read(doc, origin: origin, into: &out) }
                }
            }
        }
        return tape.withDoc(line) { doc in read(doc, origin: origin, into: &out) }
    }

    /// Reads the records of a parsed line (or of the JSON a string of it held).
    mutating func read(_ doc: JSONDoc, origin: Origin, into out: inout TouchpointBuffer) -> LineVerdict {
        if records == nil, doc.kind(0) == .object {
            // The common case: the line is the record.
            if paths[GenericRole.action.rawValue].find(in: doc) != nil || doc.member(0, Self.events).map({ doc.kind($0) != .array }) ?? true {
                parents.removeAll(keepingCapacity: true)
                return one(doc, 0, origin: origin, into: &out)
            }
        }
        guard doc.kind(0) == .object || doc.kind(0) == .array else { return .rejected(.badJSON, "the line is JSON but not an object or array") }
        // Several records: each stands alone, as the elements of a SendGrid webhook array.
        var found: [(node: Int, parents: [Int])] = []
        let path = records ?? (doc.kind(0) == .array ? RecordPath.topArray : RecordPath.events)
        path.walk(doc) { node, parents in found.append((node, parents)) }
        if found.isEmpty { return .skipped(.ignored) }
        var made = 0, ignored = 0
        var first: (index: Int, reason: RejectReason, detail: String)?
        for (i, r) in found.enumerated() {
            parents = r.parents
            let before = out.count
            switch doc.kind(r.node) == .object ? one(doc, r.node, origin: origin, into: &out) : .rejected(.malformed, "not a JSON object") {
            case .emitted: made += out.count - before
            case .skipped: ignored += 1
            case .rejected(let reason, let detail):
                let d = found.count == 1 ? detail : "record [\(i)] of \(found.count): \(detail)"
                if first == nil { first = (i, reason, d) }
                out.rejectEvent(reason, d)
            }
        }
        if made > 0 {
            out.ignoredEvents += Int64(ignored)
            return .emitted(made)
        }
        if let first { return .rejected(first.reason, first.detail + (found.count > 1 ? " (no record of the line was kept)" : "")) }
        return .skipped(.ignored)
    }

    static let events = JSONKey("events")

    /// Judges the record at node `r` (its parents in `self.parents`, innermost last).
    mutating func one(_ doc: JSONDoc, _ r: Int, origin: Origin, into out: inout TouchpointBuffer) -> LineVerdict {
        let paths = self.paths, conditions = self.conditions, agents = self.agents, values = record.text
        let options = record.options
        return parents.withUnsafeBufferPointer { parents in
            out.fieldsSeen |= watch.see(doc, at: r, parents: parents)
            func find(_ p: FieldPath) -> Int? { p.find(in: doc, at: r, parents: parents) }
            return record.build(
                get: { role in find(paths[role.rawValue]).flatMap(doc.text) },
                time: {
                    guard let v = find(paths[GenericRole.time.rawValue]) else { return nil }
                    return (TimeField.parse(doc, v, format: options.timeFormat, zone: options.timezone), doc.text(v))
                },
                field: { i in find(conditions[i]).flatMap(doc.text) },
                key: { role, agentActs in
                    // The first alternative with a value that names someone (not one a value map
                    // empties) and, on a record the person did not act in, is not an agent's.
                    func usable(_ n: Int) -> Bool {
                        guard let t = doc.text(n)?.trimmingSpaces, !t.isEmpty, !values.map(role, t).trimmingSpaces.isEmpty else { return false }
                        return !agentActs || !agents.contains { p in find(p).flatMap(doc.text).map { JSONDoc.equal($0.trimmingSpaces, t) } ?? false }
                    }
                    return paths[role.rawValue].find(in: doc, at: r, parents: parents, where: usable).flatMap(doc.text)
                },
                origin: origin, into: &out, scratch: &scratch)
        }
    }
}

/// Where the records of a JSON line are (`records:` of the `jsonl` reader): dotted steps,
/// `name[]` for each element of an array member, `[]` for each element of the line's own
/// array, `*` for each member value of an object (`msys.*`: SparkPost's one event object under
/// its varying class name), `@` for the line itself (`chat.messages[]|@`: a transcript's
/// messages, else the event). Every object passed through on the way is a parent: a role not
/// found in the record is looked up in its parents, innermost first.
/// `|` separates alternatives: the first that finds a record is used (`event-data|items[]`:
/// Mailgun's webhook body or a page of its events API); `+` joins paths whose records are all
/// read, in that order (`source+conversation_parts.conversation_parts[]`: Intercom's first
/// message and its replies).
struct RecordPath: Sendable {
    enum Step: Sendable { case member(JSONKey), each, everyMember, this }
    /// The paths of each alternative (`+` joins paths whose records are all read).
    let alternatives: [[[Step]]]

    static let topArray = RecordPath(alternatives: [[[.each]]])
    static let events = RecordPath(alternatives: [[[.member(JSONKey("events")), .each]]])

    init(alternatives: [[[Step]]]) { self.alternatives = alternatives }

    init(_ text: String) throws(ConfigError) {
        var alternatives: [[[Step]]] = []
        for alt in text.split(separator: "|") {
            var parts: [[Step]] = []
            for part in alt.split(separator: "+") { parts.append(try Self.steps(String(part).trimmingSpaces, of: text)) }
            alternatives.append(parts)
        }
        guard !alternatives.isEmpty else { throw ConfigError("records", "records: names no path") }
        self.alternatives = alternatives
    }

    static func steps(_ text: String, of whole: String) throws(ConfigError) -> [Step] {
        var steps: [Step] = []
        for part in text.split(separator: ".", omittingEmptySubsequences: false) {
            var name = Substring(part)
            let each = name.hasSuffix("[]")
            if each { name = name.dropLast(2) }
            if name == "@", !each {
                steps.append(.this)
            } else if name == "*" {
                steps.append(.everyMember)
            } else if !name.isEmpty {
                guard !name.contains("["), !name.contains("]") else {
                    throw ConfigError("records", "\"\(text)\": a step is a field name, name[] (each element of an array), [] or *")
                }
                steps.append(.member(JSONKey(String(name))))
            } else if !each {
                throw ConfigError("records", "\"\(whole)\" has an empty step")
            }
            if each { steps.append(.each) }
        }
        guard !steps.isEmpty else { throw ConfigError("records", "\"\(whole)\" has an empty alternative") }
        return steps
    }

    /// Calls `body` with each record node and its parent objects (outermost first), for the
    /// first alternative that finds any.
    func walk(_ doc: JSONDoc, _ body: (Int, [Int]) -> Void) {
        for parts in alternatives {
            var found = false
            for steps in parts { walk(doc, steps) { n, p in found = true; body(n, p) } }
            if found { return }
        }
    }

    private func walk(_ doc: JSONDoc, _ steps: [Step], _ body: (Int, [Int]) -> Void) {
        var parents: [Int] = []
        func go(_ node: Int, _ k: Int) {
            guard k < steps.count else {
                if doc.kind(node) != .null { body(node, parents) } // a null member holds no record
                return
            }
            if case .this = steps[k] { go(node, k + 1); return }
            let pushed = doc.kind(node) == .object
            if pushed { parents.append(node) }
            defer { if pushed { parents.removeLast() } }
            switch steps[k] {
            case .member(let key):
                if let m = doc.member(node, key) { go(m, k + 1) }
            case .each:
                for item in doc.items(node) { go(item, k + 1) }
            case .everyMember:
                guard doc.kind(node) == .object else { return }
                var m = node + 1
                while m < doc.nodes[node].next {
                    go(m + 1, k + 1)
                    m = doc.nodes[m + 1].next
                }
            case .this:
                break
            }
        }
        go(0, 0)
    }
}

/// The roles the generic `jsonl` and `csv` readers map to fields or columns.
enum GenericRole: Int, CaseIterable, Sendable {
    case time, action, visitor, customer, email, chatVisitor, url, referrer, status, value, currency, score, text
    case eventID, conversation, campaign, source, medium
    /// Where the acting agent's or bot's ids are: never a person's key (see `GenericRecord`).
    case agent

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

    /// `actions:` / `ignore:` (empty: the action field's value is the action's name).
    let valueMap: ValueMap
    /// Each role's constant (`constants:`) and value map (`values:`).
    let text: RoleText
    /// The action names of the value map's outcomes, as bytes, by name.
    let actionBytes: [String: [UInt8]]

    init(options: ReaderOptions, names: [String: String], noun: String) throws(ConfigError) {
        self.options = options
        identity = IdentityBytes(options.identity)
        self.names = names
        self.noun = noun
        valueMap = try ValueMap(actions: options.actions, ignore: options.ignore)
        var constants = [[UInt8]?](repeating: nil, count: GenericRole.allCases.count)
        for (role, value) in options.constants.sorted(by: { $0.key < $1.key }) {
            guard let r = GenericRole.allCases.first(where: { $0.name == role }), r != .time else {
                throw ConfigError("constants.\(role)", "no role \"\(role)\" takes a constant; roles: \(GenericRole.allCases.filter { $0 != .time }.map(\.name).joined(separator: ", "))")
            }
            constants[r.rawValue] = Array(value.utf8)
        }
        var maps = [[([UInt8], [UInt8])]](repeating: [], count: GenericRole.allCases.count)
        for (role, map) in options.values.sorted(by: { $0.key < $1.key }) {
            guard let r = GenericRole.allCases.first(where: { $0.name == role }), r != .time, r != .action else {
                throw ConfigError("values.\(role)", "no role \"\(role)\" takes a value map (the action's is `actions:`); roles: \(GenericRole.allCases.filter { $0 != .time && $0 != .action }.map(\.name).joined(separator: ", "))")
            }
            for (k, v) in map where k.filter({ $0 == "*" }).count > 1 || (v.contains("*") && (v != "*" || !k.contains("*"))) {
                throw ConfigError("values.\(role).\(k)", "a key may hold one `*`, and its value is a literal or `*` (what the key's `*` matched), not \"\(v)\"")
            }
            maps[r.rawValue] = map.sorted { $0.key < $1.key }.map { (Array($0.key.utf8), Array($0.value.utf8)) }
        }
        text = RoleText(constants: constants, maps: maps)
        var bytes: [String: [UInt8]] = [:]
        for n in options.actions.values {
            let name = String(n.split(separator: ":", maxSplits: 1).first ?? "").trimmingSpaces
            bytes[name] = Array(name.utf8)
        }
        actionBytes = bytes
    }

    /// The field map of a generic reader, with `time` and `action` required.
    static func fieldMap(_ options: ReaderOptions, reader: String, noun: String) throws(ConfigError) -> FieldMap {
        guard !options.fields.isEmpty else {
            throw ConfigError("fields.time", "the \(reader) reader needs `fields:` naming the \(noun) of each role, at least time and action (e.g. fields: {time: ts, action: event, visitor: anonymous_id})")
        }
        let defaults = Dictionary(uniqueKeysWithValues: GenericRole.allCases.map { ($0.name, "") })
        let map = try FieldMap(defaults: defaults, overrides: options.fields, reader: reader)
        for role in [GenericRole.time, .action] where (map.paths[role.name] ?? "").isEmpty && !(role == .action && options.constants["action"] != nil) {
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
    ///   - field: the text of the value map's condition field `i` (`ValueMap.fields`).
    ///   - key: an identity role's value, skipping values a value map empties and, when the
    ///     flag is set, the record's `agent` values (nil: `get`'s, less a value equal to the
    ///     `agent` role's).
    func build(get: (GenericRole) -> UnsafeBufferPointer<UInt8>?, time: () -> (Int64?, UnsafeBufferPointer<UInt8>?)?,
               field: (Int) -> UnsafeBufferPointer<UInt8>? = { _ in nil },
               key: ((GenericRole, Bool) -> UnsafeBufferPointer<UInt8>?)? = nil, origin: Origin,
               into out: inout TouchpointBuffer, scratch: inout [UInt8]) -> LineVerdict {
        func shown(_ b: UnsafeBufferPointer<UInt8>) -> String { JSONLine.cut(String(decoding: b, as: UTF8.self), 40) }
        guard !valueMap.isEmpty else {
            guard let t = get(.action)?.trimmingSpaces, !t.isEmpty else {
                guard let c = text.constant(.action), !c.isEmpty else {
                    return .rejected(.unknownEvent, "no action (\(name(.action)))")
                }
                return emit(action: c, kind: nil, get: get, time: time, key: key, origin: origin, into: &out, scratch: &scratch)
            }
            return emit(action: t, kind: nil, get: get, time: time, key: key, origin: origin, into: &out, scratch: &scratch)
        }
        let raw = get(.action)?.trimmingSpaces
        func resolved(_ v: UnsafeBufferPointer<UInt8>?) -> LineVerdict {
            switch valueMap.resolve(v, field: field) {
            case nil:
                guard let v, !v.isEmpty else { return .rejected(.unknownEvent, "no action (\(name(.action)))") }
                return .rejected(.unknownEvent, "unknown event \"\(shown(v))\" (\(name(.action)))")
            case .ignore:
                return .skipped(.ignored)
            case .action(let n, let kind):
                return actionBytes[n, default: []].withUnsafeBufferPointer {
                    emit(action: $0, kind: kind, get: get, time: time, key: key, origin: origin, into: &out, scratch: &scratch)
                }
            }
        }
        if raw == nil || raw!.isEmpty, let c = text.constant(.action) { return resolved(c) }
        return resolved(raw)
    }

    /// Judges the rest of a record whose action is known, writing its touchpoint into `out`.
    private func emit(action actionName: UnsafeBufferPointer<UInt8>, kind: String?, get rawGet: (GenericRole) -> UnsafeBufferPointer<UInt8>?,
                      time: () -> (Int64?, UnsafeBufferPointer<UInt8>?)?, key agentFree: ((GenericRole, Bool) -> UnsafeBufferPointer<UInt8>?)?, origin: Origin,
                      into out: inout TouchpointBuffer, scratch: inout [UInt8]) -> LineVerdict {
        let roleText = self.text
        func get(_ role: GenericRole) -> UnsafeBufferPointer<UInt8>? {
            guard let v = rawGet(role), !v.trimmingSpaces.isEmpty else { return roleText.constant(role) }
            return roleText.map(role, v)
        }
        // An agent's or bot's own ids are no person's key: in a record the person did not act in
        // (an agent's reply, a bot's greeting, a close), identity values equal to one are dropped.
        let agentActs = !(Action.named(actionName)?.isPersonInitiated ?? true)
        func key(_ role: GenericRole) -> UnsafeBufferPointer<UInt8>? {
            if let agentFree {
                guard let v = agentFree(role, agentActs), !v.trimmingSpaces.isEmpty else { return roleText.constant(role) }
                return roleText.map(role, v)
            }
            guard agentActs else { return get(role) }
            guard let v = get(role) else { return nil }
            if let a = get(.agent)?.trimmingSpaces, !a.isEmpty, JSONDoc.equal(a, v.trimmingSpaces) { return nil }
            return v
        }
        func text(_ role: GenericRole) -> UnsafeBufferPointer<UInt8>? {
            guard let t = get(role)?.trimmingSpaces, !t.isEmpty else { return nil }
            return t
        }
        func shown(_ b: UnsafeBufferPointer<UInt8>) -> String { JSONLine.cut(String(decoding: b, as: UTF8.self), 40) }
        guard let (parsed, raw) = time() else { return .rejected(.badTimestamp, "no time (\(name(.time)))") }
        func rawTime() -> String { raw.map(shown) ?? "a non-scalar value" }
        guard let ms = parsed else {
            return .rejected(.badTimestamp, "time \"\(rawTime())\" (\(name(.time))) is not a \(options.timeFormat == "auto" ? "known time format" : options.timeFormat + " time")")
        }
        guard Timestamp.isPlausible(ms) else {
            return .rejected(.badTimestamp, "time \"\(rawTime())\" (\(name(.time))) is out of range (\(Timestamp.iso(ms)))")
        }
        let visitor = identity.cleaned(key(.visitor)), customer = identity.cleaned(key(.customer))
        let email = identity.cleanedEmail(key(.email)), chatVisitor = identity.cleaned(key(.chatVisitor))
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
        if let kind {
            var k = Array(kind.utf8)
            if let s = get(.text)?.trimmingSpaces, !s.isEmpty {
                k.append(contentsOf: ": ".utf8)
                k.append(contentsOf: s)
            }
            k.withUnsafeBufferPointer { out.setText($0, limit: options.textLimit, scratch: &scratch) }
        } else if let s = get(.text), !s.trimmingSpaces.isEmpty {
            out.setText(s, limit: options.textLimit, scratch: &scratch)
        }
        if let s = text(.eventID) { out.setValue(\.eventID, s) }
        if let s = text(.conversation) { out.setValue(\.conversation, s) }
        return .emitted(1)
    }
}

/// Each role's constant (`constants:`) and value map (`values:`), their bytes allocated once
/// for the reader's lifetime, so lookups hand out views and allocate nothing.
///
/// A value map (`values: {score: {good: 5, bad: 1}}`): a value equal to a key is
/// read as the key's value; others as they are. A key with one `*` matches by prefix and
/// suffix; its value is a literal, or `*` for what the `*` matched (`chat_visitor: {"V-*": "*"}`
/// reads HubSpot's `V-1551` as `1551`).
final class RoleText: @unchecked Sendable { // immutable after init
    private let constants: [UnsafeMutableBufferPointer<UInt8>?]
    private let maps: [[([UInt8], UnsafeMutableBufferPointer<UInt8>)]]

    /// `constants` and `maps` indexed by `GenericRole.rawValue`.
    init(constants: [[UInt8]?], maps: [[([UInt8], [UInt8])]]) {
        func pinned(_ bytes: [UInt8]) -> UnsafeMutableBufferPointer<UInt8> {
            let b = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: bytes.count)
            _ = b.initialize(from: bytes)
            return b
        }
        self.constants = constants.map { $0.map(pinned) }
        self.maps = maps.map { m in m.map { ($0.0, pinned($0.1)) } }
    }

    deinit {
        for c in constants { c?.deallocate() }
        for m in maps { for (_, b) in m { b.deallocate() } }
    }

    func constant(_ role: GenericRole) -> UnsafeBufferPointer<UInt8>? { constants[role.rawValue].map { UnsafeBufferPointer($0) } }

    func map(_ role: GenericRole, _ v: UnsafeBufferPointer<UInt8>) -> UnsafeBufferPointer<UInt8> {
        let m = maps[role.rawValue]
        guard !m.isEmpty else { return v }
        let t = v.trimmingSpaces
        for (k, b) in m where k.count == t.count && k.elementsEqual(t) { return UnsafeBufferPointer(b) }
        for (k, b) in m {
            guard let star = k.firstIndex(of: 42) else { continue }
            let head = k[..<star], tail = k[(star + 1)...]
            guard t.count >= k.count - 1, t.prefix(head.count).elementsEqual(head), t.suffix(tail.count).elementsEqual(tail) else { continue }
            // `*`: the matched part, a view into the line; else the literal.
            return b.count == 1 && b[0] == 42 ? UnsafeBufferPointer(rebasing: t[head.count..<(t.count - tail.count)]) : UnsafeBufferPointer(b)
        }
        return v
    }
}
