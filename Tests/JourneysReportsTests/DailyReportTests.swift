import Testing
import JourneysCore
import JourneysStages
@testable import JourneysReports

@Suite struct DailyReportTests {
    @Test func perDayAndChannel() {
        let a = Journey(personID: "a", customerID: nil,
                        touchpoints: [tp(at(1, 10)), tp(at(1, 10, 5)), tp(at(1, 12), .email, .emailOpen), tp(at(2, 9)),
                                      tp(at(2, 23, 59), .chat, .chatStarted)],
                        sessions: [session(at(1, 10), "organic_search", first: 0, count: 2), session(at(1, 12), "email", first: 2),
                                   session(at(2, 9), "direct", first: 3), session(at(2, 23, 59), "direct", first: 4)],
                        orders: [order(at(2, 9), 50, touchpoint: 3)])
        let b = Journey(personID: "b", customerID: nil,
                        touchpoints: [tp(at(1, 11)), tp(at(2, 10), .chat, .chatStarted), tp(at(2, 10, 30))],
                        sessions: [session(at(1, 11), "direct", first: 0), session(at(2, 10), "direct", first: 1, count: 2)],
                        orders: [order(at(2, 10, 30), 25.5, touchpoint: 2)])
        // 10-01 email: a's open → 1 touchpoint, 1 person, 1 session (a's 12:00, first touchpoint email).
        // 10-01 web: a 10:00, 10:05, b 11:00 → 3, 2 persons, 2 sessions.
        // 10-02 chat: a 23:59, b 10:00 → 2, 2, 2 sessions (both start on chat).
        // 10-02 web: a 09:00, b 10:30 → 2, 2; 1 session (a's 09:00; b's 10:30 is in a session that starts on chat);
        //            orders a 50 + b 25.5 = 2, 75.50.
        #expect(csvLines(DailyReport(journeys: [b, a], config: JourneyConfig()).table) == [
            "2026-10-01,email,1,1,1,0,0.00",
            "2026-10-01,web,3,2,2,0,0.00",
            "2026-10-02,chat,2,2,2,0,0.00",
            "2026-10-02,web,2,2,1,2,75.50",
        ])
    }
}
