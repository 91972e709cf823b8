import Testing
import JourneysCore
import JourneysStages
@testable import JourneysReports

@Suite struct SummaryReportTests {
    @Test func document() throws {
        let t = at(6, 12)
        let js = [
            journey("a", sessions: [session(t, "email"), session(t + day, "direct")], stageTimes: [t, nil, nil, t + day],
                    orders: [order(t + day, 12.5)]),
            journey("b", sessions: [session(t - day, "direct")], stageTimes: [t - day],
                    painPoints: [PainPoint(kind: .slowPage, stage: "awareness", time: t - day, touchpoint: 0)]),
        ]
        var stats = RunStatistics()
        stats.inputs = 3
        stats.bytes = 1234
        stats.lines = 100
        stats.touchpoints = 3
        stats.skipped = ["static_asset": 60, "bot": 30]
        stats.rejects = ["bad_timestamp": 7]
        stats.rejectedEvents = ["unknown_event": 1] // one element of a webhook array whose line gave a touchpoint
        stats.ignoredEvents = 4 // records ignored on purpose inside lines that gave touchpoints
        stats.persons = 2
        stats.mergesBlocked = 1
        stats.elapsedSeconds = 0.25
        stats.duplicates = 2
        stats.version = "9.9.9"
        stats.generatedAt = 1_791_590_400_000 // 2026-10-10T00:00:00Z
        stats.pipeline = "pipelines/shop.yaml"
        stats.pipelineSHA256 = "ab12"
        stats.timezone = "Europe/Berlin"
        stats.since = "2026-10-01"
        stats.outsideWindow = 5
        stats.state = StateStatistics(dir: "/var/lib/journeys", run: 3, earlierTouchpoints: 40, inputsReadBefore: 2, keptFrom: nil)
        // 100 lines = 1 touchpoint line + 90 skipped + 2 duplicates + 7 rejected.
        var detail = InputDetail(name: "a.log", format: "combined")
        detail.formatDetected = true
        detail.lines = 100
        detail.touchpoints = 1
        detail.skipped = ["static_asset": 60, "bot": 30]
        detail.duplicates = 2
        detail.rejected = ["bad_timestamp": 7]
        detail.rejectedEvents = ["unknown_event": 1] // not a line: the balance does not count it
        detail.ignoredEvents = 4 // nor these
        #expect(detail.balances)
        stats.inputsDetail = [detail]
        let text = String(decoding: SummaryReport(journeys: js, config: JourneyConfig(), statistics: stats).encode(), as: UTF8.self)
        // Totals by hand: 2 persons, 3 touchpoints (one per session), 3 sessions, 1 converter, 1 order of 12.50,
        // 1 pain point, first seen t − 1 day (10-05 12:00), last seen t + 1 day (10-07 12:00); conversion rate 1/2,
        // no repeat buyer (0 of 1 converter), revenue per person 12.50 / 2 = 6.25, no NPS respondent.
        // Funnel: awareness 2; decision 0/0 and purchase 1 (a skipped consideration and decision).
        #expect(text == """
        {
          "schema_version": 1,
          "totals": {"persons": 2, "touchpoints": 3, "sessions": 3, "converters": 1, "conversion_rate": 0.5000, "repeat_buyers": 0, "repeat_purchase_rate": 0.0000, "orders": 1, "revenue": 12.50, "revenue_per_person": 6.25, "pain_points": 1, "nps_respondents": 0, "nps": null, "first_seen": "2026-10-05T12:00:00.000Z", "last_seen": "2026-10-07T12:00:00.000Z"},
          "funnel": [
            {"stage": "awareness", "persons": 2, "pct_of_start": 1.0000, "pct_of_previous": null, "median_hours_from_previous": null},
            {"stage": "consideration", "persons": 0, "pct_of_start": 0.0000, "pct_of_previous": 0.0000, "median_hours_from_previous": null},
            {"stage": "decision", "persons": 0, "pct_of_start": 0.0000, "pct_of_previous": null, "median_hours_from_previous": null},
            {"stage": "purchase", "persons": 1, "pct_of_start": 0.5000, "pct_of_previous": null, "median_hours_from_previous": null},
            {"stage": "retention", "persons": 0, "pct_of_start": 0.0000, "pct_of_previous": 0.0000, "median_hours_from_previous": null},
            {"stage": "advocacy", "persons": 0, "pct_of_start": 0.0000, "pct_of_previous": null, "median_hours_from_previous": null}
          ],
          "run": {
            "journeys_version": "9.9.9",
            "generated_at": "2026-10-10T00:00:00.000Z",
            "pipeline": "pipelines/shop.yaml",
            "pipeline_sha256": "ab12",
            "timezone": "Europe/Berlin",
            "since": "2026-10-01",
            "until": null,
            "outside_window": 5,
            "state": {"dir": "/var/lib/journeys", "run": 3, "earlier_touchpoints": 40, "inputs_read_before": 2, "kept_from": null},
            "inputs": 3,
            "damaged_inputs": 0,
            "bytes": 1234,
            "lines": 100,
            "touchpoints": 3,
            "skipped": {"bot": 30, "static_asset": 60},
            "rejects": {"bad_timestamp": 7},
            "rejected_events": {"unknown_event": 1},
            "ignored_events": 4,
            "persons": 2,
            "merges_blocked": 1,
            "elapsed_seconds": 0.250,
            "duplicates": 2,
            "inputs_detail": [
              {
                "name": "a.log",
                "format": "combined",
                "format_detected": true,
                "lines": 100,
                "touchpoints": 1,
                "skipped": {"bot": 30, "static_asset": 60},
                "duplicates": 2,
                "rejected": {"bad_timestamp": 7},
                "rejected_events": {"unknown_event": 1},
                "ignored_events": 4,
                "damage": null
              }
            ]
          }
        }

        """)
        let parsed = try JSONParser.parse(text)
        #expect(parsed["schema_version"]?.double == 1)
        #expect(parsed.at(path: "run.skipped.bot")?.double == 30)
    }

    @Test func emptyRun() throws {
        let text = String(decoding: SummaryReport(journeys: [], config: JourneyConfig(), statistics: RunStatistics()).encode(), as: UTF8.self)
        let parsed = try JSONParser.parse(text)
        #expect(parsed.at(path: "totals.persons")?.double == 0)
        #expect(parsed.at(path: "totals.first_seen") == .null)
        #expect(text.contains(#""skipped": {}"#))
        #expect(text.utf8.first == UInt8(ascii: "{"))
    }

    @Test func npsAndRepeatBuyers() throws {
        // Last scores 10, 9, 8, 6 and one person without: 4 respondents, promoters 10 and 9, detractor 6 →
        // (2 − 1) / 4 = 25.00. Orders: a 2 (repeat buyer), b 1, c 3 (repeat buyer) → 2 of 3 converters = 0.6667.
        let t = at(8, 9)
        let js = [
            journey("a", orders: [order(t, 1), order(t, 1)], nps: 10),
            journey("b", orders: [order(t, 1)], nps: 9),
            journey("c", orders: [order(t, 1), order(t, 1), order(t, 1)], nps: 8),
            journey("d", nps: 6),
            journey("e"),
        ]
        let s = SummaryReport(journeys: js, config: JourneyConfig(), statistics: RunStatistics())
        #expect(s.nps == 25)
        let parsed = try JSONParser.parse(String(decoding: s.encode(), as: UTF8.self))
        #expect(parsed.at(path: "totals.nps")?.text == "25.00")
        #expect(parsed.at(path: "totals.nps_respondents")?.text == "4")
        #expect(parsed.at(path: "totals.repeat_purchase_rate")?.text == "0.6667")
        #expect(parsed.at(path: "totals.revenue_per_person")?.text == "1.20") // 6 / 5
    }

    @Test func revenueIsExactInCents() throws {
        // 100 orders of 999,999,999,999.99 and one of 0.02: 99,999,999,999,999.02 exactly (added as Doubles, the
        // cents are lost: …998.89). Over 3 persons 33,333,333,333,333.00666… → 33,333,333,333,333.01.
        let t = at(8, 9)
        let js = [journey("a", orders: (0..<100).map { _ in order(t, 999_999_999_999.99) }), journey("b", orders: [order(t, 0.02)]), journey("c")]
        let parsed = try JSONParser.parse(String(decoding: SummaryReport(journeys: js, config: JourneyConfig(), statistics: RunStatistics()).encode(), as: UTF8.self))
        #expect(parsed.at(path: "totals.revenue")?.text == "99999999999999.02")
        #expect(parsed.at(path: "totals.revenue_per_person")?.text == "33333333333333.01")
        // journeys.csv: a's 100 orders are 99,999,999,999,999.00.
        #expect(csvLines(try journeysFile(js))[0].contains(",100,99999999999999.00,"))
    }
}
