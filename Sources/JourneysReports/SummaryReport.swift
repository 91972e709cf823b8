import JourneysCore
import JourneysStages

/// What the runner measured while reading; `summary.json` writes it under `"run"`.
public struct RunStatistics: Sendable, Equatable {
    /// Inputs read (files and stdin).
    public var inputs = 0
    /// Inputs that were damaged (truncated or corrupt gzip, unreadable): the run is partial.
    public var damagedInputs = 0
    /// Bytes read, compressed as stored.
    public var bytes: Int64 = 0
    /// Lines read after decompression.
    public var lines: Int64 = 0
    public var touchpoints: Int64 = 0
    /// Lines skipped by reason (`bot`, `static_asset`, `duplicate`, `blank`, …).
    public var skipped: [String: Int64] = [:]
    /// Lines rejected by reason code.
    public var rejects: [String: Int64] = [:]
    /// Events rejected by reason code within lines that also gave touchpoints (one element of a
    /// SendGrid webhook array); those lines count as touchpoint lines, not here.
    public var rejectedEvents: [String: Int64] = [:]
    /// Records ignored on purpose (`ignore:`) within lines that also gave touchpoints.
    public var ignoredEvents: Int64 = 0
    public var persons = 0
    /// Links not used to merge persons because a key had too many partners (`mergeLimit`).
    public var mergesBlocked = 0
    public var elapsedSeconds = 0.0
    /// Touchpoints dropped as repeats of ones read before (`Duplicates`).
    public var duplicates: Int64 = 0
    /// Per input: where each line went.
    public var inputsDetail: [InputDetail] = []
    /// What made these outputs: the journeys version, when (UTC ms; `SOURCE_DATE_EPOCH` when
    /// set), the pipeline file and the SHA-256 of its bytes (nil for the embedded default).
    public var version = ""
    public var generatedAt: Int64 = 0
    public var pipeline = "<default>"
    public var pipelineSHA256: String?
    /// The report's zone, and `--since` / `--until` (dates in it) when given.
    public var timezone = "UTC"
    public var since: String?
    public var until: String?
    /// Touchpoints left out as outside `--since` / `--until`.
    public var outsideWindow: Int64 = 0
    /// With `--state`: the folder, this run's number, the touchpoints of earlier runs joined,
    /// the inputs recognised as read before, and the retention's cut (UTC ms).
    public var state: StateStatistics?

    public init() {}
}

/// `summary.json`'s `run.state`.
public struct StateStatistics: Sendable, Equatable {
    public var dir: String
    public var run: Int
    public var earlierTouchpoints: Int64
    public var inputsReadBefore: Int
    public var keptFrom: Int64?
    public init(dir: String, run: Int, earlierTouchpoints: Int64, inputsReadBefore: Int, keptFrom: Int64?) {
        self.dir = dir
        self.run = run
        self.earlierTouchpoints = earlierTouchpoints
        self.inputsReadBefore = inputsReadBefore
        self.keptFrom = keptFrom
    }
}

/// Where one input's lines went: `lines == touchpoints + skipped + duplicates + rejected`, where
/// `touchpoints` counts lines that produced touchpoints (a line can produce more than one).
public struct InputDetail: Sendable, Equatable {
    public var name: String
    public var format: String?
    /// The format was detected from the input's first lines, not named.
    public var formatDetected = false
    public var lines: Int64 = 0
    public var touchpoints: Int64 = 0
    public var skipped: [String: Int64] = [:]
    public var duplicates: Int64 = 0
    public var rejected: [String: Int64] = [:]
    /// Events rejected within lines counted under `touchpoints` (see `RunStatistics.rejectedEvents`).
    public var rejectedEvents: [String: Int64] = [:]
    /// Records ignored within lines counted under `touchpoints` (see `RunStatistics.ignoredEvents`).
    public var ignoredEvents: Int64 = 0
    /// The damage found, as in the warning (`byte N, gzip member M: kind: text`), or nil.
    public var damage: String?

    public init(name: String, format: String?) {
        self.name = name
        self.format = format
    }

    /// Whether the counts add up to the lines read.
    public var balances: Bool {
        lines == touchpoints + skipped.values.reduce(0, +) + duplicates + rejected.values.reduce(0, +)
    }
}

/// `summary.json`: totals over all journeys, the funnel, and the run statistics.
///
/// ```
/// {
///   "schema_version": 1,
///   "totals": {"persons": …, "touchpoints": …, "sessions": …, "converters": …,
///              "conversion_rate": …, "repeat_buyers": …, "repeat_purchase_rate": …, "orders": …,
///              "revenue": …, "revenue_per_person": …, "pain_points": …, "nps_respondents": …,
///              "nps": …, "first_seen": "…", "last_seen": "…"},
///   "funnel": [{"stage": …, "persons": …, "pct_of_start": …, "pct_of_previous": …,
///               "median_hours_from_previous": …}, …],
///   "run": {"journeys_version": …, "generated_at": …, "pipeline": …, "pipeline_sha256": …,
///           "timezone": …, "since": …, "until": …, "outside_window": …,
///           "state": {"dir": …, "run": …, "earlier_touchpoints": …, "inputs_read_before": …,
///                     "kept_from": …} or null,
///           "inputs": …, "damaged_inputs": …, "bytes": …, "lines": …, "touchpoints": …,
///           "skipped": {reason: count}, "rejects": {reason: count},
///           "rejected_events": {reason: count}, "ignored_events": …, "persons": …,
///           "merges_blocked": …, "elapsed_seconds": …, "duplicates": …,
///           "inputs_detail": [{"name": …, "format": …, "format_detected": …, "lines": …, "touchpoints": …,
///                              "skipped": {reason: count}, "duplicates": …,
///                              "rejected": {reason: count}, "rejected_events": {reason: count}, "ignored_events": …,
///                              "damage": … or null}, …]}
/// }
/// ```
/// `conversion_rate` is converters / persons; `repeat_buyers` have two orders or more and
/// `repeat_purchase_rate` is repeat buyers / converters; `revenue` is the sum of the orders'
/// cents (`Order.cents`), exact; `revenue_per_person` is revenue / persons (lifetime value over
/// the window read), rounded half away from zero to the cent; `nps` is the Net Promoter Score over persons
/// with a survey score (their last): % promoters (9–10) − % detractors (0–6), −100 … 100 with
/// 2 decimals, null without respondents. Rates are 0–1 with 4 decimals.
/// Funnel values are written as in `funnel.csv`; reasons are sorted by name; times ISO-8601
/// UTC (null without touchpoints); revenue has 2 decimals, elapsed seconds 3. The document is
/// pretty-printed, UTF-8 without a BOM, and ends with a newline. `schema_version` changes when
/// a field is renamed or removed (new fields do not change it).
public struct SummaryReport: JourneyAggregate {
    public static let name = "summary"
    public static let schemaVersion = 1

    public var persons = 0
    public var touchpoints = 0
    public var sessions = 0
    public var converters = 0
    /// Persons with at least two orders.
    public var repeatBuyers = 0
    public var orders = 0
    /// In cents.
    public var revenue: Int128 = 0
    public var painPoints = 0
    public var npsRespondents = 0
    public var npsPromoters = 0
    public var npsDetractors = 0
    public var firstSeen: Int64?
    public var lastSeen: Int64?
    /// Fed the same journeys (`funnel.csv` is written from it).
    public var funnel: FunnelReport
    public var statistics = RunStatistics()

    public init(config: JourneyConfig) { funnel = FunnelReport(config: config) }

    public mutating func add(_ j: Journey) {
        persons += 1
        touchpoints += j.touchpointCount
        sessions += j.sessions.count
        if j.converted { converters += 1 }
        if j.orders.count >= 2 { repeatBuyers += 1 }
        if let score = j.nps {
            npsRespondents += 1
            if score >= 9 { npsPromoters += 1 } else if score <= 6 { npsDetractors += 1 }
        }
        orders += j.orders.count
        revenue += j.revenueCents
        painPoints += j.painPoints.count
        if let f = j.firstSeen { firstSeen = min(firstSeen ?? f, f) }
        if let l = j.lastSeen { lastSeen = max(lastSeen ?? l, l) }
        funnel.add(j)
    }

    public mutating func merge(_ other: Self) {
        persons += other.persons; touchpoints += other.touchpoints; sessions += other.sessions
        converters += other.converters; repeatBuyers += other.repeatBuyers; orders += other.orders
        revenue += other.revenue; painPoints += other.painPoints
        npsRespondents += other.npsRespondents; npsPromoters += other.npsPromoters; npsDetractors += other.npsDetractors
        if let f = other.firstSeen { firstSeen = min(firstSeen ?? f, f) }
        if let l = other.lastSeen { lastSeen = max(lastSeen ?? l, l) }
        funnel.merge(other.funnel)
    }

    /// % promoters − % detractors, nil without respondents.
    public var nps: Double? {
        npsRespondents == 0 ? nil : Double(npsPromoters - npsDetractors) / Double(npsRespondents) * 100
    }

    public func encode() -> [UInt8] {
        func cell(_ c: Cell) -> JSONValueOut {
            var o: [UInt8] = []
            JSONWriter.appendValue(c, to: &o)
            return .raw(String(decoding: o, as: UTF8.self))
        }
        func counts(_ d: [String: Int64]) -> JSONValueOut {
            .object(d.keys.sorted().map { ($0, .int(d[$0]!)) })
        }
        let s = statistics
        let funnelTable = funnel.table
        let doc = JSONValueOut.object([
            ("schema_version", .int(Self.schemaVersion)),
            ("totals", .object([
                ("persons", .int(persons)), ("touchpoints", .int(touchpoints)), ("sessions", .int(sessions)),
                ("converters", .int(converters)), ("conversion_rate", cell(.rate(ratio(converters, persons)))),
                ("repeat_buyers", .int(repeatBuyers)), ("repeat_purchase_rate", cell(.rate(ratio(repeatBuyers, converters)))),
                ("orders", .int(orders)), ("revenue", cell(.money(revenue))),
                ("revenue_per_person", cell(.money(persons == 0 ? nil : Fixed.quotient(revenue, Int128(persons))))),
                ("pain_points", .int(painPoints)), ("nps_respondents", .int(npsRespondents)), ("nps", cell(.decimal(nps, places: 2))),
                ("first_seen", cell(.timestamp(firstSeen))), ("last_seen", cell(.timestamp(lastSeen))),
            ])),
            ("funnel", .array((0..<funnelTable.count).map { JSONWriter.object(funnelTable, row: $0) })),
            ("run", .object([
                ("journeys_version", .string(s.version)), ("generated_at", cell(.timestamp(s.generatedAt))),
                ("pipeline", .string(s.pipeline)), ("pipeline_sha256", s.pipelineSHA256.map { .string($0) } ?? .raw("null")),
                ("timezone", .string(s.timezone)),
                ("since", s.since.map { .string($0) } ?? .raw("null")), ("until", s.until.map { .string($0) } ?? .raw("null")),
                ("outside_window", .int(Int(s.outsideWindow))),
                ("state", s.state.map { st in
                    .object([("dir", .string(st.dir)), ("run", .int(st.run)), ("earlier_touchpoints", .int(Int(st.earlierTouchpoints))),
                             ("inputs_read_before", .int(st.inputsReadBefore)), ("kept_from", cell(.timestamp(st.keptFrom)))])
                } ?? .raw("null")),
                ("inputs", .int(s.inputs)), ("damaged_inputs", .int(s.damagedInputs)), ("bytes", .int(s.bytes)),
                ("lines", .int(s.lines)), ("touchpoints", .int(s.touchpoints)), ("skipped", counts(s.skipped)),
                ("rejects", counts(s.rejects)), ("rejected_events", counts(s.rejectedEvents)), ("ignored_events", .int(Int(s.ignoredEvents))), ("persons", .int(s.persons)), ("merges_blocked", .int(s.mergesBlocked)),
                ("elapsed_seconds", cell(.decimal(s.elapsedSeconds, places: 3))),
                ("duplicates", .int(s.duplicates)),
                ("inputs_detail", .array(s.inputsDetail.map { d in
                    .object([
                        ("name", .string(d.name)), ("format", d.format.map { .string($0) } ?? .raw("null")),
                        ("format_detected", .raw(d.formatDetected ? "true" : "false")),
                        ("lines", .int(d.lines)), ("touchpoints", .int(d.touchpoints)), ("skipped", counts(d.skipped)),
                        ("duplicates", .int(d.duplicates)), ("rejected", counts(d.rejected)),
                        ("rejected_events", counts(d.rejectedEvents)), ("ignored_events", .int(Int(d.ignoredEvents))),
                        ("damage", d.damage.map { .string($0) } ?? .raw("null")),
                    ])
                })),
            ])),
        ])
        var out: [UInt8] = []
        doc.encode(to: &out)
        out.append(10)
        return out
    }
}
