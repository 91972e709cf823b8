import JourneysCore
import Testing

/// Expected instants were computed independently with Python's `datetime` (UTC).
@Suite struct TimestampTests {
    func parse(_ s: String, _ f: (UnsafeBufferPointer<UInt8>) -> Int64?) -> Int64? {
        var s = s
        return s.withUTF8 { f($0) }
    }

    @Test func commonLogAppliesTheOffset() {
        // 13:55:36 at -07:00 is 20:55:36 UTC.
        #expect(parse("10/Oct/2026:13:55:36 -0700", { Timestamp.parseCommonLog($0) }) == 1_791_665_736_000)
        #expect(parse("[10/Oct/2026:13:55:36 -0700]", { Timestamp.parseCommonLog($0) }) == 1_791_665_736_000)
        // 22:55:36 at +02:00 is the same instant.
        #expect(parse("10/Oct/2026:22:55:36 +0200", { Timestamp.parseCommonLog($0) }) == 1_791_665_736_000)
        // Crossing midnight backwards: 01:30 on 1 March at +02:00 is 23:30 on the last day of February.
        #expect(parse("01/Mar/2026:02:30:00 +0200", { Timestamp.parseCommonLog($0) }) == 1_772_325_000_000)
    }

    @Test func commonLogRejectsGarbage() {
        #expect(parse("10/Foo/2026:13:55:36 -0700", { Timestamp.parseCommonLog($0) }) == nil)
        #expect(parse("31/Apr/2026:13:55:36 +0000", { Timestamp.parseCommonLog($0) }) == nil)
        #expect(parse("10/Oct/2026:25:55:36 +0000", { Timestamp.parseCommonLog($0) }) == nil)
        #expect(parse("10/Oct/2026:13:55:36 -07", { Timestamp.parseCommonLog($0) }) != nil) // hour-only offset is accepted
        #expect(parse("10/Oct/2026:13:55:36 x0700", { Timestamp.parseCommonLog($0) }) == nil)
        #expect(parse("", { Timestamp.parseCommonLog($0) }) == nil)
    }

    @Test func iso8601Forms() {
        #expect(parse("2026-10-10T20:55:36Z", { Timestamp.parseISO8601($0) }) == 1_791_665_736_000)
        #expect(parse("2026-10-10T22:55:36+02:00", { Timestamp.parseISO8601($0) }) == 1_791_665_736_000)
        #expect(parse("2026-10-10T13:55:36-0700", { Timestamp.parseISO8601($0) }) == 1_791_665_736_000)
        #expect(parse("2026-10-10 11:55:36.123Z", { Timestamp.parseISO8601($0) }) == 1_791_633_336_123)
        #expect(parse("2026-10-10T11:55:36.123456Z", { Timestamp.parseISO8601($0) }) == 1_791_633_336_123)
        #expect(parse("2024-02-29T23:59:59Z", { Timestamp.parseISO8601($0) }) == 1_709_251_199_000)
        #expect(parse("2023-02-29T23:59:59Z", { Timestamp.parseISO8601($0) }) == nil)
        // Without an offset the caller's fixed offset applies: 22:55:36 at +02:00.
        #expect(parse("2026-10-10T22:55:36", { Timestamp.parseISO8601($0, zone: Zone(offset: 7200)) }) == 1_791_665_736_000)
        #expect(parse("2000-01-01", { Timestamp.parseISO8601($0) }) == 946_684_800_000)
        #expect(parse("2026-10-10T20:55:36Zjunk", { Timestamp.parseISO8601($0) }) == nil)
    }

    @Test func epochForms() {
        #expect(parse("1791665736", Timestamp.parseEpoch) == 1_791_665_736_000)
        #expect(parse("1791665736123", Timestamp.parseEpoch) == 1_791_665_736_123)
        #expect(parse("1791665736.123", Timestamp.parseEpoch) == 1_791_665_736_123)
        #expect(parse("1791665736.5", Timestamp.parseEpoch) == 1_791_665_736_500)
        #expect(parse("17916x", Timestamp.parseEpoch) == nil)
        #expect(parse("-5", Timestamp.parseEpoch) == nil)
        #expect(Timestamp.fromEpochNumber(1_791_665_736.25) == 1_791_665_736_250)
        #expect(Timestamp.fromEpochNumber(1_791_665_736_250) == 1_791_665_736_250)
    }

    @Test func parseAnyPicksTheForm() {
        #expect(Timestamp.parseAny("2026-10-10T20:55:36Z") == 1_791_665_736_000)
        #expect(Timestamp.parseAny("10/Oct/2026:13:55:36 -0700") == 1_791_665_736_000)
        #expect(Timestamp.parseAny("1791665736") == 1_791_665_736_000)
    }

    @Test func isoFormatting() {
        #expect(Timestamp.iso(1_791_633_336_123) == "2026-10-10T11:55:36.123Z")
        #expect(Timestamp.iso(946_684_800_000) == "2000-01-01T00:00:00.000Z")
        #expect(Timestamp.iso(1_709_251_199_000) == "2024-02-29T23:59:59.000Z")
        #expect(Timestamp.iso(-1) == "1969-12-31T23:59:59.999Z")
    }

    @Test func civilRoundTripOverFourCenturies() {
        // Every 97th day across 1900-2300 survives days → civil → days.
        var d: Int64 = -25_567
        while d < 120_000 {
            let (y, m, day) = Timestamp.civilFromDays(d)
            #expect(Timestamp.daysFromCivil(year: y, month: m, day: day) == d)
            d += 97
        }
    }

    @Test func plausibleRange() {
        #expect(Timestamp.isPlausible(1_791_665_736_000))
        #expect(!Timestamp.isPlausible(1_791_665_736)) // seconds mistaken for ms: 1970
        #expect(!Timestamp.isPlausible(4_200_000_000_000)) // 2103
    }
}

/// Found by `make fuzz` (sendgrid target): `"timestamp":1e300` trapped converting to Int64.
@Test func hugeEpochNumbersAreNotTimestamps() {
    #expect(Timestamp.fromEpochNumber(1e300) == nil)
    #expect(Timestamp.fromEpochNumber(9.3e18) == nil)
    #expect(Timestamp.fromEpochNumber(1_791_792_000) == 1_791_792_000_000)
    #expect(Timestamp.millis(.infinity) == nil && Timestamp.millis(-1e19) == nil && Timestamp.millis(1.5) == 2)
}
