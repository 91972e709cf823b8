import Testing
import JourneysCore
import JourneysStages
@testable import JourneysReports

@Suite struct FunnelReportTests {
    @Test func percentagesAndMedians() {
        // Stages: awareness, consideration, decision, purchase, retention, advocacy. Hours after day 1 00:00.
        let t0 = at(1, 0)
        func h(_ x: Int64) -> Int64 { t0 + x * hour }
        let js = [
            journey("p1", stageTimes: [h(0), h(2), h(5), h(6), nil, nil]),
            journey("p2", stageTimes: [h(0), h(4)]),                         // shorter array: the rest not reached
            journey("p3", stageTimes: [h(0), h(1), h(3), nil, nil, nil]),
            journey("p4", stageTimes: [h(0), nil, nil, h(10), nil, nil]),    // skipped to purchase
            journey("p5", stageTimes: [h(5), h(2), nil, nil, nil, nil]),     // consideration before awareness
        ]
        let f = FunnelReport(journeys: js, config: JourneyConfig())
        // persons: awareness 5; consideration p1 p2 p3 p5 = 4; decision p1 p3 = 2; purchase p1 p4 = 2; 0; 0.
        // of start: 5/5, 4/5, 2/5, 2/5, 0, 0. Of previous: —, 4/5, 2/4, 2/2, 0/2, 0/0 (empty).
        // Medians: consideration gaps p1 2h, p2 4h, p3 1h (p5's −3h left out) → 2h;
        // decision p1 3h, p3 2h → 2.5h; purchase p1 1h (p4 has no decision) → 1h; retention, advocacy: none.
        #expect(csvLines(f.table) == [
            "awareness,5,1.0000,,",
            "consideration,4,0.8000,0.8000,2.00",
            "decision,2,0.4000,0.5000,2.50",
            "purchase,2,0.4000,1.0000,1.00",
            "retention,0,0.0000,0.0000,",
            "advocacy,0,0.0000,,",
        ])
        #expect(f.rows[2].medianHoursFromPrevious == 2.5)
    }

    @Test func oddMedianAndMinutes() {
        // Gaps of 30 min, 45 min and 20 h between awareness and consideration: median 45 min = 0.75 h.
        let t = at(3, 8)
        let js = [
            journey("a", stageTimes: [t, t + 30 * 60_000]),
            journey("b", stageTimes: [t, t + 45 * 60_000]),
            journey("c", stageTimes: [t, t + 20 * hour]),
        ]
        let f = FunnelReport(journeys: js, config: JourneyConfig())
        #expect(f.table.record(1)["median_hours_from_previous"] == "0.75")
        #expect(f.table.record(1)["pct_of_previous"] == "1.0000")
    }

    @Test func empty() {
        let f = FunnelReport(journeys: [], config: JourneyConfig())
        // Every stage, zero persons, no rates.
        #expect(csvLines(f.table) == ["awareness,0,,,", "consideration,0,,,", "decision,0,,,", "purchase,0,,,", "retention,0,,,", "advocacy,0,,,"])
    }

    @Test func medianFromCounts() {
        // 1, 1, 5, 9 → the middle two 1 and 5 → 3; with another 9 (1, 1, 5, 9, 9) → 5.
        var h = Histogram()
        for v: Int64 in [9, 1, 5, 1] { h.add(v) }
        #expect(h.median == 3)
        var more = Histogram()
        more.add(9)
        h.merge(more)
        #expect(h.median == 5 && h.total == 5)
        #expect(Histogram().median == nil)
        // 10,000 gaps of two lengths are two counts, not 10,000 values.
        var many = Histogram()
        for i in 0..<10_000 { many.add(i % 2 == 0 ? hour : 3 * hour) }
        #expect(many.counts == [hour: 5_000, 3 * hour: 5_000])
        #expect(many.median == Double(2 * hour)) // the 5,000th and 5,001st: 1 h and 3 h
    }

    @Test func mergedFunnelsHaveTheMediansOfAll() {
        // Gaps awareness → consideration: 1 h and 4 h in one part, 2 h in the other: median of 1, 2, 4 is 2 h
        // (each part alone: 2.5 h and 2 h). Persons 2 + 1.
        let t = at(3, 8)
        var a = FunnelReport(journeys: [journey("a", stageTimes: [t, t + hour]), journey("b", stageTimes: [t, t + 4 * hour])], config: JourneyConfig())
        #expect(a.table.record(1)["median_hours_from_previous"] == "2.50")
        a.merge(FunnelReport(journeys: [journey("c", stageTimes: [t, t + 2 * hour])], config: JourneyConfig()))
        #expect(a.table.record(1)["median_hours_from_previous"] == "2.00")
        #expect(a.table.record(1)["persons"] == "3")
    }
}
