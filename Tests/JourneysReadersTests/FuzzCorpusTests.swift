import Foundation
import JourneysFuzzTargets
import Testing

/// Replays every saved fuzz input (Tests/fuzz-corpus/<target>/) through its target, and a few
/// fixed hostile inputs through every target: none may crash.
@Suite struct FuzzCorpusTests {
    static let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("fuzz-corpus")

    @Test func savedCrashInputsNoLongerCrash() throws {
        let fm = FileManager.default
        var replayed = 0
        for target in try fm.contentsOfDirectory(atPath: Self.corpus.path) {
            let dir = Self.corpus.appendingPathComponent(target)
            var isDir: ObjCBool = false
            guard fm.fileExists(atPath: dir.path, isDirectory: &isDir), isDir.boolValue else { continue }
            #expect(FuzzTargets.names.contains(target), "\(target) is a fuzz target")
            for name in try fm.contentsOfDirectory(atPath: dir.path) {
                let bytes = [UInt8](try Data(contentsOf: dir.appendingPathComponent(name)))
                bytes.withUnsafeBufferPointer { FuzzTargets.run(target, $0) }
                replayed += 1
            }
        }
        print("replayed \(replayed) saved fuzz inputs")
    }

    @Test(arguments: FuzzTargets.names) func edgeInputsDoNotCrash(target: String) {
        let inputs: [[UInt8]] = [
            [], [10], [0x1F, 0x8B], [0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 3], Array(repeating: 0xFF, count: 300),
            Array("{\"a\":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}\n".utf8),
            Array("{\"timestamp\":1e999,\"event\":\"click\",\"email\":\"\\ud800\"}\n".utf8),
            Array("#Fields: date time\n#Fields:\n2026-01-01\n".utf8),
            Array(("sources: " + String(repeating: "[", count: 5000) + String(repeating: "]", count: 5000) + "\n").utf8),
            Array("sessions: {timeout: 999999999999d}\nprivacy: {key_file: !!binary aGVsbG8=}\n".utf8),
            Array("1.2.3.4 - - [10/Oct/2026:09:14:03 +0200] \"GET /\u{0} HTTP/1.1\" 200 1 \"-\" \"\"\r\n".utf8),
        ]
        for i in inputs { i.withUnsafeBufferPointer { FuzzTargets.run(target, $0) } }
    }
}
