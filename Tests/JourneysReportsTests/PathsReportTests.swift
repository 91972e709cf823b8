import Testing
import JourneysCore
import JourneysStages
@testable import JourneysReports

@Suite struct PathsReportTests {
    @Test func collapseAndCut() {
        var config = JourneyConfig()
        config.pathDepth = 3
        let t = at(1, 9)
        // email, email, direct, email, organic_search, paid_search → email > direct > email > organic_search > paid_search,
        // cut to 3 steps.
        let long = journey("a", sessions: ["email", "email", "direct", "email", "organic_search", "paid_search"].enumerated().map {
            session(t + Int64($0.offset) * day, $0.element)
        }, orders: [order(t + 6 * day, 10)])
        #expect(PathsReport.path(long, depth: 3) == "email > direct > email")
        #expect(PathsReport.path(long, depth: 5) == "email > direct > email > organic_search > paid_search")
        let js = [
            long,
            journey("b", sessions: [session(t, "organic_search")], orders: [order(t, 5)]),
            journey("c", sessions: [session(t, "organic_search"), session(t + day, "organic_search")]), // collapses to one step
            journey("d", sessions: [session(t, "organic_search")]),
            journey("e"), // no sessions
            journey("f", sessions: [session(t, "email"), session(t + day, "direct"), session(t + 2 * day, "email")]),
        ]
        // organic_search: b c d (b converted) → 3, 1, 0.3333; email > direct > email: a f (a converted) → 2, 1, 0.5;
        // (none): e → 1, 0, 0. Sorted by persons desc, then path.
        #expect(csvLines(PathsReport(journeys: js, config: config).table) == [
            "organic_search,3,1,0.3333",
            "email > direct > email,2,1,0.5000",
            "(none),1,0,0.0000",
        ])
    }

    @Test func tiesByPath() {
        let t = at(1, 9)
        let js = [journey("a", sessions: [session(t, "referral")]), journey("b", sessions: [session(t, "direct")])]
        #expect(csvLines(PathsReport(journeys: js, config: JourneyConfig()).table) == ["direct,1,0,0.0000", "referral,1,0,0.0000"])
    }
}
