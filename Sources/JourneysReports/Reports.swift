import JourneysCore
import JourneysStages

/// The report tables, by the name a pipeline file's `outputs:` uses (also their file names).
public enum ReportKind: String, Sendable, CaseIterable, Equatable {
    case journeys, funnel, channels, attribution, paths
    case painPoints = "pain_points"
    case daily

    /// `journeys.csv`, `pain_points.json` …
    public func fileName(_ format: TableFormat) -> String { "\(rawValue).\(format.fileExtension)" }
}

/// Which outputs a run writes.
public struct ReportOptions: Sendable, Equatable {
    public var kinds: [ReportKind] = ReportKind.allCases
    public var formats: [TableFormat] = [.csv]
    /// CSV starts with a UTF-8 byte-order mark.
    public var bom = true
    /// Also write `summary.json`.
    public var summary = true

    public init(kinds: [ReportKind] = ReportKind.allCases, formats: [TableFormat] = [.csv], bom: Bool = true, summary: Bool = true) {
        self.kinds = kinds
        self.formats = formats
        self.bom = bom
        self.summary = summary
    }
}

/// A report as an accumulator: journeys are added one at a time (`add`), partial reports of the
/// same configuration are combined (`merge`), and the totals become a table only when it is
/// written (`table`, `SummaryReport.encode`), where they are rounded, once. So a run feeds
/// journeys partition by partition instead of holding them all, and partial results can be
/// merged.
///
/// A report keeps totals per channel, path, day …, which do not grow with persons (the funnel
/// keeps a count per distinct gap). Every total is exact — counts, money in cents, credit in
/// whole units (`AttributionReport.unitsPerConversion`), the funnel's gaps as counts by value —
/// so the written bytes are the same whatever order journeys are added in and however the
/// journeys are split between partial reports and these merged.
public protocol JourneyAggregate: Sendable {
    init(config: JourneyConfig)
    mutating func add(_ j: Journey)
    /// Adds the totals of `other`, made with the same configuration.
    mutating func merge(_ other: Self)
}

/// Builds the report tables and writes them into an output directory.
public enum Reports {
    /// Writes every selected table in every selected format, then `summary.json` (last, so it
    /// is also published last), into `directory`; the caller then calls `directory.commit()`.
    /// Write other outputs (`rejects.ndjson`) before calling this.
    ///
    /// `produce` hands every journey to `add`, in person order, a batch at a time, then returns
    /// the run's statistics for `summary.json`. Nothing here holds the journeys: the rows of
    /// `journeys.csv` are written as they come (so they must come in person order), the other
    /// reports keep totals (`Aggregates`).
    public static func write(config: JourneyConfig, options: ReportOptions = ReportOptions(), into directory: OutputDirectory,
                             produce: (_ add: ([Journey]) throws -> Void) throws -> RunStatistics) throws {
        var all = Aggregates(config: config, kinds: Set(options.kinds))
        let rows = options.kinds.contains(.journeys) ? options.formats : []
        var statistics = RunStatistics()
        try withFiles(rows.map { ReportKind.journeys.fileName($0) }[...], in: directory) { files in
            var streams = rows.map { TableStream(format: $0, columns: JourneysReport.columns, bom: options.bom) }
            var buffers = streams.indices.map { i in
                var o: [UInt8] = []
                streams[i].begin(to: &o)
                return o
            }
            var last: String?
            statistics = try produce { batch in
                for j in batch {
                    precondition(last.map { !(j.personID < $0) } ?? true, "journeys come in person order")
                    last = j.personID
                    all.add(j)
                    guard !files.isEmpty else { continue }
                    let cells = JourneysReport.row(j, stages: config.stages)
                    for i in files.indices {
                        streams[i].row(cells, to: &buffers[i])
                        if buffers[i].count >= 1 << 20 { try files[i].write(buffers[i]); buffers[i].removeAll(keepingCapacity: true) }
                    }
                }
            }
            for i in files.indices {
                streams[i].end(to: &buffers[i])
                try files[i].write(buffers[i])
            }
        }
        for kind in options.kinds {
            guard let table = all.table(kind) else { continue }
            for format in options.formats {
                try directory.write(kind.fileName(format), table: table, format: format, bom: options.bom)
            }
        }
        if options.summary {
            all.summary.statistics = statistics
            try directory.write("summary.json", bytes: all.summary.encode())
        }
    }

    /// Opens the outputs `names` (each through `OutputDirectory.write`, nested) and calls `body`
    /// with them all open.
    private static func withFiles(_ names: ArraySlice<String>, in directory: OutputDirectory, opened: [OutputFile] = [],
                                  _ body: ([OutputFile]) throws -> Void) throws {
        guard let name = names.first else { return try body(opened) }
        try directory.write(name) { file in try withFiles(names.dropFirst(), in: directory, opened: opened + [file], body) }
    }

    /// The reports a run writes besides `journeys.csv`, fed together (`JourneyAggregate`); the
    /// funnel is the summary's.
    public struct Aggregates: JourneyAggregate {
        public var summary: SummaryReport
        var channels: ChannelsReport?
        var attribution: AttributionReport?
        var paths: PathsReport?
        var painPoints: PainPointsReport?
        var daily: DailyReport?

        public init(config: JourneyConfig) { self.init(config: config, kinds: Set(ReportKind.allCases)) }

        /// The reports of `kinds` (and the summary, always).
        public init(config: JourneyConfig, kinds: Set<ReportKind>) {
            summary = SummaryReport(config: config)
            if kinds.contains(.channels) { channels = ChannelsReport(config: config) }
            if kinds.contains(.attribution) { attribution = AttributionReport(config: config) }
            if kinds.contains(.paths) { paths = PathsReport(config: config) }
            if kinds.contains(.painPoints) { painPoints = PainPointsReport(config: config) }
            if kinds.contains(.daily) { daily = DailyReport(config: config) }
        }

        public mutating func merge(_ other: Aggregates) {
            summary.merge(other.summary)
            if let o = other.channels { channels?.merge(o) }
            if let o = other.attribution { attribution?.merge(o) }
            if let o = other.paths { paths?.merge(o) }
            if let o = other.painPoints { painPoints?.merge(o) }
            if let o = other.daily { daily?.merge(o) }
        }

        public mutating func add(_ j: Journey) {
            summary.add(j)
            channels?.add(j)
            attribution?.add(j)
            paths?.add(j)
            painPoints?.add(j)
            daily?.add(j)
        }

        /// The table of `kind` (nil for `journeys`, written as the journeys come, and for a
        /// kind not selected).
        public func table(_ kind: ReportKind) -> Table? {
            switch kind {
            case .journeys: nil
            case .funnel: summary.funnel.table
            case .channels: channels?.table
            case .attribution: attribution?.table
            case .paths: paths?.table
            case .painPoints: painPoints?.table
            case .daily: daily?.table
            }
        }
    }
}

extension OutputDirectory {
    /// Writes `table` as `name` in `format`, streaming rows in pieces of about 1 MiB.
    public func write(_ name: String, table: Table, format: TableFormat, bom: Bool = true) throws {
        try write(name) { file in
            switch format {
            case .csv: try CSVWriter.encode(table, bom: bom) { try file.write($0); $0.removeAll(keepingCapacity: true) }
            case .json: try JSONWriter.encode(table) { try file.write($0); $0.removeAll(keepingCapacity: true) }
            }
        }
    }
}
