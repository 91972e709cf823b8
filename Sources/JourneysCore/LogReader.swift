/// Why a line was rejected. The raw value is the machine-readable reason written to rejects.
public enum RejectReason: String, Sendable, Hashable, CaseIterable, Comparable {
    case malformed
    case badTimestamp = "bad_timestamp"
    case lineTooLong = "line_too_long"
    case invalidUTF8 = "invalid_utf8"
    case unknownEvent = "unknown_event"
    case missingIdentity = "missing_identity"
    case badJSON = "bad_json"
    case noFormat = "no_format"
    case damagedInput = "damaged_input"
    /// A number outside its documented range (`NumberRange`): an order value of 1e20, status 999.
    case outOfRange = "out_of_range"

    public static func < (a: RejectReason, b: RejectReason) -> Bool { a.rawValue < b.rawValue }
}

/// Why a line was deliberately not turned into a touchpoint. Skips are counted, not rejected.
public enum SkipReason: String, Sendable, Hashable, CaseIterable, Comparable {
    /// A crawler, monitor or other non-person user agent.
    case bot
    /// A static asset (stylesheet, script, image, font …).
    case asset
    /// An empty or whitespace-only line.
    case blank
    /// A header, directive or comment line that carries no record (W3C `#Fields:`, a CSV header).
    case header
    /// An event the pipeline ignores on purpose (e.g. an email `processed` event when told to skip it).
    case ignored
    /// A line of a file found in a log folder that no reader recognises (a README, notes): the
    /// file is reported and skipped (`not_a_log`).
    case notALog = "not_a_log"

    public static func < (a: SkipReason, b: SkipReason) -> Bool { a.rawValue < b.rawValue }
}

/// What a reader made of one line. Every line ends as exactly one verdict.
public enum LineVerdict: Sendable, Equatable {
    /// The reader emitted `count` (≥ 1) touchpoints for this line.
    case emitted(Int)
    case skipped(SkipReason)
    case rejected(RejectReason, String)
}

/// One event of a line rejected while the line's other events became touchpoints.
public struct EventReject: Sendable, Equatable {
    public var reason: RejectReason
    public var detail: String
    public init(_ reason: RejectReason, _ detail: String) {
        self.reason = reason
        self.detail = detail
    }
}

/// Collects the touchpoints a reader emits for the lines of one chunk, as columns.
///
/// A touchpoint is one row of `columns`, its strings interned into this chunk's `strings`, its
/// identity keys into `keyStrings` (ids in `visitor`, `customer`, `email`, `chatVisitor`), and
/// its query parameters and free text — which only `journeys events` writes — appended to
/// `extra`. Readers either `emit` a whole `Touchpoint` or write the row field by field from the
/// line's bytes (`beginRow`, then `setPath`, `setValue`, `setKey`, `addQuery` …), which builds no
/// string; the chunk's tables are folded into the run's in input order.
public struct TouchpointBuffer: Sendable {
    /// How many rejected events of one line are kept one by one, with their detail; the others
    /// are only counted (`moreEventRejects`), so a line's rejects stay bounded by a constant
    /// however many events it holds.
    public static let eventRejectLimit = 100

    public var columns = TouchpointColumns()
    public var strings = TouchpointColumns.Strings()
    /// Identity keys: ids into `keyStrings` (0 = none), one per row and kind.
    public var keyStrings = StringTable()
    public var visitor: [UInt32] = []
    public var customer: [UInt32] = []
    public var email: [UInt32] = []
    public var chatVisitor: [UInt32] = []
    /// Each row's query parameters and text: row `i`'s items are `extra[extraEnd[i - 1]..<extraEnd[i]]`,
    /// each a tag (1: a query parameter, then its name and value; 2: the text) and varint-length
    /// prefixed bytes.
    public var extra: [UInt8] = []
    public var extraEnd: [Int] = []

    /// Events of the current line that were rejected while others of it were emitted (one
    /// element of a SendGrid webhook array), the first `eventRejectLimit` of them. The line
    /// counts once, as a touchpoint line; each of these is written to the rejects and counted as
    /// a rejected event, not a rejected line.
    public var eventRejects: [EventReject] = []
    /// The current line's rejected events past `eventRejectLimit`, counted by reason.
    public var moreEventRejects: [RejectReason: Int64] = [:]
    /// Which of the reader's `watchedFields` some line of the chunk had (bit `i`: field `i`).
    public var fieldsSeen: UInt64 = 0
    /// Records of the current line that were ignored on purpose (`ignore:`) while others of it
    /// were emitted; counted as ignored events when the line's verdict is `.emitted`.
    public var ignoredEvents: Int64 = 0
    public init() {}

    /// How many touchpoints the buffer holds.
    public var count: Int { columns.count }

    /// Makes room for `rows` touchpoints (with some query and text each), so a chunk's columns
    /// are allocated once rather than grown.
    public mutating func reserveCapacity(rows: Int) {
        columns.reserveCapacity(rows)
        visitor.reserveCapacity(rows); customer.reserveCapacity(rows); email.reserveCapacity(rows)
        chatVisitor.reserveCapacity(rows)
        extraEnd.reserveCapacity(rows)
        extra.reserveCapacity(rows * 32)
    }

    public enum KeyKind: Sendable { case visitor, customer, email, chatVisitor }

    public static let queryTag: UInt8 = 1
    public static let textTag: UInt8 = 2

    // MARK: writing a row

    /// Starts a touchpoint; its other fields are absent until set.
    public mutating func beginRow(time: Int64, channel: Channel, action: Action, origin: Origin) {
        var r = TouchpointColumns.Row()
        r.time = time
        r.channel = TouchpointColumns.code(channel)
        if let a = TouchpointColumns.code(action) {
            r.action = a
        } else {
            r.action = TouchpointColumns.customAction
            r.actionName = strings.values.intern(action.name)
        }
        r.device = UInt8(TouchpointColumns.devices.count - 1) // unknown
        r.input = origin.input
        r.line = origin.line
        r.offset = origin.offset
        columns.append(r)
        visitor.append(0); customer.append(0); email.append(0); chatVisitor.append(0)
        extraEnd.append(extra.count)
    }

    /// Starts a touchpoint whose action is named by `name` (`Action(name:)`: `page_view` …, or a
    /// custom action), building no string.
    public mutating func beginRow(time: Int64, channel: Channel, actionName name: UnsafeBufferPointer<UInt8>, origin: Origin) {
        if name.contains(where: { $0 >= 0x80 }) { // compared as Swift compares strings
            beginRow(time: time, channel: channel, action: Action(name: String(decoding: name, as: UTF8.self)), origin: origin)
            return
        }
        let named = Action.named(name)
        beginRow(time: time, channel: channel, action: named ?? .pageView, origin: origin)
        if named == nil {
            columns.action[last] = TouchpointColumns.customAction
            columns.actionName[last] = strings.values.intern(name)
        }
    }

    private var last: Int { columns.count - 1 }

    /// Sets a string field of the current row (`\.referrer`, `\.source` …) from bytes.
    public mutating func setValue(_ field: WritableKeyPath<TouchpointColumns, [UInt32]>, _ b: UnsafeBufferPointer<UInt8>) {
        let id = strings.values.intern(b)
        columns[keyPath: field][last] = id
    }

    public mutating func setValue(_ field: WritableKeyPath<TouchpointColumns, [UInt32]>, _ s: String?) {
        let id = strings.values.intern(s)
        columns[keyPath: field][last] = id
    }

    /// Sets the current row's path from bytes.
    public mutating func setPath(_ b: UnsafeBufferPointer<UInt8>) {
        let id = strings.paths.intern(b)
        columns.path[last] = id
    }

    /// Sets one identity key of the current row from bytes.
    public mutating func setKey(_ kind: KeyKind, _ b: UnsafeBufferPointer<UInt8>) {
        let id = keyStrings.intern(b)
        switch kind {
        case .visitor: visitor[last] = id
        case .customer: customer[last] = id
        case .email: email[last] = id
        case .chatVisitor: chatVisitor[last] = id
        }
    }

    /// Sets the current row's numbers; nil leaves a number absent.
    public mutating func setNumbers(status: Int16 = 0, responseMs: Int32? = nil, device: DeviceClass = .unknown,
                                    value: Double? = nil, score: Double? = nil) {
        columns.status[last] = status
        if let responseMs { columns.responseMs[last] = responseMs; columns.flags[last] |= TouchpointColumns.hasResponseTime }
        columns.device[last] = TouchpointColumns.code(device)
        if let value { columns.value[last] = value; columns.flags[last] |= TouchpointColumns.hasValue }
        if let score { columns.score[last] = score; columns.flags[last] |= TouchpointColumns.hasScore }
    }

    /// Marks the current row's visitor key as the IP + user-agent fallback.
    public mutating func setVisitorIsFallback() { columns.flags[last] |= TouchpointColumns.visitorIsFallback }

    /// Appends a query parameter to the current row.
    public mutating func addQuery(name: UnsafeBufferPointer<UInt8>, value: UnsafeBufferPointer<UInt8>) {
        extra.append(Self.queryTag)
        Varint.append(UInt64(name.count), to: &extra)
        extra.append(contentsOf: name)
        Varint.append(UInt64(value.count), to: &extra)
        extra.append(contentsOf: value)
        extraEnd[last] = extra.count
    }

    /// Sets the current row's free text.
    public mutating func setText(_ b: UnsafeBufferPointer<UInt8>) {
        extra.append(Self.textTag)
        Varint.append(UInt64(b.count), to: &extra)
        extra.append(contentsOf: b)
        extraEnd[last] = extra.count
    }

    /// Appends a whole touchpoint.
    public mutating func emit(_ t: Touchpoint) {
        columns.append(TouchpointColumns.Row(t, strings: &strings))
        visitor.append(keyStrings.intern(t.keys.visitor))
        customer.append(keyStrings.intern(t.keys.customer))
        email.append(keyStrings.intern(t.keys.email))
        chatVisitor.append(keyStrings.intern(t.keys.chatVisitor))
        extraEnd.append(extra.count)
        for q in t.query {
            var n = q.name, v = q.value
            n.withUTF8 { n in v.withUTF8 { v in addQuery(name: n, value: v) } }
        }
        if var text = t.text { text.withUTF8 { setText($0) } }
    }

    // MARK: reading

    /// Calls `query` with each query parameter of row `i` and `text` with its text, in order.
    public func forEachExtra(_ i: Int, query: (UnsafeBufferPointer<UInt8>, UnsafeBufferPointer<UInt8>) -> Void,
                             text: (UnsafeBufferPointer<UInt8>) -> Void) {
        extra.withUnsafeBufferPointer { e in
            var at = i == 0 ? 0 : extraEnd[i - 1]
            let end = extraEnd[i]
            func bytes() -> UnsafeBufferPointer<UInt8> {
                var n = 0, shift = 0
                while true { let b = e[at]; at += 1; n |= Int(b & 0x7F) << shift; if b < 0x80 { break }; shift += 7 }
                defer { at += n }
                return UnsafeBufferPointer(rebasing: e[at..<(at + n)])
            }
            while at < end {
                let tag = e[at]
                at += 1
                if tag == Self.queryTag {
                    let name = bytes()
                    query(name, bytes())
                } else {
                    text(bytes())
                }
            }
        }
    }

    /// Row `i`'s identity keys.
    public func keys(_ i: Int) -> IdentityKeys {
        IdentityKeys(visitor: keyStrings.string(visitor[i]), customer: keyStrings.string(customer[i]),
                     email: keyStrings.string(email[i]), chatVisitor: keyStrings.string(chatVisitor[i]),
                     visitorIsFallback: columns.flags[i] & TouchpointColumns.visitorIsFallback != 0)
    }

    /// Row `i` as a whole touchpoint.
    public func touchpoint(_ i: Int) -> Touchpoint {
        var t = columns[i].touchpoint(strings)
        t.keys = keys(i)
        forEachExtra(i, query: { n, v in
            t.query.append(QueryParam(String(decoding: n, as: UTF8.self), String(decoding: v, as: UTF8.self)))
        }, text: { t.text = String(decoding: $0, as: UTF8.self) })
        return t
    }

    /// Every row as a touchpoint.
    public var touchpoints: [Touchpoint] { (0..<count).map(touchpoint) }

    /// Drops the rows from `n` on (their interned strings stay in the tables, unused).
    public mutating func truncate(to n: Int) {
        guard n < count else { return }
        columns.truncate(to: n)
        visitor.removeSubrange(n...); customer.removeSubrange(n...); email.removeSubrange(n...); chatVisitor.removeSubrange(n...)
        extra.removeSubrange((n == 0 ? 0 : extraEnd[n - 1])...)
        extraEnd.removeSubrange(n...)
    }

    /// Keeps, of the rows from `start` on, those for which `keep` is true, in order.
    public mutating func filter(from start: Int, _ keep: (Int) -> Bool) {
        let kept = (start..<count).filter(keep)
        guard kept.count < count - start else { return }
        let rows = kept.map(touchpoint)
        truncate(to: start)
        for t in rows { emit(t) }
    }

    /// Rejects one event of a line that also emits touchpoints. Counted only when the line's
    /// verdict is `.emitted`; the detail is made only for the first `eventRejectLimit`.
    public mutating func rejectEvent(_ reason: RejectReason, _ detail: @autoclosure () -> String) {
        if eventRejects.count < Self.eventRejectLimit {
            eventRejects.append(EventReject(reason, detail()))
        } else {
            moreEventRejects[reason, default: 0] += 1
        }
    }

    /// Forgets the current line's rejected events (the runner, after each line).
    public mutating func clearEventRejects() {
        ignoredEvents = 0
        guard !eventRejects.isEmpty else { return }
        eventRejects.removeAll()
        moreEventRejects.removeAll()
    }
}

/// A reader turns the lines of one log format into touchpoints.
///
/// One value reads one input; a reader that keeps state between lines (a W3C `#Fields:`
/// header, a CSV header) says so with `isStateful`, and the runner then feeds it that
/// input's lines in order on one thread. Stateless readers are copied per chunk and run in
/// parallel. A reader never throws for bad data: it returns `.rejected` with a reason.
public protocol LogReader: Sendable {
    /// The format name used in pipeline files and `--format` (snake_case).
    static var format: String { get }
    /// True when a line's meaning depends on earlier lines of the same input.
    var isStateful: Bool { get }
    /// The fields a pipeline named (`role (path)`) that the reader reports when no line of an
    /// input has them (a misspelt field is otherwise silently empty): bit `i` of
    /// `TouchpointBuffer.fieldsSeen` is field `i`.
    var watchedFields: [String] { get }
    /// Reads one line (without its terminator), emitting touchpoints into `out`.
    mutating func read(_ line: UnsafeBufferPointer<UInt8>, origin: Origin, into out: inout TouchpointBuffer) -> LineVerdict
}

extension LogReader {
    public var isStateful: Bool { false }
    public var watchedFields: [String] { [] }
}
