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

/// Collects the touchpoints a reader emits for the lines of one chunk.
public struct TouchpointBuffer: Sendable {
    /// How many rejected events of one line are kept one by one, with their detail; the others
    /// are only counted (`moreEventRejects`), so a line's rejects stay bounded by a constant
    /// however many events it holds.
    public static let eventRejectLimit = 100

    public var touchpoints: [Touchpoint] = []
    /// Events of the current line that were rejected while others of it were emitted (one
    /// element of a SendGrid webhook array), the first `eventRejectLimit` of them. The line
    /// counts once, as a touchpoint line; each of these is written to the rejects and counted as
    /// a rejected event, not a rejected line.
    public var eventRejects: [EventReject] = []
    /// The current line's rejected events past `eventRejectLimit`, counted by reason.
    public var moreEventRejects: [RejectReason: Int64] = [:]
    public init() {}
    @inlinable public mutating func emit(_ t: Touchpoint) { touchpoints.append(t) }
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
    /// Reads one line (without its terminator), emitting touchpoints into `out`.
    mutating func read(_ line: UnsafeBufferPointer<UInt8>, origin: Origin, into out: inout TouchpointBuffer) -> LineVerdict
}

extension LogReader {
    public var isStateful: Bool { false }
}
