import JourneysCore
import JourneysStages

/// `funnel.csv`: persons reaching each stage, in stage order.
///
/// `persons` counts journeys that reached the stage itself (its `stageTimes` entry is set);
/// people skip stages, so a stage can have more persons than the one before it and
/// `pct_of_previous` can exceed 1. Rates are fractions 0–1 with 4 decimals, like every rate in
/// the outputs (format the column as a percentage in the spreadsheet): `pct_of_start` is
/// persons / persons of the first stage, `pct_of_previous` persons / persons of the previous
/// stage, empty when the divisor is 0 (and `pct_of_previous` is empty on the first stage).
/// `median_hours_from_previous` is the median, over persons who reached both this and the
/// previous stage, of time(stage) − time(previous stage), only gaps ≥ 0 (a person who reached
/// the stages out of order is left out), in hours with 2 decimals; empty when there is none.
public struct FunnelReport: JourneyAggregate {
    public static let name = "funnel"
    public static let columns = ["stage", "persons", "pct_of_start", "pct_of_previous", "median_hours_from_previous"]

    public struct Row: Sendable, Equatable {
        public var stage: String
        public var persons: Int
        public var pctOfStart: Double?
        public var pctOfPrevious: Double?
        public var medianHoursFromPrevious: Double?
    }

    private let stages: [String]
    private var persons: [Int]
    /// Per stage, the gaps from the previous stage, counted by value.
    private var gaps: [Histogram]

    public var rows: [Row] {
        (0..<stages.count).map { s in
            Row(stage: stages[s], persons: persons[s],
                pctOfStart: ratio(persons[s], persons[0]),
                pctOfPrevious: s == 0 ? nil : ratio(persons[s], persons[s - 1]),
                medianHoursFromPrevious: gaps[s].median.map { $0 / millisPerHour })
        }
    }

    public init(config: JourneyConfig) {
        stages = config.stages
        persons = [Int](repeating: 0, count: stages.count)
        gaps = [Histogram](repeating: Histogram(), count: stages.count)
    }

    public mutating func add(_ j: Journey) {
        for s in 0..<min(stages.count, j.stageTimes.count) {
            guard let t = j.stageTimes[s] else { continue }
            persons[s] += 1
            if s > 0, s - 1 < j.stageTimes.count, let p = j.stageTimes[s - 1], t >= p { gaps[s].add(t - p) }
        }
    }

    public mutating func merge(_ other: Self) {
        precondition(stages == other.stages, "merged reports have the same stages")
        for s in stages.indices {
            persons[s] += other.persons[s]
            gaps[s].merge(other.gaps[s])
        }
    }

    public var table: Table {
        Table(columns: Self.columns, rows: rows.map {
            [.text($0.stage), .integer($0.persons), .rate($0.pctOfStart), .rate($0.pctOfPrevious), .hours($0.medianHoursFromPrevious)]
        })
    }
}
