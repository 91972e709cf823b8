import Foundation
import JourneysPipeline
import Testing

/// `timezone: Europe/Berlin` in the pipeline: the report's days are Berlin days, across both
/// changes of 2026 (clocks forward at 01:00 UTC on 29 March, back at 01:00 UTC on 25 October).
@Suite(.serialized) struct ZoneRunTests {
    /// One page view per visitor (each its own IP), at these UTC instants.
    let visits = [
        "28/Mar/2026:22:59:59 +0000", // 23:59:59 CET, 28 March
        "28/Mar/2026:23:00:00 +0000", // 00:00 CET, 29 March
        "29/Mar/2026:21:59:59 +0000", // 23:59:59 CEST, 29 March (a 23-hour day)
        "29/Mar/2026:22:00:00 +0000", // 00:00 CEST, 30 March
        "24/Oct/2026:22:22:00 +0000", // 00:22 CEST, 25 October
        "25/Oct/2026:22:59:00 +0000", // 23:59 CET, 25 October (a 25-hour day)
        "25/Oct/2026:23:00:00 +0000", // 00:00 CET, 26 October
    ]

    func log() -> [UInt8] {
        Array(visits.enumerated().map { i, t in
            "10.2.0.\(i + 1) - - [\(t)] \"GET /products/\(i) HTTP/1.1\" 200 10 \"-\" \"Mozilla/5.0 (X11; Linux x86_64)\"\n"
        }.joined().utf8)
    }

    func daily(_ pipeline: String, _ options: [String] = [], summary: ((String) -> Void)? = nil) throws -> [String] {
        let d = TempDir()
        let input = d.write("access.log", log())
        let p = d.write("p.yaml", Array(pipeline.utf8))
        let out = d.url.appendingPathComponent("o").path
        let r = try journeys(["run", "--pipeline", p, "--format", "combined", "--out", out] + options + [input])
        #expect(r.status == 0, "\(r.stderr)")
        summary?(try String(contentsOfFile: out + "/summary.json", encoding: .utf8))
        let text = try String(contentsOfFile: out + "/daily.csv", encoding: .utf8)
        return text.replacingOccurrences(of: "\u{FEFF}", with: "").components(separatedBy: "\r\n").filter { !$0.isEmpty }
    }

    /// `--since` / `--until` are Berlin days: from 29 March 00:00 CET (23:00Z on the 28th) to the
    /// end of 25 October (23:00Z, CET); the visits on 28 March and 26 October are left out, and
    /// summary.json says so, with the zone, the version and the pipeline's SHA-256.
    @Test func sinceAndUntilAreDaysOfTheZone() throws {
        let pipeline = "timezone: Europe/Berlin\n"
        var summary = ""
        #expect(try daily(pipeline, ["--since", "2026-03-29", "--until", "2026-10-25"], summary: { summary = $0 }) == [
            "date,channel,touchpoints,persons,sessions,orders,revenue",
            "2026-03-29,web,2,2,2,0,0.00",
            "2026-03-30,web,1,1,1,0,0.00",
            "2026-10-25,web,2,2,2,0,0.00",
        ])
        #expect(summary.contains("\"since\": \"2026-03-29\",\n    \"until\": \"2026-10-25\",\n    \"outside_window\": 2,"))
        #expect(summary.contains("\"timezone\": \"Europe/Berlin\","))
        #expect(summary.contains("\"journeys_version\": \"\(JourneysVersion.string)\","))
        #expect(summary.contains("\"generated_at\": \"1970-01-01T00:00:00.000Z\",")) // SOURCE_DATE_EPOCH=0
        // SHA-256 of the 24 bytes "timezone: Europe/Berlin\n", as sha256sum prints it.
        #expect(summary.contains("\"pipeline_sha256\": \"68de1577ebdcc3ed97d2a7be68a2fd36cfac86272e817a7497c452eb6c6db572\","))
        let bad = try journeys(["run", "--since", "2026-10-26", "--until", "2026-10-25", "fixtures/web/access.log"])
        #expect(bad.status == 64)
        #expect(try journeys(["run", "--since", "2026-02-30", "fixtures/web/access.log"]).status == 64)
    }

    @Test func dailyCSVHasBerlinDays() throws {
        #expect(try daily("timezone: Europe/Berlin\n") == [
            "date,channel,touchpoints,persons,sessions,orders,revenue",
            "2026-03-28,web,1,1,1,0,0.00",
            "2026-03-29,web,2,2,2,0,0.00",
            "2026-03-30,web,1,1,1,0,0.00",
            "2026-10-25,web,2,2,2,0,0.00",
            "2026-10-26,web,1,1,1,0,0.00",
        ])
    }

    /// The same log in UTC days, for contrast: the visits move.
    @Test func dailyCSVInUTCByDefault() throws {
        #expect(try daily("version: 1\n") == [
            "date,channel,touchpoints,persons,sessions,orders,revenue",
            "2026-03-28,web,2,2,2,0,0.00",
            "2026-03-29,web,2,2,2,0,0.00",
            "2026-10-24,web,1,1,1,0,0.00",
            "2026-10-25,web,2,2,2,0,0.00",
        ])
    }

    /// A session that runs over Berlin midnight is cut there with `break_at_midnight`: one
    /// visitor at 23:50 and 00:10 Berlin time (21:50Z and 22:10Z on 29 March, CEST) has two
    /// sessions; in UTC it has one.
    @Test func midnightBreaksAreBerlinMidnights() throws {
        let d = TempDir()
        let lines = ["29/Mar/2026:21:50:00 +0000", "29/Mar/2026:22:10:00 +0000"].map {
            "10.3.0.1 - - [\($0)] \"GET /a HTTP/1.1\" 200 10 \"-\" \"Mozilla/5.0 (X11; Linux x86_64)\"\n"
        }.joined()
        let input = d.write("access.log", Array(lines.utf8))
        for (zone, sessions) in [("Europe/Berlin", 2), ("UTC", 1)] {
            let p = d.write("p-\(zone.count).yaml", Array("timezone: \(zone)\nsessions:\n  break_at_midnight: true\n".utf8))
            let out = d.url.appendingPathComponent("o-\(zone.count)").path
            #expect(try journeys(["run", "--pipeline", p, "--format", "combined", "--out", out, input]).status == 0)
            let summary = try String(contentsOfFile: out + "/summary.json", encoding: .utf8)
            #expect(summary.contains("\"sessions\": \(sessions),"), "\(zone)")
        }
    }

    /// Times written without an offset are Berlin wall-clock times, unless a source says otherwise;
    /// an unknown zone is a configuration error naming it.
    @Test func offsetlessTimesAndUnknownZones() throws {
        let d = TempDir()
        let input = d.write("events.jsonl", Array("{\"time\":\"2026-10-25T02:30:00\",\"event\":\"page_view\",\"visitor\":\"v1\"}\n".utf8))
        let p = d.write("p.yaml", Array("""
            timezone: Europe/Berlin
            sources:
              - path: events.jsonl
                format: jsonl
                fields: {time: time, action: event, visitor: visitor}

            """.utf8))
        let r = try journeys(["events", "--pipeline", p])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("\"time\":\"2026-10-25T00:30:00.000Z\"")) // the first 02:30, in CEST
        let bad = d.write("bad.yaml", Array("timezone: Europe/Atlantis\n".utf8))
        let e = try journeys(["run", "--pipeline", bad, input])
        #expect(e.status == 78)
        #expect(e.stderr.contains("unknown time zone \"Europe/Atlantis\""))
        let cli = try journeys(["events", "--timezone", "Mars/Olympus", input])
        #expect(cli.status == 64)
    }
}
