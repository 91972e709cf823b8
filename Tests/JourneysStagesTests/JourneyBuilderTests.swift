import JourneysCore
import JourneysEngine
@testable import JourneysStages
import Testing

/// Small journeys worked out by hand; `at(day, h, m, s)` is 2026-10-<day> h:m:s UTC.
@Suite struct JourneyBuilderTests {
    func build(_ tps: [Touchpoint], _ config: JourneyConfig = JourneyConfig(), inputs: [String] = ["a.log"]) -> [Journey] {
        JourneyBuilder.build(tps, inputNames: inputs, config: config).journeys
    }

    func only(_ tps: [Touchpoint], _ config: JourneyConfig = JourneyConfig()) -> Journey {
        let js = build(tps, config)
        #expect(js.count == 1)
        return js[0]
    }

    /// (start, end, first, count, channel) of each session.
    func spans(_ j: Journey) -> [String] {
        j.sessions.map { "\($0.start)-\($0.end) \($0.first)+\($0.count) \($0.channel)" }
    }

    // MARK: Sessions

    @Test func timeoutBreaksAt31MinutesNotAt29Or30() {
        // Gaps: 29 min (same), 31 min (new), exactly 30 min (same: only a gap *longer* than 30 breaks).
        let j = only([
            page(at(1, 10, 0), "/", visitor: "v"), page(at(1, 10, 29), "/a", visitor: "v", line: 2),
            page(at(1, 11, 0), "/b", visitor: "v", line: 3), page(at(1, 11, 30), "/c", visitor: "v", line: 4),
        ])
        #expect(spans(j) == ["\(at(1, 10, 0))-\(at(1, 10, 29)) 0+2 direct", "\(at(1, 11, 0))-\(at(1, 11, 30)) 2+2 direct"])
    }

    @Test func midnightBreakIsOptional() {
        let tps = [page(at(1, 23, 50), "/", visitor: "v"), page(at(2, 0, 10), "/a", visitor: "v", line: 2)]
        // 20 minutes apart: one session by default, two when breaking at midnight UTC.
        #expect(only(tps).sessions.count == 1)
        var c = JourneyConfig()
        c.breakAtMidnight = true
        #expect(spans(only(tps, c)) == ["\(at(1, 23, 50))-\(at(1, 23, 50)) 0+1 direct", "\(at(2, 0, 10))-\(at(2, 0, 10)) 1+1 direct"])
    }

    @Test func campaignChangeBreakIsOptional() {
        let tps = [
            page(at(1, 10, 0), "/?utm_source=google&utm_medium=cpc&utm_campaign=brand", visitor: "v"),
            page(at(1, 10, 5), "/products", visitor: "v", line: 2),                                        // untagged: no break
            page(at(1, 10, 10), "/?utm_source=newsletter&utm_medium=email&utm_campaign=autumn", visitor: "v", line: 3), // new campaign
            page(at(1, 10, 12), "/?utm_source=newsletter&utm_medium=email&utm_campaign=autumn", visitor: "v", line: 4), // same campaign
        ]
        let one = only(tps)
        #expect(spans(one) == ["\(at(1, 10, 0))-\(at(1, 10, 12)) 0+4 paid_search"])
        #expect(one.sessions[0].source == "google" && one.sessions[0].medium == "cpc" && one.sessions[0].campaign == "brand")
        var c = JourneyConfig()
        c.breakOnCampaignChange = true
        let two = only(tps, c)
        #expect(spans(two) == ["\(at(1, 10, 0))-\(at(1, 10, 5)) 0+2 paid_search", "\(at(1, 10, 10))-\(at(1, 10, 12)) 2+2 email"])
        #expect(two.sessions[1].campaign == "autumn")

        // An email click then its tagged landing page: the session began on the email touchpoint,
        // whose web campaign is taken from the landing page without a break.
        var click = TP.make(at(1, 9, 0), .email, .emailClick, customer: "C1")
        click.campaign = Campaign(name: "autumn")
        let landing = page(at(1, 9, 0) + 5000, "/?utm_source=newsletter&utm_medium=email&utm_campaign=autumn", customer: "C1", line: 2)
        #expect(spans(only([click, landing], c)) == ["\(at(1, 9, 0))-\(at(1, 9, 0) + 5000) 0+2 email"])
    }

    @Test func businessEventsDoNotOpenSessions() {
        // Delivered emails and an agent message belong to the journey but not to sessions: one
        // session 10:00–10:20 whose slice (touchpoints 1…3) includes the 10:10 delivery.
        let tps = [
            TP.make(at(1, 9, 0), .email, .emailDelivered, customer: "C1", email: "a@x.com"),
            page(at(1, 10, 0), "/", visitor: "v", customer: "C1", line: 2),
            TP.make(at(1, 10, 10), .email, .emailDelivered, customer: "C1", line: 3),
            page(at(1, 10, 20), "/pricing", visitor: "v", line: 4),
            TP.make(at(1, 12, 0), .chat, .chatMessageAgent, email: "a@x.com", chat: "c1", line: 5),
        ]
        let j = only(tps)
        #expect(j.touchpoints.count == 5)
        #expect(spans(j) == ["\(at(1, 10, 0))-\(at(1, 10, 20)) 1+3 direct"])
        // The 09:00 delivery reached awareness (the default awareness rule matches any touchpoint).
        #expect(j.stageTimes == [at(1, 9, 0), at(1, 10, 20), nil, nil, nil, nil])

        let quiet = only([TP.make(at(1, 9, 0), .email, .emailDelivered, email: "b@x.com"),
                          TP.make(at(1, 9, 1), .email, .emailBounce, email: "b@x.com", line: 2)])
        #expect(quiet.sessions.isEmpty)
    }

    @Test func machineOpensDoNotOpenSessions() {
        // A privacy proxy opened the message at 09:00; the person opened it at 09:40 and
        // clicked at 09:45. One session, 09:40-09:45, starting on the person's own open
        // (touchpoint 1); the machine open stays in the journey.
        let tps = [
            TP.make(at(1, 9, 0), .email, .emailMachineOpen, email: "a@x.com"),
            TP.make(at(1, 9, 40), .email, .emailOpen, email: "a@x.com", line: 2),
            TP.make(at(1, 9, 45), .email, .emailClick, email: "a@x.com", line: 3),
        ]
        let j = only(tps)
        #expect(j.touchpoints.count == 3)
        #expect(spans(j) == ["\(at(1, 9, 40))-\(at(1, 9, 45)) 1+2 email"])
        #expect(only([TP.make(at(1, 9, 0), .email, .emailMachineOpen, email: "b@x.com")]).sessions.isEmpty)
    }

    @Test func sessionChannelComesFromItsFirstTouchpoint() {
        let j = only([
            page(at(1, 10, 0), "/", visitor: "v", referrer: "www.google.com"),
            page(at(1, 10, 1), "/?utm_source=newsletter&utm_medium=email", visitor: "v", line: 2),
            TP.make(at(2, 10, 0), .chat, .chatStarted, visitor: "v", chat: "c", line: 3),
        ])
        #expect(j.sessions.map(\.channel) == ["organic_search", "chat"])
        #expect(j.sessions[0].source == "www.google.com" && j.sessions[0].medium == "organic")
    }

    // MARK: Order of touchpoints

    @Test func tiesBreakByInputNameThenLine() {
        // Same instant: input 1 is "a.log", which sorts before input 0 "b.log"; within b.log, line 3 before 7.
        let t = at(1, 10, 0)
        let tps = [
            TP.make(t, .web, .pageView, visitor: "v", line: 7, input: 0),
            TP.make(t, .web, .pageView, visitor: "v", line: 5, input: 1),
            TP.make(t, .web, .pageView, visitor: "v", line: 3, input: 0),
        ]
        let j = build(tps, inputs: ["b.log", "a.log"])[0]
        #expect(j.touchpoints.map { "\($0.origin.input):\($0.origin.line)" } == ["1:5", "0:3", "0:7"])
    }

    // MARK: Stages and orders

    @Test func failedConfirmationIsNoPurchase() {
        var done = page(at(1, 10, 4), "/checkout/complete?value=40", visitor: "v", line: 5)
        done.value = 40
        let j = only([
            page(at(1, 10, 0), "/", visitor: "v"),                                          // awareness 10:00
            page(at(1, 10, 1), "/pricing", visitor: "v", line: 2),                          // consideration 10:01
            page(at(1, 10, 2), "/cart", visitor: "v", line: 3),                             // decision 10:02
            page(at(1, 10, 3), "/checkout/complete?value=40", visitor: "v", status: 500, line: 4), // 500: nothing
            done,                                                                           // purchase 10:04, order 40
        ])
        #expect(j.stageTimes == [at(1, 10, 0), at(1, 10, 1), at(1, 10, 2), at(1, 10, 4), nil, nil])
        #expect(j.orders == [Order(time: at(1, 10, 4), value: 40, currency: nil, touchpoint: 4, session: 0, channel: .web)])
        #expect(j.painPoints == [PainPoint(kind: .failingPage, stage: "decision", time: at(1, 10, 3), touchpoint: 3)])
        #expect(j.furthestStage == 3 && j.converted && j.revenue == 40)
    }

    @Test func successOnlyOffLetsErrorsAdvanceButNeverOrders() {
        var c = JourneyConfig()
        c.successOnly = false
        let j = only([page(at(1, 10, 0), "/pricing", visitor: "v", status: 404),
                      page(at(1, 10, 1), "/checkout/complete", visitor: "v", status: 500, line: 2)], c)
        // The 404 reaches awareness and consideration; the 500 reaches decision (/checkout
        // prefix) but, not being an order, not purchase.
        #expect(j.stageTimes == [at(1, 10, 0), at(1, 10, 0), at(1, 10, 1), nil, nil, nil])
        #expect(j.orders.isEmpty)
    }

    @Test func stagesAreNotFilledBackwards() {
        // Only a /refer page: awareness (any touchpoint) and advocacy, nothing in between.
        let j = only([page(at(1, 10, 0), "/refer/friends", visitor: "v")])
        #expect(j.stageTimes == [at(1, 10, 0), nil, nil, nil, nil, at(1, 10, 0)])
        #expect(j.furthestStage == 5)
    }

    @Test func repeatPurchaseReachesRetention() {
        var first = page(at(1, 10, 0), "/checkout/complete?value=40", visitor: "v")
        first.value = 40
        var second = TP.make(at(3, 18, 0), .web, .purchase, visitor: "v", line: 2) // an orders feed row
        second.value = 60
        second.currency = "EUR"
        let j = only([first, second, page(at(4, 9, 0), "/thank-you", visitor: "v", line: 3)])
        // Orders 40 (purchase), 60 (second: retention), 0 (/thank-you without a value).
        #expect(j.orders.map(\.value) == [40, 60, 0])
        #expect(j.orders.map(\.session) == [0, 1, 2])
        #expect(j.orders[1].currency == "EUR")
        #expect(j.revenue == 100)
        #expect(j.stageTimes[3] == at(1, 10, 0))
        #expect(j.stageTimes[4] == at(3, 18, 0))
    }

    @Test func surveyScoresAndAdvocacy() {
        func survey(_ score: Double, _ time: Int64, _ who: String, line: Int64 = 1) -> Touchpoint {
            var t = TP.make(time, .chat, .chatSurvey, chat: who, line: line)
            t.score = score
            return t
        }
        let promoter = only([survey(9, at(1, 10, 0), "c1")])
        #expect(promoter.stageTimes[5] == at(1, 10, 0))
        #expect(promoter.nps == 9)
        let passive = only([survey(6, at(1, 10, 0), "c2")])
        #expect(passive.stageTimes[5] == nil)
        #expect(passive.nps == 6)
        // The last survey is the NPS; advocacy stays reached at the first 9.
        let changed = only([survey(9, at(1, 10, 0), "c3"), survey(6, at(2, 10, 0), "c3", line: 2)])
        #expect(changed.nps == 6)
        #expect(changed.stageTimes[5] == at(1, 10, 0))
    }

    @Test func pathPatterns() {
        #expect(JourneyBuilder.pathMatches("/cart", "/cart"))
        #expect(JourneyBuilder.pathMatches("/cart", "/cart/"))
        #expect(JourneyBuilder.pathMatches("/cart", "/Cart/items"))
        #expect(JourneyBuilder.pathMatches("/cart", "/cart.php"))
        #expect(!JourneyBuilder.pathMatches("/cart", "/cartoons"))
        #expect(!JourneyBuilder.pathMatches("/checkout/complete", "/checkout"))
        #expect(JourneyBuilder.pathMatches("/products/*/reviews", "/products/42/reviews"))
        #expect(JourneyBuilder.pathMatches("/products/*/reviews", "/products/42/reviews/2"))
        #expect(!JourneyBuilder.pathMatches("/products/*/reviews", "/products/42/x/reviews"))
        #expect(JourneyBuilder.pathMatches("/blog*", "/blog-post/1"))
        #expect(JourneyBuilder.pathMatches("/", "/anything"))
    }

    // MARK: Pain points

    @Test func everyPainKind() {
        func p(_ time: Int64, _ path: String, status: Int16 = 200, line: Int64) -> Touchpoint {
            page(time, path, customer: "P", status: status, line: line)
        }
        func chat(_ time: Int64, _ action: Action, _ conv: String, score: Double? = nil, line: Int64) -> Touchpoint {
            var t = TP.make(time, .chat, action, customer: "P", line: line)
            t.conversation = conv
            t.score = score
            return t
        }
        var slow = p(at(1, 10, 0), "/", line: 1)
        slow.responseTimeMs = 3500
        var order = p(at(2, 10, 1), "/checkout/complete?value=10", line: 8)
        order.value = 10
        let tps = [
            slow,                                                   // 0 slow_page @awareness
            p(at(1, 10, 1), "/missing", status: 404, line: 2),     // 1 client error before purchase @awareness
            p(at(1, 10, 2), "/products/1", line: 3),               // 2 consideration
            p(at(1, 10, 3), "/cart", line: 4),                     // 3 decision; session 0 ends here: abandoned cart
            p(at(1, 14, 0), "/cart", line: 5),                     // 4
            p(at(1, 14, 1), "/checkout", line: 6),                 // 5 session 1: abandoned checkout (not cart)
            p(at(2, 10, 0), "/checkout", line: 7),                 // 6
            order,                                                  // 7 purchase: session 2 has an order
            p(at(2, 10, 2), "/nope", status: 404, line: 9),        // 8 after the first order: no pain
            p(at(2, 11, 0), "/boom", status: 503, line: 10),       // 9 failing_page @purchase
            TP.make(at(3, 8, 0), .email, .emailBounce, customer: "P", line: 11),      // 10
            TP.make(at(3, 8, 1), .email, .emailComplaint, customer: "P", line: 12),   // 11
            TP.make(at(3, 8, 2), .email, .emailUnsubscribe, customer: "P", line: 13), // 12
            chat(at(3, 10, 0), .chatMessageVisitor, "k1", line: 14),                  // 13 answered after 6 min: slow
            chat(at(3, 10, 0, 1), .chatMessageBot, "k1", line: 15),                   // 14 a bot is no answer
            chat(at(3, 10, 6), .chatMessageAgent, "k1", line: 16),                    // 15
            chat(at(3, 10, 7), .chatRating, "k1", score: 2, line: 17),                // 16 bad rating
            chat(at(3, 11, 0), .chatMessageVisitor, "k2", line: 18),                  // 17 answered after exactly 5 min: fine
            chat(at(3, 11, 5), .chatMessageAgent, "k2", line: 19),                    // 18
            chat(at(3, 11, 6), .chatRating, "k2", score: 5, line: 20),                // 19
            chat(at(3, 12, 0), .chatMessageVisitor, "k3", line: 21),                  // 20 never answered: slow
            chat(at(3, 12, 1), .chatRating, "k3", score: 4, line: 22),                // 21
        ]
        let j = only(tps)
        let expected: [(PainKind, String, Int)] = [
            (.slowPage, "awareness", 0), (.clientErrorBeforePurchase, "awareness", 1), (.abandonedCart, "decision", 3),
            (.abandonedCheckout, "decision", 5), (.failingPage, "purchase", 9), (.emailBounce, "purchase", 10),
            (.emailComplaint, "purchase", 11), (.emailUnsubscribe, "purchase", 12), (.slowChatResponse, "purchase", 13),
            (.badChatRating, "purchase", 16), (.slowChatResponse, "purchase", 20),
        ]
        #expect(j.painPoints == expected.map { PainPoint(kind: $0.0, stage: $0.1, time: j.touchpoints[$0.2].time, touchpoint: $0.2) })
        #expect(j.csat == 2.0 / 3.0) // 5 and 4 of the ratings 2, 5, 4
        #expect(j.nps == nil)
        #expect(Set(j.painPoints.map(\.kind)) == Set(PainKind.allCases))
    }

    @Test func painBeforeAnyStageAndThresholds() {
        var fast = page(at(1, 10, 1), "/", visitor: "v", line: 2)
        fast.responseTimeMs = 3000 // not over 3000
        let j = only([page(at(1, 10, 0), "/", visitor: "v", status: 502), fast])
        #expect(j.painPoints == [PainPoint(kind: .failingPage, stage: "none", time: at(1, 10, 0), touchpoint: 0)])
    }

    @Test func chatsWithoutConversationIDsSplitAtStartsAndGaps() {
        // No conversation ids: chat_started opens a new conversation, so the second chat's
        // visitor message is judged on its own (unanswered: slow), the first was answered in 1 min.
        let tps = [
            TP.make(at(1, 10, 0), .chat, .chatStarted, chat: "c", line: 1),
            TP.make(at(1, 10, 0), .chat, .chatMessageVisitor, chat: "c", line: 2),
            TP.make(at(1, 10, 1), .chat, .chatMessageAgent, chat: "c", line: 3),
            TP.make(at(1, 10, 20), .chat, .chatStarted, chat: "c", line: 4),
            TP.make(at(1, 10, 20), .chat, .chatMessageVisitor, chat: "c", line: 5),
        ]
        #expect(only(tps).painPoints.map(\.touchpoint) == [4])
    }

    // MARK: Determinism

    /// A seeded crowd: 300 persons over web, email and chat, with shared keys.
    static func crowd() -> [Touchpoint] {
        var s: UInt64 = 2026
        func next(_ n: Int) -> Int {
            s = s &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((s >> 33) % UInt64(n))
        }
        let paths = ["/", "/pricing", "/products/7", "/cart", "/checkout", "/checkout/complete?value=25", "/missing", "/?gclid=x",
                     "/?utm_source=newsletter&utm_medium=email&utm_campaign=a"]
        var out: [Touchpoint] = []
        var line: Int64 = 0
        for p in 0..<300 {
            var time = at(1 + next(5), next(24), next(60))
            for _ in 0..<(1 + next(15)) {
                line += 1
                time += Int64(next(3) == 0 ? 3_600_000 : 60_000 * (1 + next(20)))
                switch next(6) {
                case 0:
                    var t = TP.make(time, .email, [Action.emailDelivered, .emailOpen, .emailClick, .emailBounce][next(4)],
                                    customer: "C\(p)", email: "p\(p)@x.com", line: line, input: 1)
                    t.campaign = Campaign(name: "n\(next(3))")
                    out.append(t)
                case 1:
                    var t = TP.make(time, .chat, [Action.chatMessageVisitor, .chatMessageAgent, .chatRating, .chatSurvey][next(4)],
                                    email: next(2) == 0 ? "p\(p)@x.com" : nil, chat: "ch\(p)", line: line, input: 2)
                    t.score = Double(next(11))
                    t.conversation = "k\(p)-\(next(2))"
                    out.append(t)
                default:
                    var t = page(time, paths[next(paths.count)], visitor: "v\(p)", customer: next(4) == 0 ? "C\(p)" : nil,
                                 status: [200, 200, 200, 404, 500][next(5)], line: line)
                    t.responseTimeMs = Int32(next(5000))
                    if t.path == "/checkout/complete" { t.value = Double(next(100)) }
                    out.append(t)
                }
            }
        }
        return out
    }

    /// Persons built in parallel by the engine, as `journeys run` builds them (`Engine.map` over
    /// `journey(for:in:)`), give the journeys of the single-threaded build, in
    /// the same order, and so does any input order.
    @Test func anyThreadCountAndInputOrderGiveTheSameJourneys() {
        let tps = Self.crowd()
        var c = JourneyConfig()
        c.breakOnCampaignChange = true
        let names = ["web.log", "email.json", "chat.json"]
        func parallel(_ tps: [Touchpoint], threads: Int) -> [Journey] {
            let persons = Stitcher.stitch(tps, config: c).persons
            let (columns, strings) = JourneyBuilder.columns(tps)
            let builder = JourneyBuilder(config: c, inputNames: names, strings: strings)
            return Engine.map(persons.count, threads: threads) { p in
                var j = builder.journey(for: persons[p], in: columns)
                j.touchpoints = builder.order(of: persons[p], in: columns).map { tps[$0] }
                return j
            }
        }
        let one = JourneyBuilder.build(tps, inputNames: names, config: c)
        let shuffled = JourneyBuilder.build(TP.shuffled(tps, seed: 7), inputNames: names, config: c)
        #expect(one.journeys.count > 250)
        #expect(one.journeys.map(\.personID) == one.journeys.map(\.personID).sorted())
        #expect(one.journeys.reduce(0) { $0 + $1.touchpoints.count } == tps.count)
        for threads in [1, 2, 4] {
            #expect(String(describing: one.journeys) == String(describing: parallel(tps, threads: threads)), "threads \(threads)")
        }
        #expect(String(describing: one.journeys) == String(describing: parallel(TP.shuffled(tps, seed: 7), threads: 3)))
        #expect(String(describing: one.journeys) == String(describing: shuffled.journeys))
        #expect(one.mergesBlocked == shuffled.mergesBlocked && one.blockedKeys == shuffled.blockedKeys)
    }
}
