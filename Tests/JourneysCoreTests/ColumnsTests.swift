import JourneysCore
import Testing

/// The interned string tables and the touchpoint columns readers write into.
@Suite struct ColumnsTests {
    func id(_ t: inout StringTable, _ s: String) -> UInt32 { t.intern(s) }

    @Test func idsFollowFirstAppearanceAndRepeatsAllocateNothingNew() {
        var t = StringTable()
        #expect(t.intern(nil as String?) == 0 && t.count == 0)
        #expect(id(&t, "/a") == 1 && id(&t, "/b") == 2 && id(&t, "/a") == 1)
        #expect(id(&t, "") == 3, "an empty string is a value, not an absent one")
        #expect(t.count == 3 && t.byteCount == 4)
        #expect(t.string(0) == nil && t.string(1) == "/a" && t.string(3) == "")
        // Past the index's first size (64 slots, at most half full): every id still found.
        for i in 0..<10_000 { #expect(id(&t, "k\(i)") == UInt32(4 + i)) }
        for i in stride(from: 0, to: 10_000, by: 997) { #expect(t.string(UInt32(4 + i)) == "k\(i)") }
        #expect(id(&t, "k9999") == 10_003)
        // Bytes that differ only past a shared prefix, and non-ASCII bytes, are distinct strings.
        #expect(id(&t, "k99990") == 10_004 && id(&t, "ü") == 10_005 && id(&t, "u") == 10_006)
    }

    /// Chunks interned on different threads are folded into the run's table in input order: the
    /// run's ids depend only on that order.
    @Test func mergingMapsEveryChunkIDToTheRunsID() {
        var run = StringTable()
        var a = StringTable(), b = StringTable()
        _ = id(&a, "x"); _ = id(&a, "y")
        _ = id(&b, "z"); _ = id(&b, "x"); _ = id(&b, "")
        let mapA = run.merge(a), mapB = run.merge(b)
        #expect(mapA == [0, 1, 2])
        #expect(mapB == [0, 3, 1, 4])
        #expect(run.string(3) == "z" && run.string(4) == "")
        var other = StringTable()
        #expect(other.merge(b) == [0, 1, 2, 3], "another order gives other ids, the same strings")
        run.removeAll()
        #expect(run.count == 0 && id(&run, "z") == 1)
    }

    @Test func aRowWrittenFieldByFieldReadsBackAsItsTouchpoint() {
        var b = TouchpointBuffer()
        let origin = Origin(input: 2, line: 9, offset: 400)
        b.beginRow(time: 1_700_000_000_123, channel: .web, action: .pageView, origin: origin)
        func bytes(_ s: String, _ body: (UnsafeBufferPointer<UInt8>) -> Void) { var s = s; s.withUTF8(body) }
        bytes("/p/ü") { b.setPath($0) }
        bytes("news.example") { b.setValue(\.referrer, $0) }
        bytes("mail") { b.setValue(\.source, $0) }
        bytes("v1") { b.setKey(.visitor, $0) }
        b.setVisitorIsFallback()
        bytes("a") { n in bytes("1&2") { v in b.addQuery(name: n, value: v) } }
        bytes("") { n in bytes("x") { v in b.addQuery(name: n, value: v) } }
        bytes("said \"hi\"") { b.setText($0) }
        b.setNumbers(status: 404, responseMs: 0, device: .tablet, value: -2.5)
        b.beginRow(time: 5, channel: .chat, action: .custom("waved"), origin: origin)

        var expected = Touchpoint(time: 1_700_000_000_123, channel: .web, action: .pageView,
                                  keys: IdentityKeys(visitor: "v1", visitorIsFallback: true), origin: origin)
        expected.path = "/p/ü"
        expected.referrerHost = "news.example"
        expected.campaign.source = "mail"
        expected.query = [QueryParam("a", "1&2"), QueryParam("", "x")]
        expected.text = "said \"hi\""
        expected.status = 404
        expected.responseTimeMs = 0
        expected.device = .tablet
        expected.value = -2.5
        #expect(b.count == 2)
        #expect(b.touchpoint(0) == expected)
        #expect(b.touchpoint(1) == Touchpoint(time: 5, channel: .chat, action: .custom("waved"), origin: origin))

        // `emit` of a whole touchpoint gives the same row.
        var e = TouchpointBuffer()
        e.emit(expected)
        #expect(e.touchpoint(0) == expected && e.touchpoints == [expected])

        // Rows dropped from the end take their query and text with them.
        b.truncate(to: 1)
        b.beginRow(time: 6, channel: .email, action: .emailOpen, origin: origin)
        #expect(b.touchpoints.map(\.time) == [1_700_000_000_123, 6] && b.touchpoint(1).query.isEmpty && b.touchpoint(1).text == nil)
        b.truncate(to: 0)
        #expect(b.count == 0 && b.extra.isEmpty)
    }

    @Test func filteringKeepsTheOrderOfTheRowsKept() {
        var b = TouchpointBuffer()
        for k in 0..<5 {
            var t = Touchpoint(time: Int64(k), channel: .email, action: .emailClick, origin: Origin(input: 0, line: 1, offset: 0))
            t.text = "t\(k)"
            b.emit(t)
        }
        b.filter(from: 1) { $0 % 2 == 0 }
        #expect(b.touchpoints.map(\.time) == [0, 2, 4] && b.touchpoints.map(\.text) == ["t0", "t2", "t4"])
    }
}
