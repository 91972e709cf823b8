import JourneysPipeline
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
        #expect(c.sources[0].options.timezoneOffset == 7200)
        #expect(c.sources[0].options.identity.visitorCookies == ["vid"])
        #expect(c.sources[0].options.identity.fallbackVisitor == false)
        #expect(c.sources[1].path == "-")
        #expect(c.identity.customerParams == ["cid", "uid"])
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
            ("sources:\n  - path: a\n    timezone: Europe/Paris\n", "sources[0].timezone"),
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

    @Test func invalidYAMLNamesTheLine() {
        #expect {
            try PipelineConfig.parse("sources:\n  - path: [unclosed\n", file: "p.yaml")
        } throws: { e in
            (e as? PipelineError)?.line != nil
        }
    }

    @Test func timezoneOffsets() {
        #expect(TimezoneOffset.parse("+02:00") == 7200)
        #expect(TimezoneOffset.parse("-0530") == -19800)
        #expect(TimezoneOffset.parse("+2") == 7200)
        #expect(TimezoneOffset.parse("UTC") == 0)
        #expect(TimezoneOffset.parse("Europe/Paris") == nil)
        #expect(TimezoneOffset.parse("+25:00") == nil)
    }
}
