import Testing
import JourneysCore
import JourneysStages
@testable import JourneysReports

@Suite struct JourneysReportTests {
    /// A person who came from paid search, read an email, bought twice, and reported a slow page.
    func shopper() -> Journey {
        var tps = [tp(at(10, 8)), tp(at(10, 8, 10)), tp(at(11, 9), .email, .emailClick), tp(at(11, 9, 5)),
                   tp(at(12, 20, 30), .chat, .chatRating), tp(at(13, 14))]
        tps[1].path = "/pricing"
        return Journey(personID: "p_00af", customerID: "007", touchpoints: tps,
                       sessions: [session(at(10, 8), "paid_search", first: 0, count: 2, campaign: "autumn-sale"),
                                  session(at(11, 9), "email", first: 2, count: 2, campaign: "=cmd"),
                                  session(at(12, 20, 30), "direct", first: 4, count: 1),
                                  session(at(13, 14), "organic_search", first: 5, count: 1)],
                       stageTimes: [at(10, 8), at(10, 8, 10), nil, at(11, 9, 5), at(13, 14), nil],
                       orders: [order(at(11, 9, 5), 49.9, touchpoint: 3), order(at(13, 14), 20, touchpoint: 5)],
                       painPoints: [PainPoint(kind: .slowPage, stage: "consideration", time: at(10, 8, 10), touchpoint: 1)],
                       nps: 9, csat: 2.0 / 3)
    }

    @Test func rowByHand() throws {
        // first_seen 10-10 08:00, last_seen 10-13 14:00; 6 touchpoints, 4 sessions; channels chat|email|web;
        // first touch paid_search / autumn-sale; last session organic_search; furthest stage retention (index 4);
        // stages reached awareness, consideration, purchase, retention (decision skipped);
        // first purchase 10-11 09:05, 25 h 5 min after first seen = 25.0833… → 25.08 h; 2 orders, 69.90;
        // 1 pain point; nps 9; csat 2/3 → 0.6667. customer id 007 keeps its zeros with a leading '.
        let lines = csvLines(try journeysFile([shopper()]))
        #expect(lines == ["p_00af,'007,2026-10-10T08:00:00.000Z,2026-10-13T14:00:00.000Z,6,4,chat|email|web,paid_search,autumn-sale,"
                          + "organic_search,retention,awareness>consideration>purchase>retention,true,2026-10-11T09:05:00.000Z,25.08,2,69.90,1,9,0.6667"])
    }

    @Test func header() throws {
        let text = try journeysFile([])
        #expect(text == "person_id,customer_id,first_seen,last_seen,touchpoints,sessions,channels,first_touch_channel,first_touch_campaign,"
                + "last_touch_channel,furthest_stage,stages,converted,first_purchase_at,hours_to_first_purchase,orders,revenue,pain_points,nps,csat\r\n")
    }

    @Test func nonBuyer() throws {
        // A person with one web touchpoint and nothing else: empty customer, campaign, purchase columns.
        let j = Journey(personID: "p_1", customerID: nil, touchpoints: [tp(at(5, 7))],
                        sessions: [session(at(5, 7), "direct")], stageTimes: [at(5, 7)])
        let lines = csvLines(try journeysFile([shopper(), j])) // in person order: "p_00af" < "p_1"
        #expect(lines[0].hasPrefix("p_00af,"))
        #expect(lines[1] == "p_1,,2026-10-05T07:00:00.000Z,2026-10-05T07:00:00.000Z,1,1,web,direct,,direct,awareness,awareness,false,,,0,0.00,0,,")
    }

    @Test func campaignFromALogIsNeutralised() throws {
        var j = shopper()
        j.sessions[0].campaign = "=HYPERLINK(\"http://x\")"
        #expect(csvLines(try journeysFile([j]))[0].contains(#",paid_search,"'=HYPERLINK(""http://x"")",organic_search,"#))
    }

    @Test func jsonRow() throws {
        let json = try journeysFile([shopper()], .json)
        #expect(json.contains(#""customer_id":"007""#))
        #expect(json.contains(#""converted":true"#))
        #expect(json.contains(#""revenue":69.90"#))
        #expect(json.contains(#""hours_to_first_purchase":25.08"#))
    }
}
