import JourneysPipeline
import JourneysCore
import JourneysReaders
import Testing

@Suite struct PipelineConfigTests {
    @Test func readsSourcesAndIdentity() throws {
        let yaml = """
        version: 1
        identity:
          visitor_cookies: [vid]
          customer_params: [cid, uid]
          fallback_visitor: false
        sources:
          - path: logs/access-*.log.gz
            format: nginx
            log_format: '$remote_addr [$time_local] "$request" $status "$cookie_vid"'
            timezone: "+02:00"
          - path: "-"
            format: sendgrid
        """
        let c = try PipelineConfig.parse(yaml, file: "/etc/journeys/p.yaml")
        #expect(c.sources.count == 2)
        #expect(c.sources[0].path == "/etc/journeys/logs/access-*.log.gz") // relative to the pipeline file
        #expect(c.sources[0].format == "nginx")
        #expect(c.sources[0].options.timezone == Zone(offset: 7200))
        #expect(c.sources[0].options.identity.visitorCookies == ["vid"])
        #expect(c.sources[0].options.identity.fallbackVisitor == false)
        #expect(c.sources[1].path == "-")
        #expect(c.identity.customerParams == ["cid", "uid"])
    }

    @Test func presetKeysInASource() throws {
        // A provider of one's own, written with the keys the presets are made of, and a preset
        // with one role changed: both parsed into reader options and checked by the reader.
        let yaml = """
        sources:
          - path: acme.ndjson
            format: jsonl
            channel: email
            records: "events[]"
            fields: {time: ts, email: rcpt, action: kind}
            actions: {sent: email_delivered, "bounce[permanent=true]": "email_bounce:hard", bounce: "email_bounce:soft"}
            ignore: [test]
            constants: {campaign: acme}
          - path: pm.ndjson
            format: postmark
            fields: {customer: Metadata.userid}
        """
        let c = try PipelineConfig.parse(yaml, file: "p.yaml")
        let o = c.sources[0].options
        #expect(o.records == "events[]" && o.ignore == ["test"] && o.constants == ["campaign": "acme"])
        #expect(o.actions["bounce[permanent=true]"] == "email_bounce:hard" && o.channel == .email)
        #expect(c.sources[1].format == "postmark" && c.sources[1].options.fields == ["customer": "Metadata.userid"])
        // A condition that is not field=value, a constant for a role that has none, an empty
        // records step: errors naming the key, at parse time.
        for (bad, path) in [("actions: {\"x[y]\": email_open}", "sources[0].actions.x[y]"),
                            ("constants: {time: now}", "sources[0].constants.time"),
                            ("records: \"a..b\"", "sources[0].records"),
                            ("values: {chat_visitor: {\"V-*\": \"x*\"}}", "sources[0].values.chat_visitor.V-*")] {
            let y = "sources:\n  - path: a\n    format: jsonl\n    fields: {time: t, action: a}\n    \(bad)\n"
            #expect { try PipelineConfig.parse(y, file: "p.yaml") } throws: { e in (e as? PipelineError)?.path == path }
        }
    }

    @Test func unknownKeyNamesLineAndPath() {
        let yaml = """
        sources:
          - path: a.log
            format: combined
            timezon: "+01:00"
        """
        #expect {
            try PipelineConfig.parse(yaml, file: "p.yaml")
        } throws: { e in
            let e = e as! PipelineError
            return e.line == 4 && e.path == "sources[0].timezon" && e.description.hasPrefix("p.yaml:4: sources[0].timezon: unknown key")
        }
    }

    @Test func badValuesAreErrors() {
        let cases: [(String, String)] = [
            ("sources:\n  - path: a\n    format: nope\n", "sources[0].format"),
            ("sources:\n  - path: a\n    timezone: Europe/Atlantis\n", "sources[0].timezone"),
            ("timezone: \"+25:00\"\n", "timezone"),
            ("sources:\n  - format: combined\n", "sources[0]"),
            ("identity:\n  fallback_visitor: maybe\n", "identity.fallback_visitor"),
            ("version: 2\n", "version"),
            ("sources: {a: 1}\n", "sources"),
            ("sources:\n  - path: a\n    format: jsonl\n", "sources[0].fields.time"),
        ]
        for (yaml, path) in cases {
            #expect {
                try PipelineConfig.parse(yaml, file: "p.yaml")
            } throws: { e in
                (e as? PipelineError)?.path == path
            }
        }
    }

    @Test func outOfRangeNumbersAndBadListsAreErrors() throws {
        // Each was accepted (or trapped: the duration overflowed Int64 milliseconds).
        let cases: [(String, Int, String, String)] = [
            ("sessions: {timeout: 999999999999d}\n", 1, "sessions.timeout", "must be at most 3650d"),
            ("attribution:\n  lookback: 1e300h\n", 2, "attribution.lookback", "must be at most 3650d"),
            ("pain_points:\n  slow_page: 30d\n", 2, "pain_points.slow_page", "must be at most 7d"),
            ("identity:\n  merge_limit: -1\n", 2, "identity.merge_limit", "must be a whole number from 1 to 1000000"),
            ("paths: {depth: 0}\n", 1, "paths.depth", "must be a whole number from 1 to 100"),
            ("sources:\n  - path: a\n    format: chat\n    text_limit: -5\n", 4, "sources[0].text_limit", "must be a whole number from 1 to 67108864"),
            ("pain_points: {bad_rating_max: 9}\n", 1, "pain_points.bad_rating_max", "must be a number from 0 to 5"),
            ("outputs:\n  tables: [journeys, journeys]\n", 2, "outputs.tables[1]", "\"journeys\" is listed twice"),
            ("outputs:\n  tables: []\n", 2, "outputs.tables", "must list at least one value"),
            ("outputs:\n  formats: [csv, csv]\n", 2, "outputs.formats[1]", "\"csv\" is listed twice"),
            ("outputs: {max_reject_ratio: 1.5}\n", 1, "outputs.max_reject_ratio", "must be a number from 0 to 1"),
            ("attribution:\n  models: []\n", 2, "attribution.models", "must list at least one value"),
            ("stages:\n  rules:\n    - {stage: purchase, paths: []}\n", 3, "stages.rules[0].paths", "must list at least one value"),
        ]
        for (yaml, line, path, message) in cases {
            #expect {
                try PipelineConfig.parse(yaml, file: "p.yaml")
            } throws: { e in
                (e as? PipelineError)?.description == "p.yaml:\(line): \(path): \(message)"
            }
        }
        // The edges are accepted.
        #expect(throws: Never.self) {
            try PipelineConfig.parse("sessions: {timeout: 3650d}\nidentity: {merge_limit: 1}\noutputs: {tables: [journeys]}\n", file: "p.yaml")
        }
        #expect(try PipelineConfig.parse("outputs: {max_reject_ratio: 0.25}\n", file: "p.yaml").outputs.maxRejectRatio == 0.25)
    }

    @Test func deepNestingIsRefusedBeforeTheParser() {
        // 5,000 levels in 10 KB made Yams overflow the stack (SIGSEGV), in `check` too.
        let flow = "sources: " + String(repeating: "[", count: 5000) + String(repeating: "]", count: 5000) + "\n"
        let block = "outputs:\n  tables: " + String(repeating: "- ", count: 5000) + "x\n"
        for yaml in [flow, block] {
            #expect {
                try PipelineConfig.parse(yaml, file: "deep.yaml")
            } throws: { e in
                (e as? PipelineError)?.description.hasPrefix("deep.yaml:") == true
                    && (e as? PipelineError)?.message == "nesting deeper than 64 levels"
            }
        }
        // Brackets inside quoted and plain text, comments and block scalars are not nesting.
        let text = """
        sources:
          - path: "a[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[.log"  # [[[[
            format: nginx
            log_format: |
              [$time_local] [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[ $request
        """
        #expect(throws: Never.self) { try PipelineConfig.parse(text, file: "p.yaml") }
    }

    @Test func yamlTagsAreRefused() {
        for (yaml, line) in [("version: 1\nprivacy:\n  key_file: !!binary aGVsbG8=\n", 3),
                             ("sources:\n  - !!python/object:os.system {path: a}\n", 2),
                             ("outputs: {dir: !local out}\n", 1)] {
            #expect {
                try PipelineConfig.parse(yaml, file: "p.yaml")
            } throws: { e in
                let e = e as? PipelineError
                return e?.line == line && e?.message.contains("YAML tags") == true
            }
        }
        // An exclamation mark inside a value is text.
        #expect(throws: Never.self) { try PipelineConfig.parse("outputs: {dir: \"out!\"}\nversion: 1 # !!\n", file: "p.yaml") }
    }

    @Test func invalidYAMLNamesTheLine() {
        #expect {
            try PipelineConfig.parse("sources:\n  - path: [unclosed\n", file: "p.yaml")
        } throws: { e in
            (e as? PipelineError)?.line != nil
        }
    }

    @Test func timezoneOffsets() {
        #expect(Zone.fixedOffset("+02:00") == 7200)
        #expect(Zone.fixedOffset("-0530") == -19800)
        #expect(Zone.fixedOffset("+2") == 7200)
        #expect(Zone.fixedOffset("UTC") == 0)
        #expect(Zone.fixedOffset("Europe/Paris") == nil)
        #expect(Zone.fixedOffset("+25:00") == nil)
    }
}
