import ArgumentParser
import JourneysCore
import JourneysPipeline

/// `journeys state`: look at and look after the folder `run --state` keeps.
struct StateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "state",
        abstract: "Look at and look after the state folder that `run --state` keeps between nights.",
        discussion: """
        The state (DIR/journeys.state) holds every touchpoint still within the retention, the \
        identity keys and strings they use, and a fingerprint of each input read, by which a \
        renamed or compressed copy is recognised and a grown log read from where it was left. \
        It is replaced whole, atomically, by each run (and by prune); a run that dies leaves \
        the previous one. Exit statuses: 0 ok; 65 the state is damaged or unreadable; 75 a run \
        holds the folder's lock (prune).
        """,
        subcommands: [Info.self, Verify.self, Prune.self, Export.self]
    )

    struct Folder: ParsableArguments {
        @Argument(help: ArgumentHelp("The state folder (what --state or state.dir names).", valueName: "dir"))
        var dir: String
    }

    /// Runs `body`; a state error is printed and is exit 65.
    static func answer(_ body: () throws -> Void) throws {
        do { try body() } catch let e as StateError {
            Stderr.line("journeys: error: state \(e)")
            throw ExitCode(ExitStatus.dataError.rawValue)
        }
    }

    struct Info: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print what the state holds: runs, retention, touchpoints, and each input read.")
        @OptionGroup var folder: Folder
        func run() throws {
            try StateCommand.answer { try StandardOutput.write(try StateMaintenance.info(dir: folder.dir)) }
        }
    }

    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Read the whole state, checking every checksum, count and reference; exit 65 when anything is wrong.")
        @OptionGroup var folder: Folder
        func run() throws {
            try StateCommand.answer { try StandardOutput.write(try StateMaintenance.verify(dir: folder.dir) + "\n") }
        }
    }

    struct Prune: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Drop the touchpoints before a date (UTC); the inputs read stay known, so they are not read again.")
        @OptionGroup var folder: Folder
        @Option(name: .long, help: ArgumentHelp("Drop touchpoints before this day (YYYY-MM-DD, UTC midnight).", valueName: "date"))
        var before: String
        @Flag(name: .long, help: "When a run holds the folder's lock, wait for it instead of failing with 75.")
        var wait = false
        func run() throws {
            guard let day = RunJob.dayNumber(before) else { throw ValidationError("--before: \"\(before)\" is not a date such as 2026-01-31") }
            let cutoff = day * 86_400_000
            try StateCommand.answer {
                try StandardOutput.write(try StateMaintenance.prune(dir: folder.dir, before: cutoff, wait: wait) + "\n")
            }
        }
    }

    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Write every touchpoint of the state to standard output as JSON lines, with its input, line and identity keys.")
        @OptionGroup var folder: Folder
        func run() throws {
            let out = try StandardOutput.open()
            try StateCommand.answer {
                do {
                    try StateMaintenance.export(dir: folder.dir) { try out.write($0) }
                    try out.flush()
                } catch let e as StateError { throw e } catch { try StandardOutput.failed(error) }
            }
        }
    }
}
