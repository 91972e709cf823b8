import Foundation
import JourneysPipeline
import JourneysReaders
import Testing

/// The built `journeys` binary (next to the test bundle in the build folder).
let journeysBinary: URL = {
    var dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    for _ in 0..<4 {
        let candidate = dir.appendingPathComponent("journeys")
        if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        dir = dir.deletingLastPathComponent()
    }
    return URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("journeys")
}()

let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

struct RunResult {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// Runs `journeys` with `args`, feeding `stdin` bytes, from the repository folder. Standard
/// streams go through temporary files, so no pipe can fill up and block.
/// The pseudonym key every CLI test runs with (as `make golden` does), unless it passes `piiKey: nil`.
let testPIIKey = "journeys-test-key-not-secret-0123456789"

/// `under` runs it through another program, e.g. `["/usr/bin/prlimit", "--as=…"]`; `asGiven`
/// runs `run` with exactly `args` (no `--max-reject-ratio 1` added), as a user would.
func journeys(_ args: [String], stdin: [UInt8] = [], piiKey: String? = testPIIKey, environment: [String: String] = [:],
              under wrapper: [String] = [], asGiven: Bool = false) throws -> RunResult {
    let dir = TempDir()
    let inPath = dir.write("stdin", stdin)
    let outPath = dir.write("stdout", [])
    let errPath = dir.write("stderr", [])
    let p = Process()
    p.executableURL = journeysBinary
    // The fixtures hold deliberately bad lines, far over run's default --max-reject-ratio (1%):
    // run tests use a ratio of 1 unless they set one themselves (events checks none by default).
    if !asGiven, let cmd = args.first, cmd == "run", !args.contains("--max-reject-ratio"), !args.contains("--help") {
        p.arguments = [cmd, "--max-reject-ratio", "1"] + args.dropFirst()
    } else {
        p.arguments = args
    }
    if let program = wrapper.first {
        p.executableURL = URL(fileURLWithPath: program)
        p.arguments = wrapper.dropFirst() + [journeysBinary.path] + (p.arguments ?? [])
    }
    var env = ProcessInfo.processInfo.environment
    env["JOURNEYS_PII_KEY"] = piiKey
    env["SOURCE_DATE_EPOCH"] = "0" // summary.json's generated_at, as the golden outputs have it
    env.merge(environment) { $1 }
    p.environment = env
    p.currentDirectoryURL = repo
    p.standardInput = FileHandle(forReadingAtPath: inPath)
    p.standardOutput = FileHandle(forWritingAtPath: outPath)
    p.standardError = FileHandle(forWritingAtPath: errPath)
    try p.run()
    p.waitUntilExit()
    return RunResult(status: p.terminationStatus,
                     stdout: String(decoding: try Data(contentsOf: URL(fileURLWithPath: outPath)), as: UTF8.self),
                     stderr: String(decoding: try Data(contentsOf: URL(fileURLWithPath: errPath)), as: UTF8.self))
}

func fixtureBytes(_ path: String) throws -> [UInt8] {
    [UInt8](try Data(contentsOf: repo.appendingPathComponent(path)))
}

@Suite(.serialized) struct CLITests {
    @Test func formatsListsEveryFormat() throws {
        let r = try journeys(["formats"])
        #expect(r.status == 0)
        for name in ["combined", "common", "nginx", "json_access", "w3c", "sendgrid", "ses", "chat", "jsonl", "csv"]
                + Presets.all.map(\.name) {
            #expect(r.stdout.contains("\n\(name) (") || r.stdout.hasPrefix("\(name) ("), "\(name)")
        }
    }

    @Test func versionIsPrinted() throws {
        let r = try journeys(["--version"])
        #expect(r.status == 0)
        #expect(r.stdout == JourneysVersion.string + "\n")
    }

    @Test func helpExplainsEveryCommand() throws {
        for cmd in [["--help"], ["events", "--help"], ["formats", "--help"]] {
            let r = try journeys(cmd)
            #expect(r.status == 0)
            #expect(r.stdout.contains("USAGE"))
        }
        #expect(try journeys(["events", "--help"]).stdout.contains("Exit statuses"))
    }

    @Test func gzippedWebLogsOnStdin() throws {
        let gz = try fixtureBytes("fixtures/web/access.log.gz")
        let piped = try journeys(["events", "--format", "combined"], stdin: gz + gz)
        let direct = try journeys(["events", "--format", "combined", "fixtures/web/access.log"])
        #expect(piped.status == 0)
        let pipedLines = piped.stdout.split(separator: "\n")
        let directLines = direct.stdout.split(separator: "\n")
        #expect(!directLines.isEmpty)
        #expect(pipedLines.count == 2 * directLines.count) // two concatenated members: both read
        #expect(pipedLines.first?.contains(#""input":"<stdin>""#) == true)
        #expect(piped.stderr.contains("rejected"))
    }

    @Test func outputIsTheSameForAnyThreadCountAndInputOrder() throws {
        let inputs = ["fixtures/web/access.log.gz", "fixtures/email/sendgrid_events.ndjson", "fixtures/chat/chat.jsonl.gz"]
        let one = try journeys(["events", "--threads", "1"] + inputs)
        let many = try journeys(["events", "--threads", "4"] + inputs.reversed())
        #expect(one.status == many.status)
        #expect(!one.stdout.isEmpty)
        #expect(one.stdout == many.stdout)
        let csv1 = try journeys(["events", "--csv", "--threads", "1"] + inputs)
        let csv2 = try journeys(["events", "--csv", "--threads", "3"] + inputs)
        #expect(csv1.stdout == csv2.stdout)
        #expect(csv1.stdout.hasPrefix("\u{FEFF}time,channel,action"))
    }

    @Test func exitStatuses() throws {
        #expect(try journeys(["events", "--format", "bogus", "x"]).status == 64)
        #expect(try journeys(["events", "--threads", "0"]).status == 64)
        let missing = try journeys(["events", "--format", "combined", "no/such/file.log"])
        #expect(missing.status == 66)
        #expect(missing.stderr.contains("no/such/file.log"))
        let dir = TempDir()
        let bad = dir.write("p.yaml", Array("sources:\n  - path: x\n    colour: red\n".utf8))
        let cfg = try journeys(["events", "--pipeline", bad])
        #expect(cfg.status == 78)
        #expect(cfg.stderr.contains("p.yaml:3: sources[0].colour: unknown key"))
        #expect(!cfg.stderr.contains("Fatal error"))
    }

    @Test func closedPipeExitsQuietly() throws {
        // `journeys events big | head -1`: read one line, close the pipe, expect status 0 and no trace.
        var many: [UInt8] = []
        let line = Array(#"10.1.1.1 - - [10/Oct/2026:13:55:36 -0700] "GET /x HTTP/1.1" 200 5 "-" "Mozilla/5.0""#.utf8) + [10]
        for _ in 0..<100_000 { many += line }
        let dir = TempDir()
        let path = dir.write("big.log", many)
        let p = Process()
        p.executableURL = journeysBinary
        p.arguments = ["events", "--format", "combined", path]
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        _ = out.fileHandleForReading.availableData
        try out.fileHandleForReading.close()
        let errText = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(p.terminationStatus == 0)
        #expect(!errText.contains("Fatal") && !errText.contains("Backtrace"))
    }

    @Test func rejectsFileKeepsEveryRejectedLine() throws {
        let dir = TempDir()
        let input = dir.write("mixed.log", Array("""
        10.1.1.1 - - [10/Oct/2026:13:55:36 -0700] "GET /x HTTP/1.1" 200 5 "-" "Mozilla/5.0"
        garbage line one
        10.1.1.1 - - [10/Oct/2026:13:55:37 -0700] "GET /y HTTP/1.1" 200 5 "-" "Mozilla/5.0"
        \u{00}nul
        """.utf8) + [10, 0xff, 0xfe, 10])
        let rejects = dir.url.appendingPathComponent("rejects.ndjson").path
        let r = try journeys(["events", "--format", "combined", "--rejects", rejects, input])
        #expect(r.status == 0)
        #expect(r.stdout.split(separator: "\n").count == 2)
        let lines = try String(contentsOfFile: rejects, encoding: .utf8).split(separator: "\n")
        try #require(lines.count == 3)
        #expect(lines[0].contains(#""line":2"#) && lines[0].contains(#""raw":"garbage line one""#))
        #expect(lines[1].contains(#""line":4"#) && lines[1].contains(#""reason":"malformed""#))
        #expect(lines[2].contains(#""line":5"#) && lines[2].contains(#""reason":"invalid_utf8""#) && lines[2].contains(#""raw_b64":"//4=""#))
        let mode = try FileManager.default.attributesOfItem(atPath: rejects)[.posixPermissions] as? Int
        #expect(mode == 0o600)
    }

    @Test func everyFormatYieldsTouchpointsFromTheBundledPipeline() throws {
        let r = try journeys(["events", "--threads", "1", "--pipeline", "pipelines/all-formats.yaml"])
        #expect(r.status == 0)
        let pipeline = try String(contentsOf: repo.appendingPathComponent("pipelines/all-formats.yaml"), encoding: .utf8)
        let sources = pipeline.split(separator: "\n").compactMap { line -> String? in
            guard let at = line.range(of: "- path: ../") else { return nil }
            return String(line[at.upperBound...])
        }
        #expect(sources.count == 15)
        for s in sources {
            #expect(r.stdout.contains(#""input":"\#(s)""#), "no touchpoint from \(s)")
        }
        let parallel = try journeys(["events", "--threads", "4", "--pipeline", "pipelines/all-formats.yaml"])
        #expect(parallel.stdout == r.stdout)
        #expect(parallel.stderr == r.stderr)
    }
}
