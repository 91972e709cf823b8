import Testing
import JourneysCore
import JourneysStages
@testable import JourneysReports

@Suite struct ChannelsReportTests {
    @Test func byFirstTouch() {
        let t = at(2, 10)
        let js = [
            // First session email (the later direct session does not matter); orders 10 + 20.5.
            journey("a", sessions: [session(t, "email"), session(t + day, "direct")], orders: [order(t + day, 10), order(t + 2 * day, 20.5)]),
            journey("b", sessions: [session(t, "email")]),
            journey("c", sessions: [session(t, "organic_search")], orders: [order(t, 99.99)]),
            journey("d"), // no session: (none)
        ]
        // (none): 1 person, 0 converters; email: a b → 2, 1 converter, 0.5, 2 orders, 30.50; organic_search: 1, 1, 1, 1, 99.99.
        #expect(csvText(ChannelsReport(journeys: js, config: JourneyConfig()).table) == """
        channel,persons,converters,conversion_rate,orders,revenue\r
        (none),1,0,0.0000,0,0.00\r
        email,2,1,0.5000,2,30.50\r
        organic_search,1,1,1.0000,1,99.99\r

        """)
    }

    @Test func sessionsOutOfOrderStillUseTheEarliest() {
        let t = at(2, 10)
        let j = Journey(personID: "a", customerID: nil, touchpoints: [tp(t), tp(t + day)],
                        sessions: [session(t + day, "direct", first: 1), session(t, "referral", first: 0)])
        #expect(j.firstTouchChannel == "referral")
    }
}
