import ArgumentParser
import JourneysGenerator
import JourneysPipeline

#if canImport(Glibc)
import Glibc
#endif

struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Write a seeded, realistic data set of web, email and chat logs with its ground truth.",
        discussion: """
        Simulates persons who arrive through acquisition channels (organic and paid search, \
        organic and paid social, email, referral, direct), browse, log in, buy, return, open \
        and click newsletters and chat, plus crawler traffic, static assets and malformed lines. \
        Writes, under --out: web/access-YYYY-MM-DD.log.gz (nginx, the log_format is in \
        web/log_format.txt), email/sendgrid-YYYY-MM-DD.json.gz (SendGrid Event Webhook), \
        chat/chat-YYYY-MM-DD.jsonl.gz, pipeline.yaml (reads all three with the journey \
        sections of pipelines/shop.yaml: `journeys run --pipeline DIR/pipeline.yaml`) and \
        truth.json (what that run must find: persons as the logs link them, purchasers, \
        orders, revenue, persons per funnel stage, first-touch channels, each person's \
        stages; lines per file by kind). Times are CET/CEST; files rotate at local midnight. \
        The same options give byte-identical files, whatever --threads.
        """,
        version: "generator \(Generator.version)"
    )

    @Option(help: ArgumentHelp("Persons to simulate (about 40 lines each per 30 days).", valueName: "n"))
    var persons: Int

    @Option(help: ArgumentHelp("Days of logs, one file per stream per day.", valueName: "n"))
    var days: Int

    @Option(help: ArgumentHelp("Seed of the random generator.", valueName: "n"))
    var seed: UInt64

    @Option(help: ArgumentHelp("Output directory (created if missing; earlier generated log files in it are replaced).", valueName: "dir"))
    var out: String

    @Option(help: ArgumentHelp("First day, local date.", valueName: "YYYY-MM-DD"))
    var start: String = "2026-10-01"

    @Option(help: ArgumentHelp("Worker threads (default: the number of cores).", valueName: "n"))
    var threads: Int?

    func validate() throws {
        if persons < 1 { throw ValidationError("--persons must be at least 1") }
        if days < 1 || days > 3660 { throw ValidationError("--days must be between 1 and 3660") }
        if GeneratorConfig.day(of: start) == nil { throw ValidationError("--start must be a date such as 2026-10-01") }
        if let t = threads, t < 1 { throw ValidationError("--threads must be at least 1") }
    }

    func run() throws {
        let config = GeneratorConfig(persons: persons, days: days, seed: seed, startDay: GeneratorConfig.day(of: start)!, out: out,
                                     threads: threads ?? Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        let summary: GeneratorSummary
        do {
            summary = try Generator.run(config)
        } catch {
            Stderr.line("journeys: error: \(error)")
            throw ExitCode(ExitStatus.cannotCreate.rawValue)
        }
        Stderr.line("journeys: wrote \(summary.files.count) files, \(summary.lines) lines, \(summary.compressedBytes) bytes "
            + "(\(summary.uncompressedBytes) uncompressed) to \(out); ground truth in \(out)/truth.json")
    }
}
