import Foundation
import JourneysCore
import JourneysGenerator
import Testing

/// `journeys run` with the shop pipeline over a generated data set must find exactly what the
/// generator's ground truth says: persons, purchasers, orders, revenue, every funnel stage,
/// the first-touch channels, and person by person the same. The generator computes its truth from
/// its own person model (`Observer`), never through the stitcher, builder or reports.
@Suite(.serialized) struct GroundTruthTests {
    /// The rows of a CSV file written by the reports (UTF-8 BOM, CRLF, header row; no cell here
    /// needs quotes), as header → cell maps.
    static func csvRows(_ path: String) throws -> [[String: String]] {
        var text = try String(contentsOfFile: path, encoding: .utf8)
        if text.hasPrefix("\u{FEFF}") { text.removeFirst() }
        let lines = text.split(whereSeparator: \.isNewline)
        guard let header = lines.first?.split(separator: ",", omittingEmptySubsequences: false).map(String.init) else { return [] }
        return lines.dropFirst().map { line in
            let cells = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            return Dictionary(uniqueKeysWithValues: zip(header, cells))
        }
    }

    static func json(_ path: String) throws -> JSONValue {
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        return try bytes.withUnsafeBufferPointer { b throws(JSONError) in try JSONParser.parse(b) }
    }

    static func int(_ v: JSONValue?) -> Int? { v?.text.flatMap { Int($0) } }

    /// An object's members as name → integer.
    static func counts(_ v: JSONValue?) -> [String: Int] {
        guard case .object(let members)? = v else { return [:] }
        var out: [String: Int] = [:]
        for (k, x) in members { out[k] = int(x) }
        return out
    }

    @Test func runRecoversTheGeneratedGroundTruth() throws {
        let dir = TempDir()
        let data = dir.url.path
        let summary = try Generator.run(GeneratorConfig(persons: 3000, days: 14, seed: 2026, startDay: GeneratorConfig.day(of: "2026-10-01")!,
                                                        out: data, threads: 2))
        // The shop pipeline itself, its sources pointed at the generated files.
        let shop = try String(contentsOf: repo.appendingPathComponent("pipelines/shop.yaml"), encoding: .utf8)
        #expect(shop.components(separatedBy: "../fixtures/demo/").count == 4, "shop.yaml reads web, email and chat from fixtures/demo")
        let pipeline = dir.write("shop.yaml", Array(shop.replacingOccurrences(of: "../fixtures/demo/", with: "").utf8))
        let out = data + "/out"
        let r = try journeys(["run", "--quiet", "--pipeline", pipeline, "--out", out])
        try #require(r.status == 0, "\(r.stderr)")

        let truth = try Self.json(data + "/truth.json")
        let run = try Self.json(out + "/summary.json")
        let persons = try #require(Self.int(truth["person_count"]))
        #expect(persons >= 3000 && persons < 3200, "a few simulated persons show as two: \(persons)")
        #expect(Self.int(truth["split_persons"]) == persons - 3000)

        // Totals.
        #expect(Self.int(run.at(path: "totals.persons")) == persons)
        #expect(Self.int(run.at(path: "run.persons")) == persons)
        #expect(Self.int(run.at(path: "totals.converters")) == Self.int(truth["purchasers"]))
        #expect(Self.int(run.at(path: "totals.orders")) == Self.int(truth["order_count"]))
        #expect(Self.int(truth["order_count"]) == summary.orders.count)
        #expect(run.at(path: "totals.revenue")?.text == truth["revenue"]?.text)
        #expect(Self.int(run.at(path: "totals.sessions")) == Self.int(truth["sessions"]))
        #expect(Self.int(run.at(path: "totals.touchpoints")) == Self.int(truth["touchpoints"]))
        #expect(Self.int(run.at(path: "run.merges_blocked")) == 0)
        #expect((Self.int(truth["purchasers"]) ?? 0) > 100)

        // Funnel: every stage, in funnel.csv and summary.json.
        let funnel = Self.counts(truth["funnel"])
        #expect(funnel.keys.sorted() == ["advocacy", "awareness", "consideration", "decision", "purchase", "retention"])
        let funnelCSV = try Self.csvRows(out + "/funnel.csv")
        #expect(funnelCSV.map { $0["stage"] ?? "" } == ["awareness", "consideration", "decision", "purchase", "retention", "advocacy"])
        for row in funnelCSV {
            let stage = row["stage"] ?? ""
            #expect(row["persons"].flatMap { Int($0) } == funnel[stage], "funnel.csv \(stage)")
        }
        if case .array(let stages)? = run["funnel"] {
            for s in stages {
                let stage = s["stage"]?.text ?? ""
                #expect(Self.int(s["persons"]) == funnel[stage], "summary.json funnel \(stage)")
            }
        } else {
            Issue.record("summary.json has no funnel")
        }
        #expect((funnel["retention"] ?? 0) > 0 && (funnel["advocacy"] ?? 0) > 0)

        // First-touch channels: channels.csv lists exactly the channels the truth gives persons.
        let channels = Self.counts(truth["first_touch_channels"]).filter { $0.value > 0 }
        var got: [String: Int] = [:]
        for row in try Self.csvRows(out + "/channels.csv") { got[row["channel"] ?? "", default: 0] += Int(row["persons"] ?? "") ?? -1 }
        #expect(got == channels, "channels.csv \(got.sorted { $0.key < $1.key }), truth \(channels.sorted { $0.key < $1.key })")
        #expect(channels["(none)"] != nil, "persons who only received email still count")

        // Conservation per input kind: every malformed line generated is a reject, every crawler
        // and static file a skip, every other line a touchpoint.
        let lines = truth["lines"]
        let rejects = Self.counts(run.at(path: "run.rejects")).values.reduce(0, +)
        #expect(rejects == Self.int(lines?.at(path: "web.malformed")))
        #expect(Self.int(run.at(path: "run.skipped.bot")) == Self.int(lines?.at(path: "web.bots")))
        #expect(Self.int(run.at(path: "run.skipped.asset")) == Self.int(lines?.at(path: "web.assets")))
        #expect(Self.int(run.at(path: "run.lines")) == Self.int(lines?["total"]))

        // Person by person: journeys.csv has one row per truth person with the same first
        // touch, stages, orders, revenue, customer id, first time seen, touchpoints and sessions
        // (compared as multisets of rows, so the person id scheme does not matter).
        guard case .array(let truthPersons)? = truth["persons"] else {
            Issue.record("truth.json has no persons")
            return
        }
        #expect(truthPersons.count == persons)
        var want: [String: Int] = [:]
        for p in truthPersons {
            var stages: [String] = []
            if case .array(let s)? = p["stages"] { stages = s.compactMap(\.text) }
            let cells: [String?] = [p["first_touch_channel"]?.text, stages.joined(separator: ">"), p["orders"]?.text, p["revenue"]?.text,
                         p["customer_id"]?.text, p["first_seen"]?.text.map { String($0.prefix(19)) }, p["touchpoints"]?.text, p["sessions"]?.text]
            want[cells.map { $0 ?? "" }.joined(separator: " | "), default: 0] += 1
        }
        var have: [String: Int] = [:]
        for row in try Self.csvRows(out + "/journeys.csv") {
            let firstTouch = row["first_touch_channel"].flatMap { $0.isEmpty ? nil : $0 } ?? "(none)"
            let cells: [String?] = [firstTouch, row["stages"], row["orders"], row["revenue"], row["customer_id"], row["first_seen"].map { String($0.prefix(19)) },
                         row["touchpoints"], row["sessions"]]
            have[cells.map { $0 ?? "" }.joined(separator: " | "), default: 0] += 1
        }
        let onlyTruth = want.filter { have[$0.key] != $0.value }.keys.sorted()
        let onlyRun = have.filter { want[$0.key] != $0.value }.keys.sorted()
        let differing = onlyTruth.count + onlyRun.count
        let columns = "first touch | stages | orders | revenue | customer | first seen | touchpoints | sessions"
        #expect(differing == 0, "\(columns): truth has \(onlyTruth.prefix(4)), the run \(onlyRun.prefix(4))")
    }
}
