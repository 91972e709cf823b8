import Foundation
import JourneysPipeline
import JourneysStages
import Testing

@Suite struct DefaultPipelineTests {
    @Test func writtenOutDefaultEqualsTheBuiltInDefaults() throws {
        let text = try String(contentsOf: repo.appendingPathComponent("pipelines/default.yaml"), encoding: .utf8)
        let c = try PipelineConfig.parse(text, file: "pipelines/default.yaml")
        // Its one source is the bundled demo logs (so the file runs out of the box); the
        // embedded default has none.
        #expect(c.sources.map(\.path) == ["fixtures/demo"] && c.sources.allSatisfy { $0.format == nil })
        #expect(c.journey == JourneyConfig())
        #expect(c.identity == PipelineConfig().identity)
        #expect(c.outputs == OutputsConfig())
    }

    /// Issue 11: folders of every provider's and web source's documented examples (with their
    /// README and provenance notes beside them), read with the default pipeline, exit 0: each
    /// file is detected as its format, the notes are skipped as not logs.
    @Test func aFolderOfEveryProviderRunsWithTheDefaultPipeline() throws {
        let dir = TempDir()
        let out = dir.url.appendingPathComponent("out").path
        let r = try journeys(["run", "fixtures/email/providers", "fixtures/chat/providers", "fixtures/web/presets", "--out", out])
        #expect(r.status == 0, "\(r.stderr)")
        let summary = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/summary.json"))) as! [String: Any]
        let inputs = (summary["run"] as! [String: Any])["inputs_detail"] as! [[String: Any]]
        var got: [String: String] = [:]
        for i in inputs where [".ndjson", ".log"].contains(where: (i["name"] as! String).hasSuffix) && i["format"] as? String != nil {
            got[(i["name"] as! String).split(separator: "/").last.map(String.init)!] = i["format"] as? String
        }
        #expect(got == [
            "brevo.ndjson": "brevo", "mailersend.ndjson": "mailersend", "mailgun_events.ndjson": "mailgun",
            "mailgun_webhooks.ndjson": "mailgun", "mailjet.ndjson": "mailjet", "mandrill.ndjson": "mandrill",
            "postal.ndjson": "postal", "postmark.ndjson": "postmark", "resend.ndjson": "resend",
            "ses_sns.ndjson": "ses", "sparkpost.ndjson": "sparkpost",
            "intercom.ndjson": "intercom", "livechat.ndjson": "livechat", "crisp.ndjson": "crisp", "zendesk_chat.ndjson": "zendesk_chat",
            "zendesk_support.ndjson": "zendesk_support", "hubspot.ndjson": "hubspot", "freshchat.ndjson": "freshchat",
            "tawkto.ndjson": "tawkto", "drift.ndjson": "drift",
            "alb.log": "alb", "elb.log": "elb", "s3.log": "s3", "cloudfront.log": "w3c", "haproxy.log": "haproxy",
            "ingress_nginx.log": "ingress_nginx", "vhost_combined.log": "vhost_combined", "caddy.log": "caddy", "traefik.log": "traefik",
        ])
        // The only rejects: Caddy's current docs example, whose trailing comma is no JSON;
        // LiveChat's agent message in a chat that lists no customer; and SparkPost's three
        // examples trimmed of their timestamp (events within a line that gave touchpoints).
        // (Brevo's proxy_open example, dated only in Paris time, is read since the preset has
        // the zone.)
        let run = summary["run"] as! [String: Any]
        #expect(run["rejects"] as? [String: Int] == ["bad_json": 1, "missing_identity": 1])
        #expect(run["rejected_events"] as? [String: Int] == ["bad_timestamp": 3])
        // Records ignored on purpose inside lines that gave touchpoints are counted, not lost:
        // Mailgun's events page has one `stored` event; Intercom's conversations 2, 3, 4 hold
        // three app-action and attribute parts, a note and an assignment; tawk.to's transcript
        // a system message.
        let ignored = Dictionary(uniqueKeysWithValues: inputs.map { ($0["name"] as! String, $0["ignored_events"] as! Int) })
        #expect(ignored["fixtures/email/providers/mailgun_events.ndjson"] == 1 && ignored["fixtures/chat/providers/intercom.ndjson"] == 5
                && ignored["fixtures/chat/providers/tawkto.ndjson"] == 1)
        #expect(r.stderr.contains("ignored within lines that gave touchpoints"), "\(r.stderr)")
    }
}
