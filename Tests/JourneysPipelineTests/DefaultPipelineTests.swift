import Foundation
import JourneysPipeline
import JourneysStages
import Testing

@Suite struct DefaultPipelineTests {
    @Test func writtenOutDefaultEqualsTheBuiltInDefaults() throws {
        let text = try String(contentsOf: repo.appendingPathComponent("pipelines/default.yaml"), encoding: .utf8)
        let c = try PipelineConfig.parse(text, file: "pipelines/default.yaml")
        #expect(c.sources.isEmpty)
        #expect(c.journey == JourneyConfig())
        #expect(c.identity == PipelineConfig().identity)
        #expect(c.outputs == OutputsConfig())
    }

    /// Issue 11: a folder of every email provider's documented examples (with their README and
    /// provenance notes beside them), read with the default pipeline, exits 0: each file is
    /// detected as its provider and gives the touchpoints its EXPECTED table works out.
    @Test func aFolderOfEveryProviderRunsWithTheDefaultPipeline() throws {
        let dir = TempDir()
        let out = dir.url.appendingPathComponent("out").path
        let r = try journeys(["run", "fixtures/email/providers", "--out", out])
        #expect(r.status == 0, "\(r.stderr)")
        let summary = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/summary.json"))) as! [String: Any]
        let inputs = (summary["run"] as! [String: Any])["inputs_detail"] as! [[String: Any]]
        var got: [String: String] = [:]
        for i in inputs where (i["name"] as! String).hasSuffix(".ndjson") {
            got[(i["name"] as! String).split(separator: "/").last.map(String.init)!] = i["format"] as? String
        }
        #expect(got == [
            "brevo.ndjson": "brevo", "mailersend.ndjson": "mailersend", "mailgun_events.ndjson": "mailgun",
            "mailgun_webhooks.ndjson": "mailgun", "mailjet.ndjson": "mailjet", "mandrill.ndjson": "mandrill",
            "postal.ndjson": "postal", "postmark.ndjson": "postmark", "resend.ndjson": "resend",
            "ses_sns.ndjson": "ses", "sparkpost.ndjson": "sparkpost",
        ])
        // The only rejects: Brevo's proxy_open example, dated only in Paris time, and SparkPost's
        // three examples trimmed of their timestamp (events within a line that gave touchpoints).
        let run = summary["run"] as! [String: Any]
        #expect(run["rejects"] as? [String: Int] == ["bad_timestamp": 1])
        #expect(run["rejected_events"] as? [String: Int] == ["bad_timestamp": 3])
    }
}
