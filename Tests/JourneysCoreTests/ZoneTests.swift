import JourneysCore
import Testing

/// Offsets worked out by hand from the zones' rules (EU: summer time from 01:00 UTC on the last
/// Sunday of March to 01:00 UTC on the last Sunday of October; US: 02:00 local on the second
/// Sunday of March; New South Wales: from 02:00 standard time on the first Sunday of October to
/// 03:00 daylight time on the first Sunday of April), read from the system's tz database.
/// 2026-03-29 and 2026-10-25 are the last Sundays (31 March 2026 is a Tuesday, 31 October a
/// Saturday); 2045-03-26 is the last Sunday of March 2045 (the 29th is a Wednesday, 19 × 365 + 5
/// days after Sunday 2026-03-29), past the transitions a TZif file lists, so read from its
/// footer rule.
@Suite struct ZoneTests {
    let berlin = try! Zone.named("Europe/Berlin")

    @Test func berlinAroundBothChangesOf2026() {
        #expect(berlin.offset(atUTC: 1_774_745_999_000) == 3600)  // 2026-03-29T00:59:59Z, 01:59:59 CET
        #expect(berlin.offset(atUTC: 1_774_746_000_000) == 7200)  // 2026-03-29T01:00:00Z, 03:00 CEST
        #expect(berlin.offset(atUTC: 1_792_889_999_000) == 7200)  // 2026-10-25T00:59:59Z, 02:59:59 CEST
        #expect(berlin.offset(atUTC: 1_792_890_000_000) == 3600)  // 2026-10-25T01:00:00Z, 02:00 CET
    }

    @Test func berlinFromTheFooterRuleIn2045() {
        // 2045-03-26T00:59:59Z and 01:00:00Z: 2_374_102_799 and 2_374_102_800 s.
        #expect(berlin.offset(atUTC: 2_374_102_799_000) == 3600)
        #expect(berlin.offset(atUTC: 2_374_102_800_000) == 7200)
        #expect(berlin.offset(atUTC: 2_382_998_400_000) == 7200) // 2045-07-07T00:00Z
        #expect(berlin.offset(atUTC: 2_366_841_600_000) == 3600) // 2045-01-01T00:00Z
    }

    @Test func newYorkAndSydney() throws {
        let ny = try Zone.named("America/New_York")
        #expect(ny.offset(atUTC: 1_772_953_199_000) == -18000) // 2026-03-08T06:59:59Z, 01:59:59 EST
        #expect(ny.offset(atUTC: 1_772_953_200_000) == -14400) // 2026-03-08T07:00:00Z, 03:00 EDT
        let sydney = try Zone.named("Australia/Sydney")
        #expect(sydney.offset(atUTC: 1_768_435_200_000) == 39600) // 2026-01-15T00:00Z, summer (AEDT)
        #expect(sydney.offset(atUTC: 1_782_864_000_000) == 36000) // 2026-07-01T00:00Z, winter (AEST)
        #expect(sydney.offset(atUTC: 2_368_137_600_000) == 39600) // 2045-01-16T00:00Z, from the footer
        #expect(sydney.offset(atUTC: 2_382_480_000_000) == 36000) // 2045-07-01T00:00Z
    }

    /// Wall-clock times written without an offset.
    @Test func localTimesInBerlin() {
        func local(_ s: String) -> Int64? { var s = s; return s.withUTF8 { Timestamp.parseISO8601($0, zone: berlin) } }
        #expect(local("2026-07-01T12:00:00") == 1_782_900_000_000)  // 10:00Z, CEST
        #expect(local("2026-01-15T12:00:00") == 1_768_474_800_000)  // 11:00Z, CET
        // 02:30 on 29 March never happens (02:00 CET becomes 03:00 CEST): taken at CET, 01:30Z.
        #expect(local("2026-03-29T02:30:00") == 1_774_747_800_000)
        // 02:30 on 25 October happens twice: the first, in CEST, 00:30Z.
        #expect(local("2026-10-25T02:30:00") == 1_792_888_200_000)
        #expect(local("2026-10-25T03:30:00") == 1_792_895_400_000)  // 02:30Z, CET
        // A written offset wins over the zone.
        #expect(local("2026-07-01T12:00:00Z") == 1_782_907_200_000)
    }

    /// The local date of an instant, the report's day.
    @Test func daysAreBerlinDays() {
        // 2026-10-24T22:22:00Z is 00:22 CEST on 25 October: day 20_751 (2026-10-25), not 20_750.
        #expect(berlin.day(1_792_880_520_000) == Timestamp.daysFromCivil(year: 2026, month: 10, day: 25))
        #expect(Zone.utc.day(1_792_880_520_000) == Timestamp.daysFromCivil(year: 2026, month: 10, day: 24))
    }

    @Test func namesThatAreNoZones() throws {
        #expect(throws: Zone.Unknown.self) { try Zone.named("Europe/Atlantis") }
        #expect(throws: Zone.Unknown.self) { try Zone.named("../../etc/passwd") }
        #expect(throws: Zone.Unknown.self) { try Zone.named("") }
        #expect(try Zone.named("+02:00") == Zone(offset: 7200))
        #expect(try Zone.named("UTC").isUTC)
        #expect(Zone(offset: -19800).name == "-05:30")
    }
}
