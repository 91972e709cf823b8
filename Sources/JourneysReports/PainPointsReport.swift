import JourneysCore
import JourneysStages

/// `pain_points.csv`: where journeys broke, by kind and by the stage the person had reached.
///
/// `occurrences` counts pain points, `persons` the distinct persons with at least one of them.
/// Rows are sorted by kind (its snake_case name), then stage in stage order (stages not in
/// `JourneyConfig.stages`, such as an empty one before any stage was reached, come after, by
/// name).
public struct PainPointsReport: JourneyAggregate {
    public static let name = "pain_points"
    public static let columns = ["kind", "stage", "occurrences", "persons"]

    public struct Row: Sendable, Equatable {
        public var kind: PainKind
        public var stage: String
        public var occurrences = 0
        public var persons = 0
    }

    private struct Key: Hashable { var kind: PainKind; var stage: String }
    private var by: [Key: Row] = [:]
    private let stages: [String]

    public var rows: [Row] {
        let rank = Dictionary(stages.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
        return by.values.sorted {
            ($0.kind.rawValue, rank[$0.stage] ?? Int.max, $0.stage) < ($1.kind.rawValue, rank[$1.stage] ?? Int.max, $1.stage)
        }
    }

    public init(config: JourneyConfig) { stages = config.stages }

    public mutating func add(_ j: Journey) {
        var seen = Set<Key>()
        for p in j.painPoints {
            let k = Key(kind: p.kind, stage: p.stage)
            by[k, default: Row(kind: p.kind, stage: p.stage)].occurrences += 1
            if seen.insert(k).inserted { by[k]!.persons += 1 }
        }
    }

    public mutating func merge(_ other: Self) {
        by.merge(other.by) { a, b in
            Row(kind: a.kind, stage: a.stage, occurrences: a.occurrences + b.occurrences, persons: a.persons + b.persons)
        }
    }

    public var table: Table {
        Table(columns: Self.columns, rows: rows.map {
            [.text($0.kind.rawValue), .text($0.stage.isEmpty ? nil : $0.stage), .integer($0.occurrences), .integer($0.persons)]
        })
    }
}
