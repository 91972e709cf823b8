import JourneysCore
import JourneysStages

/// The report tables, by the name a pipeline file's `outputs:` uses (also their file names).
public enum ReportKind: String, Sendable, CaseIterable, Equatable {
    case journeys, funnel, channels, attribution, paths
    case painPoints = "pain_points"
    case daily

    /// The table of this report over `journeys`.
    public func table(_ journeys: [Journey], config: JourneyConfig) -> Table {
        switch self {
        case .journeys: JourneysReport(journeys: journeys, config: config).table
        case .funnel: FunnelReport(journeys: journeys, config: config).table
        case .channels: ChannelsReport(journeys: journeys, config: config).table
        case .attribution: AttributionReport(journeys: journeys, config: config).table
        case .paths: PathsReport(journeys: journeys, config: config).table
        case .painPoints: PainPointsReport(journeys: journeys, config: config).table
        case .daily: DailyReport(journeys: journeys, config: config).table
        }
    }

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

/// Builds the report tables and writes them into an output directory.
public enum Reports {
    /// Writes every selected table in every selected format, then `summary.json` (last, so it
    /// is also published last), into `directory`; the caller then calls `directory.commit()`.
    /// Write other outputs (`rejects.ndjson`) before calling this.
    public static func write(_ journeys: [Journey], config: JourneyConfig, statistics: RunStatistics,
                             options: ReportOptions = ReportOptions(), into directory: OutputDirectory) throws {
        let sorted = inPersonOrder(journeys)
        var funnel: FunnelReport?
        for kind in options.kinds {
            let table: Table
            if kind == .funnel {
                let f = FunnelReport(journeys: sorted, config: config)
                funnel = f
                table = f.table
            } else {
                table = kind.table(sorted, config: config)
            }
            for format in options.formats {
                try directory.write(kind.fileName(format), table: table, format: format, bom: options.bom)
            }
        }
        if options.summary {
            let summary = SummaryReport(journeys: sorted, config: config, funnel: funnel, statistics: statistics)
            try directory.write("summary.json", bytes: summary.encode())
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
