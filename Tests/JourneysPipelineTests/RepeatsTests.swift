import Foundation
import Testing

/// `journeys run` drops a repeat — the same event of the same person in the same conversation —
/// and nothing else, whatever the thread count and the memory limit (see `Duplicates`).
@Suite(.serialized) struct RepeatsTests {
    /// `summary.json`'s `run` object.
    func summaryRun(_ dir: String) throws -> [String: Any] {
        let doc = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/summary.json"))) as! [String: Any]
        return doc["run"] as! [String: Any]
    }

    func int(_ v: Any?) -> Int { (v as? NSNumber)?.intValue ?? -1 }

    /// The output files, `summary.json` without the run's duration.
    func outputs(_ dir: String) throws -> [String: Data] {
        var out: [String: Data] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: dir) where !name.hasPrefix(".") {
            var d = try Data(contentsOf: URL(fileURLWithPath: dir + "/" + name))
            if name == "summary.json" {
                let text = String(decoding: d, as: UTF8.self)
                d = Data(text.replacingOccurrences(of: #""elapsed_seconds": [0-9.]+"#, with: #""elapsed_seconds": 0"#, options: .regularExpression).utf8)
            }
            out[name] = d
        }
        return out
    }

    @Test func chatMessageIdsThatRestartPerConversationAreNotRepeats() throws {
        let dir = TempDir()
        func message(_ conversation: String, _ id: String, _ role: String, _ time: String, _ text: String) -> String {
            #"{"id":"\#(id)","type":"message","conversation_id":"\#(conversation)","visitor_id":"v-1","author_role":"\#(role)","timestamp":"\#(time)","message":"\#(text)"}"#
        }
        // One visitor, two conversations on two days; the export numbers messages per conversation.
        let lines = [
            message("c-1", "1", "visitor", "2026-10-12T10:00:00Z", "Do you ship to Norway?"),
            message("c-1", "2", "agent", "2026-10-12T10:01:00Z", "Yes, in 3 days."),
            message("c-2", "1", "visitor", "2026-10-13T09:00:00Z", "Where is my order?"),
            message("c-2", "2", "agent", "2026-10-13T09:02:00Z", "It left today."),
            message("c-1", "1", "visitor", "2026-10-12T10:00:00Z", "Do you ship to Norway?"), // re-sent: a repeat
        ]
        let input = dir.write("chat.jsonl", Array((lines.joined(separator: "\n") + "\n").utf8))
        let out = dir.url.appendingPathComponent("out").path
        let r = try journeys(["run", "--format", "chat", "--out", out, input])
        #expect(r.status == 0, "\(r.stderr)")
        let run = try summaryRun(out)
        // Lines 1–4 are four events; only line 5 repeats one (line 1).
        #expect(int(run["touchpoints"]) == 4 && int(run["persons"]) == 1 && int(run["duplicates"]) == 1, "\(run)")
        let detail = try #require((run["inputs_detail"] as? [[String: Any]])?.first)
        #expect(int(detail["lines"]) == 5 && int(detail["touchpoints"]) == 4 && int(detail["duplicates"]) == 1, "\(detail)")
        let journeysCSV = try String(contentsOfFile: out + "/journeys.csv", encoding: .utf8)
        let row = try #require(journeysCSV.split(whereSeparator: \.isNewline).dropFirst().first)
        #expect(row.split(separator: ",", omittingEmptySubsequences: false)[4] == "4", "\(row)") // touchpoints
    }

    /// 3,000 SendGrid opens by 3,000 persons, two by two under one `sg_event_id`, and 10 of them
    /// re-sent. With a 1 MiB limit the persons are cut into several partitions, so some pairs
    /// sharing an id land in different ones.
    @Test func personsSharingAnEventIdAreKeptWhateverTheThreadsAndPartitions() throws {
        let dir = TempDir()
        func open(_ i: Int) -> String {
            #"{"email":"u\#(i)@example.com","timestamp":\#(1_791_792_000 + i),"event":"open","sg_event_id":"ev-\#(i / 2)"}"#
        }
        let lines = (0..<3000).map(open) + (0..<10).map(open)
        let input = dir.write("events.ndjson", Array((lines.joined(separator: "\n") + "\n").utf8))
        var expected: [String: Data]?
        for extra in [["--threads", "1"], ["--threads", "2"], ["--threads", "4"],
                      ["--threads", "1", "--memory-limit", "1M"], ["--threads", "4", "--memory-limit", "1M"]] {
            let out = dir.url.appendingPathComponent(extra.joined(separator: "_")).path
            let r = try journeys(["run", "--format", "sendgrid", "--out", out, input] + extra)
            #expect(r.status == 0, "\(extra): \(r.stderr)")
            if extra.contains("--memory-limit") {
                #expect(r.stderr.contains("journeys were built in") && !r.stderr.contains("built in 1 partitions"), "\(extra): \(r.stderr)")
            }
            let run = try summaryRun(out)
            // Every person's open is kept; only the 10 re-sent lines are repeats.
            #expect(int(run["persons"]) == 3000 && int(run["touchpoints"]) == 3000 && int(run["duplicates"]) == 10, "\(extra): \(run)")
            let files = try outputs(out)
            if let expected { #expect(files == expected, "\(extra)") } else { expected = files }
        }
    }
}
