import Testing
import JourneysCore
import JourneysStages
@testable import JourneysReports

@Suite struct AttributionReportTests {
    let config = JourneyConfig() // half-life 7 days, lookback 30 days, all six models

    /// Rows of one model as `channel: (conversions, revenue)` in the written (rounded) form.
    func credit(_ r: AttributionReport, _ model: AttributionModel) -> [String: String] {
        var out: [String: String] = [:]
        for row in r.rows where row.model == model {
            out[row.channel] = "\(Fixed.string(units: row.conversions, places: 4)) \(Fixed.string(units: row.revenue, places: 2))"
        }
        return out
    }

    @Test func weightsByHand() {
        let t = at(20, 12)
        let w = AttributionReport.weights
        // Touches 14, 7 and 0 days before: 2^-2 = 1/4, 2^-1 = 1/2, 2^0 = 1; sum 7/4 → 1/7, 2/7, 4/7.
        let three = [AttributionReport.Touch(channel: "a", time: t - 14 * day), .init(channel: "b", time: t - 7 * day), .init(channel: "c", time: t)]
        let td = w(.timeDecay, three, t, 7 * day)
        #expect(abs(td[0] - 1.0 / 7) < 1e-12 && abs(td[1] - 2.0 / 7) < 1e-12 && abs(td[2] - 4.0 / 7) < 1e-12)
        // Position based, three touches: 40 / 20 / 40.
        #expect(w(.positionBased, three, t, 7 * day) == [0.4, 0.2, 0.4])
        // Four touches: 40 %, 10 %, 10 %, 40 %.
        let four = three + [.init(channel: "d", time: t)]
        #expect(w(.positionBased, four, t, 7 * day) == [0.4, 0.1, 0.1, 0.4])
        #expect(w(.linear, four, t, 7 * day) == [0.25, 0.25, 0.25, 0.25])
        // Two touches 50/50; one touch 100 %.
        #expect(w(.positionBased, Array(three.prefix(2)), t, 7 * day) == [0.5, 0.5])
        #expect(w(.positionBased, [three[0]], t, 7 * day) == [1])
        #expect(w(.timeDecay, [three[0]], t, 7 * day) == [1])
        // Last non-direct skips direct touches, and falls back to the last touch when all are direct.
        let direct = [AttributionReport.Touch(channel: "email", time: t - day), .init(channel: "direct", time: t)]
        #expect(w(.lastNonDirect, direct, t, 7 * day) == [1, 0])
        #expect(w(.lastNonDirect, [.init(channel: "direct", time: t - day), .init(channel: "direct", time: t)], t, 7 * day) == [0, 1])
        #expect(w(.firstTouch, four, t, 7 * day) == [1, 0, 0, 0])
        #expect(w(.lastTouch, four, t, 7 * day) == [0, 0, 0, 1])
    }

    @Test func oneTouchGetsEverything() {
        // One organic search session at 10:00, an order of 100 at 10:20: every model gives it 1 and 100.
        let j = journey("p1", sessions: [session(at(1, 10), "organic_search")], orders: [order(at(1, 10, 20), 100)])
        let r = AttributionReport(journeys: [j], config: config)
        for m in AttributionModel.allCases {
            #expect(credit(r, m) == ["organic_search": "1.0000 100.00"], "\(m)")
        }
        #expect(r.rows.map(\.model) == AttributionModel.allCases)
    }

    @Test func twoTouches() {
        // Email 7 days before the order, direct at the order time; order value 100.
        let t = at(20, 12)
        let j = journey("p1", sessions: [session(t - 7 * day, "email"), session(t, "direct")], orders: [order(t, 100)])
        let r = AttributionReport(journeys: [j], config: config)
        #expect(credit(r, .firstTouch) == ["email": "1.0000 100.00"])
        #expect(credit(r, .lastTouch) == ["direct": "1.0000 100.00"])
        #expect(credit(r, .lastNonDirect) == ["email": "1.0000 100.00"])
        #expect(credit(r, .linear) == ["email": "0.5000 50.00", "direct": "0.5000 50.00"])
        // Time decay: 2^-1 = 1/2 and 2^0 = 1 → 1/3 and 2/3; 0.3333 + 0.6667 and 33.33 + 66.67 (largest remainder).
        #expect(credit(r, .timeDecay) == ["email": "0.3333 33.33", "direct": "0.6667 66.67"])
        #expect(credit(r, .positionBased) == ["email": "0.5000 50.00", "direct": "0.5000 50.00"])
    }

    @Test func fourTouches() {
        // Touches 21, 14, 7 and 0 days before an order of 150.
        let t = at(25, 9)
        let j = journey("p1", sessions: [session(t - 21 * day, "paid_search"), session(t - 14 * day, "email"),
                                         session(t - 7 * day, "organic_social"), session(t, "direct")],
                        orders: [order(t, 150)])
        let r = AttributionReport(journeys: [j], config: config)
        #expect(credit(r, .firstTouch) == ["paid_search": "1.0000 150.00"])
        #expect(credit(r, .lastTouch) == ["direct": "1.0000 150.00"])
        #expect(credit(r, .lastNonDirect) == ["organic_social": "1.0000 150.00"])
        #expect(credit(r, .linear) == ["paid_search": "0.2500 37.50", "email": "0.2500 37.50",
                                        "organic_social": "0.2500 37.50", "direct": "0.2500 37.50"])
        // Weights 1/8, 1/4, 1/2, 1 (sum 15/8) → 1/15, 2/15, 4/15, 8/15: 0.0667, 0.1333, 0.2667, 0.5333
        // (sum 1.0000); revenue 150/15 = 10 per fifteenth → 10, 20, 40, 80.
        #expect(credit(r, .timeDecay) == ["paid_search": "0.0667 10.00", "email": "0.1333 20.00",
                                           "organic_social": "0.2667 40.00", "direct": "0.5333 80.00"])
        // 40 / 10 / 10 / 40 → 60, 15, 15, 60.
        #expect(credit(r, .positionBased) == ["paid_search": "0.4000 60.00", "email": "0.1000 15.00",
                                               "organic_social": "0.1000 15.00", "direct": "0.4000 60.00"])
        // Rows by model in config order, then channel.
        #expect(csvLines(r.table).prefix(5) == [
            "first_touch,paid_search,1.0000,150.00",
            "last_touch,direct,1.0000,150.00",
            "last_non_direct,organic_social,1.0000,150.00",
            "linear,direct,0.2500,37.50",
            "linear,email,0.2500,37.50",
        ])
    }

    @Test func threeTouchesTimeDecay() {
        // 14, 7, 0 days before an order of 70: 1/7, 2/7, 4/7 = 0.1429 (largest remainder: 1428.57 → 1429),
        // 0.2857, 0.5714; revenue 10, 20, 40.
        let t = at(25, 9)
        let j = journey("p1", sessions: [session(t - 14 * day, "a"), session(t - 7 * day, "b"), session(t, "c")],
                        orders: [order(t, 70)])
        let r = AttributionReport(journeys: [j], config: config)
        #expect(credit(r, .timeDecay) == ["a": "0.1429 10.00", "b": "0.2857 20.00", "c": "0.5714 40.00"])
    }

    @Test func touchesWindowAndNoTouch() {
        let t = at(31, 12)
        // A session 31 days before (outside the 30-day lookback) and one after the order get nothing;
        // the one 30 days before exactly counts.
        let j1 = journey("p1", sessions: [session(t - 31 * day, "display"), session(t - 30 * day, "email"), session(t + hour, "direct")],
                         orders: [order(t, 10)])
        // An order before any session: credited to (none).
        let j2 = journey("p2", sessions: [session(t + hour, "email")], orders: [order(t, 5)])
        let r = AttributionReport(journeys: [j1, j2], config: config)
        for m in AttributionModel.allCases {
            #expect(credit(r, m) == ["email": "1.0000 10.00", "(none)": "1.0000 5.00"], "\(m)")
        }
        #expect(AttributionReport.touches([session(t - 31 * day, "x"), session(t, "y"), session(t + 1, "z")], before: t, lookbackMs: 30 * day)
                == [.init(channel: "y", time: t)])
    }

    @Test func conversionsSumToOrders() {
        // Three persons, five orders, odd splits: each model's written conversions add up to 5.0000
        // and its revenue to 10.00 + 20.00 + 33.33 + 0.01 + 7.00 = 70.34.
        let t = at(20, 12)
        let a = journey("a", sessions: [session(t - 3 * day, "email"), session(t - 2 * day, "direct"), session(t - day, "paid_search")],
                        orders: [order(t, 10), order(t + day, 20)])
        let b = journey("b", sessions: [session(t - 5 * day, "organic_search"), session(t - 4 * day, "referral"),
                                        session(t - 3 * day, "email"), session(t - 2 * day, "organic_social"),
                                        session(t - 1 * day, "organic_search"), session(t, "direct")],
                        orders: [order(t, 33.33), order(t + 1, 0.01)])
        let c = journey("c", sessions: [], orders: [order(t, 7)])
        let d = journey("d", sessions: [session(t, "email")])
        let r = AttributionReport(journeys: [d, c, b, a], config: config)
        for m in AttributionModel.allCases {
            let rows = r.rows.filter { $0.model == m }
            let units = rows.map(\.conversions).reduce(0, +)
            let cents = rows.map(\.revenue).reduce(0, +)
            #expect(units == 50_000, "\(m)")
            #expect(cents == 7034, "\(m)")
        }
        // Same rows whatever the order of the journeys.
        #expect(AttributionReport(journeys: [a, b, c, d], config: config).rows == r.rows)
    }

    @Test func modelsFollowConfig() {
        var c = config
        c.attributionModels = [.linear, .firstTouch]
        let j = journey("p1", sessions: [session(at(1, 10), "email"), session(at(2, 10), "direct")], orders: [order(at(2, 11), 1)])
        let lines = csvLines(AttributionReport(journeys: [j], config: c).table)
        #expect(lines == ["linear,direct,0.5000,0.50", "linear,email,0.5000,0.50", "first_touch,email,1.0000,1.00"])
    }

    @Test func apportionKeepsTotals() {
        #expect(AttributionReport.apportion([3333.33, 6666.67], total: 10_000) == [3333, 6667])
        #expect(AttributionReport.apportion([3333.3333, 3333.3333, 3333.3333], total: 10_000) == [3334, 3333, 3333])
        #expect(AttributionReport.apportion([], total: 0) == [])
    }

    @Test func manyOrdersAtTheLargestValueDoNotOverflow() {
        // 100,000 orders of 1e12 (the largest value a reader accepts): 1e17 in all, 1e19 cents,
        // over Int64.max (about 9.22e18), which trapped when the cents were apportioned as Int64.
        // Email a day before and direct at the order time: linear gives each half, 5e16.
        let t = at(20, 12)
        let orders = (0..<100_000).map { _ in order(t, NumberRange.value.upperBound) }
        let j = journey("p1", sessions: [session(t - day, "email"), session(t, "direct")], orders: orders)
        let r = AttributionReport(journeys: [j], config: config)
        #expect(credit(r, .linear) == ["email": "50000.0000 50000000000000000.00", "direct": "50000.0000 50000000000000000.00"])
        #expect(credit(r, .firstTouch) == ["email": "100000.0000 100000000000000000.00"])
    }
}
