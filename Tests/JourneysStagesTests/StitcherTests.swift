import JourneysCore
@testable import JourneysStages
import Testing

/// Touchpoint builders for the stitching / building tests (names kept apart from Helpers.swift).
enum TP {
    static func make(_ time: Int64, _ channel: Channel, _ action: Action, visitor: String? = nil, customer: String? = nil,
                     email: String? = nil, chat: String? = nil, line: Int64 = 1, input: Int32 = 0) -> Touchpoint {
        Touchpoint(time: time, channel: channel, action: action,
                   keys: IdentityKeys(visitor: visitor, customer: customer, email: email, chatVisitor: chat),
                   origin: Origin(input: input, line: line, offset: 0))
    }

    /// A deterministic shuffle (a fixed linear congruential generator), so a failure repeats.
    static func shuffled<T>(_ a: [T], seed: UInt64) -> [T] {
        var a = a
        var s = seed
        for i in stride(from: a.count - 1, to: 0, by: -1) {
            s = s &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let j = Int((s >> 33) % UInt64(i + 1))
            a.swapAt(i, j)
        }
        return a
    }
}

/// Person ids below were computed independently with a 6-line Python FNV-1a 64
/// (offset 0xcbf29ce484222325, prime 0x100000001b3) over the UTF-8 of `kind\0value`.
@Suite struct StitcherTests {
    let config = JourneyConfig()

    /// Persons as (person id, customer id, lines of their touchpoints), independent of input positions.
    func shape(_ r: StitchResult, _ tps: [Touchpoint]) -> [String] {
        r.persons.map { p in
            "\(p.personID) \(p.customerID ?? "-") " + p.touchpointIndices.map { String(tps[$0].origin.line) }.sorted().joined(separator: ",")
        }
    }

    /// The chain of the issue: anonymous cookie → login → email click with cid → chat with the same email.
    static let chain: [Touchpoint] = [
        TP.make(at(1, 9, 0), .web, .pageView, visitor: "v1", line: 1),                       // anonymous browsing
        TP.make(at(1, 9, 5), .web, .pageView, visitor: "v1", customer: "C1", line: 2),       // login links v1–C1
        TP.make(at(2, 8, 0), .email, .emailClick, customer: "C1", email: "a@x.com", line: 3), // ESP custom arg cid
        TP.make(at(3, 10, 0), .chat, .chatStarted, email: "a@x.com", chat: "ch9", line: 4),   // chat visitor gives email
        TP.make(at(3, 10, 1), .chat, .chatMessageVisitor, chat: "ch9", line: 5),             // later line: chat id only
        TP.make(at(1, 9, 0), .web, .pageView, visitor: "v2", line: 6),                       // a stranger
        TP.make(at(1, 9, 0), .web, .pageView, visitor: "v3", line: 7),                       // another stranger
    ]

    @Test func chainBecomesOnePerson() {
        let r = Stitcher.stitch(Self.chain, config: config)
        // Keys v1, C1, a@x.com, ch9 are one component through the links v1–C1, C1–a@x.com,
        // a@x.com–ch9: one person with customer C1 (id from "customer\0C1"); v2 and v3 alone.
        // Sorted by id: p5bbff3… (v3) < p5bbff4… (v2) < p5e6778… (C1).
        #expect(shape(r, Self.chain) == [
            "p5bbff3ea320f9364 - 7",
            "p5bbff4ea320f9517 - 6",
            "p5e677871a075a99b C1 1,2,3,4,5",
        ])
        #expect(r.mergesBlocked == 0)
        #expect(r.blockedKeys.isEmpty)
        #expect(r.persons[2].touchpointIndices == [0, 1, 2, 3, 4])
    }

    @Test func shuffledInputGivesTheSamePersons() {
        let base = shape(Stitcher.stitch(Self.chain, config: config), Self.chain)
        for seed in [1, 2, 3, 99] as [UInt64] {
            let s = TP.shuffled(Self.chain, seed: seed)
            #expect(shape(Stitcher.stitch(s, config: config), s) == base)
        }
    }

    @Test func personIDWithoutCustomerComesFromTheSmallestKey() {
        let tps = [
            // email < visitor in byte order, so "email\0b@y.com" names the person.
            TP.make(at(1, 9, 0), .web, .pageView, visitor: "zz", email: "b@y.com"),
            // chat_visitor < visitor: "chat_visitor\042".
            TP.make(at(1, 9, 0), .chat, .chatStarted, visitor: "v42", chat: "42", line: 2),
        ]
        let r = Stitcher.stitch(tps, config: config)
        #expect(shape(r, tps) == ["pa504d1defcec59f9 - 1", "pdf114d72ca3fc5b0 - 2"])
    }

    @Test func smallestCustomerIDWins() {
        // C10 and C2 on one visitor: byte order puts "C10" before "C2".
        let tps = [
            TP.make(at(1, 9, 0), .web, .pageView, visitor: "v", customer: "C2"),
            TP.make(at(1, 9, 1), .web, .pageView, visitor: "v", customer: "C10", line: 2),
        ]
        let r = Stitcher.stitch(tps, config: config)
        #expect(shape(r, tps) == ["pdf7b5413a7ef4d91 C10 1,2"])
    }

    @Test func chatVisitorIDIsNotAWebVisitorCookie() {
        // The same string "42" as a web cookie and as a chat tool's visitor id: two keys, two persons.
        let tps = [
            TP.make(at(1, 9, 0), .web, .pageView, visitor: "42"),
            TP.make(at(1, 9, 1), .chat, .chatStarted, chat: "42", line: 2),
        ]
        let r = Stitcher.stitch(tps, config: config)
        #expect(shape(r, tps) == ["p5aed64ea315cce55 - 1", "pdf114d72ca3fc5b0 - 2"])
        // A chat widget that reuses the site's cookie: the chat id is a visitor key, one person
        // named by "visitor\042".
        var reuse = config
        reuse.chatVisitorIsWebVisitor = true
        #expect(shape(Stitcher.stitch(tps, config: reuse), tps) == ["p5aed64ea315cce55 - 1,2"])
    }

    @Test func placeholderCustomerSharedBy30VisitorsMergesNobody() {
        // 30 visitors v0…v29 each logged in as "guest": "guest" is linked to 30 distinct visitor
        // keys > mergeLimit 20, so it is blocked; each visitor stays its own person (30), the 30
        // links are the blocked merges, and the lone "guest" line (no other key) is a 31st
        // person named by "customer\0guest".
        var tps = (0..<30).map { TP.make(at(1, 9, 0), .web, .pageView, visitor: "v\($0)", customer: "guest", line: Int64($0 + 1)) }
        tps.append(TP.make(at(1, 9, 0), .web, .pageView, customer: "guest", line: 31))
        let r = Stitcher.stitch(tps, config: config)
        #expect(r.persons.count == 31)
        #expect(r.mergesBlocked == 30)
        #expect(r.blockedKeys == ["customer:guest"])
        #expect(r.persons.filter { $0.customerID != nil }.map(\.personID) == ["p0145c69074bb1bd5"])
        let guest = r.persons.first { $0.personID == "p0145c69074bb1bd5" }
        #expect(guest?.touchpointIndices == [30])
        #expect(r.persons.contains { $0.personID == "p5bbff6ea320f987d" && $0.touchpointIndices == [0] }) // v0
    }

    @Test func linksToKeysSeenBeforeAndAfterAllCountTowardsTheLimit() {
        // v0…v9 browse first; then "guest" logs in on v0…v9 and on 11 new visitors v10…v20: 21
        // distinct visitors > mergeLimit 20, whichever of each pair was seen first, so "guest"
        // is blocked, its 21 links are the blocked merges and every visitor stays its own person.
        var tps = (0..<10).map { TP.make(at(1, 9, 0), .web, .pageView, visitor: "v\($0)", line: Int64($0 + 1)) }
        tps += (0..<21).map { TP.make(at(1, 10, 0), .web, .pageView, visitor: "v\($0)", customer: "guest", line: Int64($0 + 11)) }
        let r = Stitcher.stitch(tps, config: config)
        #expect(r.blockedKeys == ["customer:guest"])
        #expect(r.mergesBlocked == 21)
        #expect(r.persons.count == 21)
        #expect(r.persons.allSatisfy { $0.customerID == nil })
    }

    @Test func twentyLinksAreStillUsed() {
        // Exactly mergeLimit (20) visitors on one customer is not "more than": one person.
        let tps = (0..<20).map { TP.make(at(1, 9, 0), .web, .pageView, visitor: "v\($0)", customer: "C1", line: Int64($0 + 1)) }
        let r = Stitcher.stitch(tps, config: config)
        #expect(r.persons.count == 1)
        #expect(r.persons[0].customerID == "C1")
        #expect(r.mergesBlocked == 0)
    }

    @Test func sharedDeviceVisitorDoesNotMergeCustomers() {
        // One kiosk cookie "kiosk" used by 25 customers: the visitor key is blocked, so 25
        // persons named by their customer ids; a kiosk page view with no login is its own person.
        var tps = (0..<25).map { TP.make(at(1, 9, 0), .web, .pageView, visitor: "kiosk", customer: "K\($0)", line: Int64($0 + 1)) }
        tps.append(TP.make(at(1, 10, 0), .web, .pageView, visitor: "kiosk", line: 26))
        let r = Stitcher.stitch(tps, config: config)
        #expect(r.persons.count == 26)
        #expect(r.blockedKeys == ["visitor:kiosk"])
        #expect(r.persons.filter { $0.customerID == nil }.map(\.touchpointIndices) == [[25]])
    }

    @Test func touchpointsWithoutKeysAreCounted() {
        let tps = [TP.make(at(1, 9, 0), .web, .pageView), TP.make(at(1, 9, 0), .web, .pageView, visitor: "v0", line: 2)]
        let r = Stitcher.stitch(tps, config: config)
        #expect(r.unkeyed == 1)
        #expect(shape(r, tps) == ["p5bbff6ea320f987d - 2"])
    }
}
