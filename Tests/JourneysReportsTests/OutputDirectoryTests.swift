import Foundation
import Testing
import JourneysCore
import JourneysStages
@testable import JourneysReports

/// A unique empty directory under /tmp.
func makeTempDir() -> String {
    var template = Array("/tmp/journeys-reports-XXXXXX".utf8CString)
    let p = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
    return String(cString: p!)
}

/// The file as text, byte for byte (a BOM stays, unlike `String(contentsOfFile:)`).
func contents(_ path: String) -> String? { FileManager.default.contents(atPath: path).map { String(decoding: $0, as: UTF8.self) } }
func names(_ dir: String) -> [String] { ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).sorted() }
func put(_ path: String, _ text: String) { _ = FileManager.default.createFile(atPath: path, contents: Data(text.utf8)) }

struct InjectedFailure: Error {}

/// A real kernel write error (EFBIG under a file-size limit) is tested on the `journeys` process
/// in NightlyRunTests: lowering RLIMIT_FSIZE here would reach every process the other suites start.
@Suite struct OutputDirectoryTests {
    @Test func publishesEverythingOnCommit() throws {
        let root = makeTempDir()
        let path = root + "/nested/out"
        let dir = try OutputDirectory(path: path) // created with its parent
        try dir.write("a.csv", bytes: Array("new a\r\n".utf8))
        try dir.write("b.json", table: Table(columns: ["n"], rows: [[.integer(1)]]), format: .json)
        // Before commit only the temps exist.
        let pid = getpid()
        #expect(names(path) == [".a.csv.tmp-\(pid)", ".b.json.tmp-\(pid)"])
        #expect(dir.pendingNames == ["a.csv", "b.json"])
        try dir.commit()
        #expect(names(path) == ["a.csv", "b.json"])
        #expect(contents(path + "/a.csv") == "new a\r\n")
        #expect(contents(path + "/b.json") == "[\n{\"n\":1}\n]\n")
        #expect(throws: FileError.self) { try dir.commit() }
    }

    @Test func failingWriterLeavesYesterdaysFiles() throws {
        let path = makeTempDir()
        put(path + "/a.csv", "old a")
        put(path + "/b.csv", "old b")
        let dir = try OutputDirectory(path: path)
        try dir.write("a.csv", bytes: Array("new a".utf8))
        #expect(throws: InjectedFailure.self) {
            try dir.write("b.csv") { file in
                try file.write("half of b")
                try file.flush()
                throw InjectedFailure()
            }
        }
        // Nothing published, every temp gone, and the directory refuses to go on.
        #expect(names(path) == ["a.csv", "b.csv"])
        #expect(contents(path + "/a.csv") == "old a")
        #expect(contents(path + "/b.csv") == "old b")
        #expect(throws: FileError.self) { try dir.write("c.csv", bytes: []) }
        do {
            try dir.commit()
            Issue.record("commit after a failed write must throw")
        } catch {
            #expect(error.errno == ECANCELED)
            #expect(error.description.hasPrefix(path + ": commit after a failed write: "))
        }
    }

    @Test func aDirectoryInTheWayStopsTheCommitBeforeAnyRename() throws {
        let path = makeTempDir()
        put(path + "/a.csv", "old a")
        try FileManager.default.createDirectory(atPath: path + "/c.csv", withIntermediateDirectories: false)
        let dir = try OutputDirectory(path: path)
        try dir.write("a.csv", bytes: Array("new a".utf8))
        try dir.write("c.csv", bytes: Array("new c".utf8))
        do {
            try dir.commit()
            Issue.record("commit over a directory must throw")
        } catch {
            #expect(error.errno == EISDIR)
            #expect(error.path == path + "/c.csv")
        }
        #expect(contents(path + "/a.csv") == "old a")
        #expect(names(path) == ["a.csv", "c.csv"])
    }

    /// Opening removes nothing (a run that cannot take the lock must not touch a live run's
    /// temps); `removeStaleTemps()`, called under the lock, removes every temp, whatever its PID
    /// (PID 1 always runs here, and a run in another PID namespace can have any PID).
    @Test func removesEveryTempOnlyWhenAsked() throws {
        let path = makeTempDir()
        put(path + "/.journeys.csv.tmp-4194305", "crashed run")
        put(path + "/.funnel.csv.tmp-1", "a run whose PID is alive here")
        put(path + "/.notes.tmp-x", "not a temp of ours")
        put(path + "/keep.tmp-4194305", "not hidden: not ours")
        put(path + "/journeys.csv", "yesterday")
        let dir = try OutputDirectory(path: path)
        #expect(dir.removedStaleTemps == [])
        #expect(names(path).count == 5)
        try dir.removeStaleTemps()
        #expect(dir.removedStaleTemps == [".funnel.csv.tmp-1", ".journeys.csv.tmp-4194305"])
        #expect(names(path) == [".notes.tmp-x", "journeys.csv", "keep.tmp-4194305"])
        #expect(contents(path + "/journeys.csv") == "yesterday")
    }

    @Test func releasedWithoutCommitPublishesNothing() throws {
        let path = makeTempDir()
        do {
            let dir = try OutputDirectory(path: path)
            try dir.write("a.csv", bytes: Array("x".utf8))
            #expect(names(path).count == 1)
        }
        #expect(names(path) == [])
        let dir = try OutputDirectory(path: path)
        try dir.write("a.csv", bytes: Array("x".utf8))
        dir.discard()
        #expect(names(path) == [])
    }

    @Test func badNamesAndPaths() throws {
        let path = makeTempDir()
        let dir = try OutputDirectory(path: path)
        for bad in ["", ".hidden", "a/b"] {
            #expect(throws: FileError(path: path + "/" + bad, operation: "output name", errno: EINVAL)) { try dir.write(bad, bytes: []) }
        }
        try dir.write("a.csv", bytes: [])
        #expect(throws: FileError(path: path + "/a.csv", operation: "written twice", errno: EEXIST)) { try dir.write("a.csv", bytes: []) }
        // An output path under a regular file cannot be created.
        put(path + "/file", "")
        #expect(throws: FileError(path: path + "/file/out", operation: "create directory", errno: ENOTDIR)) {
            _ = try OutputDirectory(path: path + "/file/out")
        }
        #expect(throws: FileError(path: path + "/missing", operation: "open directory", errno: ENOENT)) {
            _ = try OutputDirectory(path: path + "/missing", create: false)
        }
    }

    @Test func tempNames() {
        #expect(OutputDirectory.tempName("journeys.csv", pid: 42) == ".journeys.csv.tmp-42")
        #expect(OutputDirectory.tempPID(".journeys.csv.tmp-42") == 42)
        #expect(OutputDirectory.tempPID(".a.tmp-1.tmp-7") == 7)
        #expect(OutputDirectory.tempPID("journeys.csv.tmp-42") == nil)
        #expect(OutputDirectory.tempPID(".tmp-42") == nil)
        #expect(OutputDirectory.tempPID(".a.tmp-") == nil)
        #expect(OutputDirectory.tempPID(".a.tmp-4x") == nil)
    }

    @Test func writesEveryReport() throws {
        let path = makeTempDir()
        put(path + "/journeys.csv", "yesterday")
        let dir = try OutputDirectory(path: path)
        try Reports.write(config: JourneyConfig(), options: ReportOptions(formats: [.csv, .json]), into: dir) { _ in RunStatistics() }
        // summary.json is written (and so published) last.
        #expect(dir.pendingNames.last == "summary.json")
        #expect(dir.pendingNames.count == 15)
        try dir.commit()
        #expect(names(path) == ["attribution.csv", "attribution.json", "channels.csv", "channels.json", "daily.csv", "daily.json",
                                "funnel.csv", "funnel.json", "journeys.csv", "journeys.json", "pain_points.csv", "pain_points.json",
                                "paths.csv", "paths.json", "summary.json"])
        // An empty run: headers only (funnel lists the stages with zero persons).
        #expect(contents(path + "/journeys.csv")!.hasPrefix("\u{FEFF}person_id,customer_id,"))
        #expect(contents(path + "/journeys.csv")!.hasSuffix("csat\r\n"))
        #expect(contents(path + "/attribution.csv") == "\u{FEFF}model,channel,conversions,revenue\r\n")
        #expect(contents(path + "/daily.json") == "[]\n")
        #expect(contents(path + "/funnel.csv")!.contains("\r\nawareness,0,,,\r\n"))
    }
}
