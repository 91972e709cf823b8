import JourneysCore
import JourneysStages

/// `paths.csv`: how many persons followed each channel path, and how many of them converted.
///
/// A journey's path is the acquisition channels of its sessions in order, consecutive repeats
/// collapsed (`email, email, direct` is `email > direct`), cut to the first
/// `JourneyConfig.pathDepth` steps, joined with ` > `; a journey without sessions has the path
/// `(none)`. Every path is listed (not a top-N), by persons descending, then path.
/// `conversion_rate` is converters / persons (0–1, 4 decimals).
public struct PathsReport: JourneyAggregate {
    public static let name = "paths"
    public static let columns = ["path", "persons", "converters", "conversion_rate"]

    public struct Row: Sendable, Equatable {
        public var path: String
        public var persons = 0
        public var converters = 0
        public var conversionRate: Double? { ratio(converters, persons) }
    }

    private let depth: Int
    private var by: [String: Row] = [:]
    public var rows: [Row] { by.values.sorted { ($1.persons, $0.path) < ($0.persons, $1.path) } }

    public init(config: JourneyConfig) { depth = config.pathDepth }

    public mutating func add(_ j: Journey) {
        let p = Self.path(j, depth: depth)
        by[p, default: Row(path: p)].persons += 1
        if j.converted { by[p]!.converters += 1 }
    }

    public mutating func merge(_ other: Self) {
        by.merge(other.by) { a, b in Row(path: a.path, persons: a.persons + b.persons, converters: a.converters + b.converters) }
    }

    public var table: Table {
        Table(columns: Self.columns, rows: rows.map {
            [.text($0.path), .integer($0.persons), .integer($0.converters), .rate($0.conversionRate)]
        })
    }

    /// The channel path of one journey (see the type's description).
    public static func path(_ j: Journey, depth: Int) -> String {
        var steps: [String] = []
        for s in j.sessionsInOrder where steps.last != s.channel {
            if steps.count == max(depth, 1) { break }
            steps.append(s.channel)
        }
        return steps.isEmpty ? noChannel : steps.joined(separator: " > ")
    }
}
