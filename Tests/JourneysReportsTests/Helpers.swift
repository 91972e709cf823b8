import JourneysCore
import JourneysStages
@testable import JourneysReports

/// Milliseconds of a day and time in 2026-10 (UTC): `at(10, 14, 30)` is 2026-10-10T14:30:00Z.
/// 2026-10-01 is day 20 727 since 1970 (56 years with 14 leap days = 20 454 days to 2026-01-01,
/// + 273 days of January–September).
func at(_ day: Int, _ h: Int, _ m: Int = 0, _ s: Int = 0) -> Int64 {
    (Int64(20_727 + day - 1) * 86_400 + Int64(h * 3600 + m * 60 + s)) * 1000
}

let hour: Int64 = 3_600_000
let day: Int64 = 86_400_000

/// A touchpoint on `channel` at `time`.
func tp(_ time: Int64, _ channel: Channel = .web, _ action: Action = .pageView, line: Int64 = 1) -> Touchpoint {
    Touchpoint(time: time, channel: channel, action: action, origin: Origin(input: 0, line: line, offset: 0))
}

/// A session of acquisition channel `channel` starting at `start` with touchpoints `first ..< first + count`.
func session(_ start: Int64, _ channel: String, first: Int = 0, count: Int = 1, campaign: String? = nil) -> Session {
    Session(start: start, end: start, channel: channel, campaign: campaign, first: first, count: count)
}

func order(_ time: Int64, _ value: Double, touchpoint: Int = 0, session: Int? = nil) -> Order {
    Order(time: time, value: value, currency: "EUR", touchpoint: touchpoint, session: session)
}

/// A journey whose touchpoints are one web page view at each session start (unless given).
func journey(_ id: String, customer: String? = nil, touchpoints: [Touchpoint]? = nil, sessions: [Session] = [],
             stageTimes: [Int64?] = [], orders: [Order] = [], painPoints: [PainPoint] = [],
             nps: Double? = nil, csat: Double? = nil) -> Journey {
    let tps = touchpoints ?? sessions.map { tp($0.start) }
    var ss = sessions
    if touchpoints == nil { for i in ss.indices { ss[i].first = i; ss[i].count = 1 } }
    return Journey(personID: id, customerID: customer, touchpoints: tps, sessions: ss, stageTimes: stageTimes,
                   orders: orders, painPoints: painPoints, nps: nps, csat: csat)
}

extension JourneyAggregate {
    /// The report over `journeys`, added one by one in the order given.
    init(journeys: [Journey], config: JourneyConfig) {
        self.init(config: config)
        for j in journeys { add(j) }
    }
}

extension SummaryReport {
    init(journeys: [Journey], config: JourneyConfig, statistics: RunStatistics) {
        self.init(journeys: journeys, config: config)
        self.statistics = statistics
    }
}

/// The outputs `Reports.write` writes for `journeys` (handed over in one batch) with `options`,
/// in a new directory: its path.
func written(_ journeys: [Journey], options: ReportOptions) throws -> String {
    let path = makeTempDir()
    let dir = try OutputDirectory(path: path)
    try Reports.write(config: JourneyConfig(), options: options, into: dir) { add in
        try add(journeys)
        return RunStatistics()
    }
    try dir.commit()
    return path
}

/// `journeys.csv` (without the BOM) or `journeys.json` as a run writes it for `journeys`.
func journeysFile(_ journeys: [Journey], _ format: TableFormat = .csv) throws -> String {
    let path = try written(journeys, options: ReportOptions(kinds: [.journeys], formats: [format], bom: false, summary: false))
    return contents(path + "/" + ReportKind.journeys.fileName(format)) ?? ""
}

/// CSV bytes as text, without the BOM.
func csvText(_ table: Table) -> String {
    String(decoding: CSVWriter.encode(table, bom: false), as: UTF8.self)
}

/// The data lines of CSV text (header dropped), without line ends.
func csvLines(_ text: String) -> [String] {
    text.split(separator: "\r\n", omittingEmptySubsequences: true).dropFirst().map(String.init)
}

/// The data lines of a CSV table (header dropped), without line ends.
func csvLines(_ table: Table) -> [String] { csvLines(csvText(table)) }
