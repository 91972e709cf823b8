import Foundation
import Testing

/// `run` and `events` read through one front-end (`ReadFrontEnd`): the same inputs, with the same
/// reader options, whichever command reads them; an option that would do nothing is refused.
@Suite(.serialized) struct ReadFrontEndTests {
    /// Two chat events written without an offset, at 01:30 and 01:31 on 2 March.
    static let naiveChat = """
        {"id":"e1","type":"chat_started","conversation_id":"c-1","visitor_id":"v-1","timestamp":"2026-03-02T01:30:00"}
        {"id":"e2","type":"message","conversation_id":"c-1","visitor_id":"v-1","author_role":"visitor","timestamp":"2026-03-02T01:31:00","message":"Hello"}

        """

    /// The log_format that wrote fixtures/web/custom.log (its .log_format.txt, last line).
    static let customLogFormat = #"$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" $cookie_visitor_id $cookie_customer_id $request_time"#

    func text(_ path: String) throws -> String { try String(contentsOfFile: path, encoding: .utf8) }

    /// The `time` of each touchpoint `events` wrote.
    func times(_ ndjson: String) -> [String] {
        ndjson.split(separator: "\n").compactMap { line in
            line.range(of: #""time":""#).map { String(line[$0.upperBound...].prefix(24)) }
        }
    }

    /// The customer_id column of a journeys.csv (CRLF lines), sorted.
    func customerIds(_ csv: String) -> [String] {
        csv.split(whereSeparator: \.isNewline).dropFirst().map { String($0.split(separator: ",", omittingEmptySubsequences: false)[1]) }.sorted()
    }

    /// `--timezone` is applied by `run` as by `events`, to named inputs and over a pipeline
    /// source's own `timezone`: 01:30 at +02:00 is 23:30 UTC the day before. It is also the
    /// report's zone, so daily.csv counts the chat on the local day, 2 March.
    @Test func timezoneAppliesInRunAsInEvents() throws {
        let dir = TempDir()
        let input = dir.write("chat.jsonl", Array(Self.naiveChat.utf8))
        let pipeline = dir.write("p.yaml", Array("sources:\n  - path: chat.jsonl\n    format: chat\n    timezone: \"+01:00\"\n".utf8))
        for source in [["--format", "chat", input], ["--pipeline", pipeline]] {
            let out = dir.url.appendingPathComponent("out-\(source.count)").path
            let r = try journeys(["run", "--timezone", "+02:00", "--out", out] + source)
            #expect(r.status == 0, "\(r.stderr)")
            // first_seen, last_seen, touchpoints of the one person.
            #expect(try text(out + "/journeys.csv").contains(",2026-03-01T23:30:00.000Z,2026-03-01T23:31:00.000Z,2,"), "\(source)")
            #expect(try text(out + "/daily.csv").contains("\n2026-03-02,chat,2,1,"), "\(source)")
            let ev = try journeys(["events", "--timezone", "+02:00"] + source)
            #expect(ev.status == 0, "\(ev.stderr)")
            #expect(times(ev.stdout) == ["2026-03-01T23:30:00.000Z", "2026-03-01T23:31:00.000Z"], "\(source)")
        }
    }

    /// `run --format nginx --log-format …` reads the named inputs with that log_format, without a
    /// pipeline: custom.log's customer cookies (C-1001; C-3003, smaller than its `bob`) are read.
    /// Its persons: v-7f3a9c21 with C-1001, the iPhone by IP and user agent, v-1b2c3d4e
    /// (`anonymous` is no customer), v-9d8e7f60 with bob and C-3003 (`C%2D3003` decoded); the
    /// bot is skipped and the line with status `abc` rejected.
    @Test func logFormatAppliesInRunWithoutPipeline() throws {
        let dir = TempDir()
        let out = dir.url.appendingPathComponent("out").path
        let r = try journeys(["run", "--format", "nginx", "--log-format", Self.customLogFormat, "--out", out, "fixtures/web/custom.log"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(customerIds(try text(out + "/journeys.csv")) == ["", "", "C-1001", "C-3003"])
        let ev = try journeys(["events", "--format", "nginx", "--log-format", Self.customLogFormat, "fixtures/web/custom.log"])
        #expect(ev.stdout.contains(#""customer":"C-1001""#) && ev.stdout.contains(#""customer":"C-3003""#))
    }

    /// `--format` and `--log-format` override a pipeline source's `format`, in both commands.
    @Test func formatOverridesPipelineSources() throws {
        let dir = TempDir()
        let pipeline = dir.write("p.yaml", Array("sources:\n  - path: \(repo.path)/fixtures/web/custom.log\n    format: combined\n".utf8))
        let out = dir.url.appendingPathComponent("out").path
        let args = ["--pipeline", pipeline, "--format", "nginx", "--log-format", Self.customLogFormat]
        let r = try journeys(["run", "--out", out] + args)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(customerIds(try text(out + "/journeys.csv")) == ["", "", "C-1001", "C-3003"])
        let ev = try journeys(["events"] + args)
        #expect(ev.stdout.contains(#""customer":"C-1001""#) && ev.stdout.contains(#""customer":"C-3003""#))
    }

    /// Inputs named on the command line replace the pipeline's sources in `run` as in `events`:
    /// only the 15 lines of intercom_like.jsonl are read, not the pipeline's web log.
    @Test func namedInputsReplacePipelineSources() throws {
        let dir = TempDir()
        let pipeline = dir.write("p.yaml", Array("sources:\n  - path: \(repo.path)/fixtures/web/access.log\n    format: combined\n".utf8))
        let out = dir.url.appendingPathComponent("out").path
        let named = ["--pipeline", pipeline, "--format", "chat", "fixtures/chat/intercom_like.jsonl"]
        let r = try journeys(["run", "--out", out] + named)
        #expect(r.status == 0, "\(r.stderr)")
        let summary = try text(out + "/summary.json")
        #expect(summary.contains(#""inputs": 1,"#) && summary.contains(#""lines": 15,"#), "\(summary)")
        #expect(!summary.contains("access.log"))
        let ev = try journeys(["events"] + named)
        #expect(ev.stderr.contains("journeys: 1 input,"), "\(ev.stderr)")
        #expect(!ev.stdout.contains("access.log"))
    }

    /// An option that would do nothing is a usage error (64) that names it, in both commands:
    /// `--log-format` with no input read as nginx, `--no-bom` for output without a CSV file.
    @Test func optionsThatDoNothingAreRefused() throws {
        let dir = TempDir()
        let out = dir.url.appendingPathComponent("out").path
        for cmd in [["run", "--out", out], ["events"]] {
            let r = try journeys(cmd + ["--format", "combined", "--log-format", Self.customLogFormat, "fixtures/web/access.log"])
            #expect(r.status == 64, "\(cmd) \(r.stderr)")
            #expect(r.stderr.contains("--log-format"), "\(r.stderr)")
        }
        let bom = try journeys(["events", "--no-bom", "fixtures/web/access.log"])
        #expect(bom.status == 64 && bom.stderr.contains("--no-bom"), "\(bom.stderr)")
        let jsonOnly = dir.write("p.yaml", Array("outputs:\n  formats: [json]\n".utf8))
        let run = try journeys(["run", "--no-bom", "--pipeline", jsonOnly, "--out", out, "fixtures/web/access.log"])
        #expect(run.status == 64 && run.stderr.contains("--no-bom"), "\(run.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out))
    }

    /// Issue 11 (item 5): the format a run picked is named, on standard error and in
    /// summary.json, when it was detected; a named format is not called detected.
    @Test func aDetectedFormatIsNamed() throws {
        let dir = TempDir()
        let out = dir.url.appendingPathComponent("out").path
        let ev = try journeys(["events", "fixtures/web/access.log", "--format", "combined"])
        #expect(ev.status == 0, "\(ev.stderr)")
        #expect(!ev.stderr.contains("detected"), "\(ev.stderr)")
        let events = try journeys(["events", "fixtures/web/access.log", "fixtures/email/sendgrid_events.ndjson"])
        #expect(events.stderr.contains("journeys: format combined detected from the first lines of fixtures/web/access.log\n"), "\(events.stderr)")
        #expect(events.stderr.contains("journeys: format sendgrid detected from the first lines of fixtures/email/sendgrid_events.ndjson\n"),
                "\(events.stderr)")
        let run = try journeys(["run", "--max-reject-ratio", "1", "--out", out, "fixtures/web/access.log"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr.contains("journeys: format combined detected from the first lines of fixtures/web/access.log\n"), "\(run.stderr)")
        let summary = String(decoding: try Data(contentsOf: URL(fileURLWithPath: out + "/summary.json")), as: UTF8.self)
        #expect(summary.contains(#""format": "combined","#) && summary.contains(#""format_detected": true,"#), "\(summary)")
    }

    /// Issue 11 (item 5): a stray file in a log folder (a README, notes) that no reader
    /// recognises is reported and skipped, not a reason to fail the night; the same file named
    /// on the command line is still an error (its format must be named).
    @Test func aStrayFileInAFolderIsSkipped() throws {
        let dir = TempDir()
        let logs = dir.url.appendingPathComponent("logs").path
        try FileManager.default.createDirectory(atPath: logs, withIntermediateDirectories: true)
        let agent = "Mozilla/5.0 (X11; Linux x86_64; rv:131.0) Gecko/20100101 Firefox/131.0"
        let log = (1...3).map { #"192.0.2.\#($0) - - [04/Mar/2026:10:00:0\#($0) +0000] "GET /p\#($0) HTTP/1.1" 200 5 "-" "\#(agent)""# }
        try Data((log.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: logs + "/access.log"))
        let readme = "# Logs\n\nThese are the shop's access logs.\nRotated nightly.\n"
        try Data(readme.utf8).write(to: URL(fileURLWithPath: logs + "/README.md"))
        let out = dir.url.appendingPathComponent("out").path
        let r = try journeys(["run", "--out", out, logs])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("note: skipped \(logs)/README.md, not a log: no reader recognises its first 3 lines"), "\(r.stderr)")
        let summary = String(decoding: try Data(contentsOf: URL(fileURLWithPath: out + "/summary.json")), as: UTF8.self)
        #expect(summary.contains(#""skipped": {"blank": 1, "not_a_log": 3}"#), "\(summary)")
        let named = try journeys(["run", "--out", dir.url.appendingPathComponent("out2").path, logs + "/README.md"])
        #expect(named.status == 65, "\(named.stderr)")
        #expect(named.stderr.contains("cannot tell the format"), "\(named.stderr)")
    }

    /// Issue 11 (e): a field the pipeline names that no line of an input has (a misspelling) is
    /// a warning naming the role, the path and the input, not a silently empty column.
    @Test func aFieldNoLineHasIsAWarning() throws {
        let dir = TempDir()
        let log = dir.write("access.json", Array((#"{"time":"2026-10-01T10:00:00Z","request_uri":"/","status":200,"user_agent":"Mozilla/5.0","custid":"C1"}"# + "\n").utf8))
        func run(_ fields: String) throws -> RunResult {
            let p = dir.write("p.yaml", Array("sources:\n  - path: \(log)\n    format: json_access\n    fields: {\(fields)}\n".utf8))
            return try journeys(["events", "--pipeline", p, "--pii", "clear"])
        }
        let typo = try run("customer: cust_id, user_agent: user_agent")
        #expect(typo.status == 0)
        #expect(typo.stderr.contains("warning: \(log): no line has the field customer (cust_id) (of 1 lines; check the spelling in `fields:`)"), "\(typo.stderr)")
        let right = try run("customer: custid")
        #expect(!right.stderr.contains("no line has"), "\(right.stderr)")
        #expect(right.stdout.contains(#""customer":"C1""#))
    }
}
