import Testing
import JourneysCore
@testable import JourneysReports

@Suite struct TableWritersTests {
    func csvCell(_ cell: Cell) -> String {
        let t = Table(columns: ["c"], rows: [[cell]])
        let text = csvText(t)
        #expect(text.hasPrefix("c\r\n"))
        #expect(text.hasSuffix("\r\n"))
        return String(text.dropFirst(2).dropLast(1)) // "\r\n" is one Character
    }

    @Test func formulaTextIsNeutralised() {
        // OWASP / LibreOffice: a text cell starting with = + - @ tab CR NUL gets a leading '.
        #expect(csvCell(.text(#"=HYPERLINK("x")"#)) == #""'=HYPERLINK(""x"")""#) // has quotes → quoted, inner quotes doubled
        #expect(csvCell(.text("@SUM(1+1)*cmd|' /C calc'!A0")) == "'@SUM(1+1)*cmd|' /C calc'!A0")
        #expect(csvCell(.text("+1")) == "'+1")
        #expect(csvCell(.text("-2")) == "'-2")
        #expect(csvCell(.text("\tx")) == "'\tx")
        #expect(csvCell(.text("\rx")) == "\"'\rx\"")
        #expect(csvCell(.text("\u{0}x")) == "'\u{0}x")
        #expect(csvCell(.text("a=b")) == "a=b")
    }

    @Test func formulaAfterLeadingWhitespaceIsNeutralised() {
        // LibreOffice's "Trim spaces" import drops leading white space, and the rest is a formula.
        #expect(csvCell(.text(" =1+1")) == "' =1+1")
        #expect(csvCell(.text("   +1")) == "'   +1")
        #expect(csvCell(.text("\u{0B}-2+3")) == "'\u{0B}-2+3")
        #expect(csvCell(.text("\u{0C}@SUM(1)")) == "'\u{0C}@SUM(1)")
        #expect(csvCell(.text("\n=1+1")) == "\"'\n=1+1\"")
        #expect(csvCell(.text("\u{A0}=1+1")) == "'\u{A0}=1+1") // no-break space
        #expect(csvCell(.text("\u{3000}\u{2003}=1+1")) == "'\u{3000}\u{2003}=1+1") // ideographic, em space
        #expect(csvCell(.identifier(" =1+1")) == "' =1+1")
        // White space before anything else, or only white space, is left alone.
        #expect(csvCell(.text(" a=b")) == " a=b")
        #expect(csvCell(.text("  ")) == "  ")
        #expect(csvCell(.text("\u{A0}é")) == "\u{A0}é")
        // Numbers the program writes stay numbers.
        #expect(csvCell(.integer(-5)) == "-5" && csvCell(.money(-500)) == "-5.00")
    }

    @Test func numbersStayNumbers() {
        #expect(csvCell(.integer(-5)) == "-5")
        #expect(csvCell(.decimal(-5, places: 0)) == "-5")
        #expect(csvCell(.number(1e3)) == "1000")
        #expect(csvCell(.number(8.5)) == "8.5")
        #expect(csvCell(.money(-1250)) == "-12.50")
        // Money is in cents, written exactly, however large: 10^17 + 0.01 is no Double.
        #expect(csvCell(.money(-5)) == "-0.05" && csvCell(.money(0)) == "0.00" && csvCell(.money(7)) == "0.07")
        #expect(csvCell(.money(10_000_000_000_000_000_001)) == "100000000000000000.01")
        #expect(csvCell(.fixed(12_345, places: 4)) == "1.2345" && csvCell(.fixed(-3, places: 0)) == "-3")
        #expect(csvCell(.rate(0.25)) == "0.2500")
        #expect(csvCell(.bool(true)) == "true")
        #expect(csvCell(.integer(nil)) == "")
        #expect(csvCell(.decimal(.nan, places: 2)) == "")
    }

    @Test func rfc4180Specials() {
        #expect(csvCell(.text("a,b")) == "\"a,b\"")
        #expect(csvCell(.text("say \"hi\"")) == "\"say \"\"hi\"\"\"")
        #expect(csvCell(.text("two\nlines")) == "\"two\nlines\"")
        #expect(csvCell(.text("naïve ☕")) == "naïve ☕")
        #expect(csvCell(.text("")) == "")
        #expect(csvCell(.text(nil)) == "")
    }

    @Test func identifiersStayText() {
        // Leading zeros, more than 15 digits, dates, numbers: a spreadsheet would convert them.
        #expect(csvCell(.identifier("007")) == "'007")
        #expect(csvCell(.identifier("12345678901234567890")) == "'12345678901234567890")
        #expect(csvCell(.identifier("1/2")) == "'1/2")
        #expect(csvCell(.identifier("1e5")) == "'1e5")
        #expect(csvCell(.identifier("TRUE")) == "'TRUE")
        #expect(csvCell(.identifier("1,5")) == "\"'1,5\"")
        #expect(csvCell(.identifier("-12")) == "'-12")
        // Ids with a letter are read as text already.
        #expect(csvCell(.identifier("p_3f9a")) == "p_3f9a")
        #expect(csvCell(.identifier("C-1001")) == "C-1001")
        #expect(csvCell(.identifier("=1+1")) == "'=1+1")
        #expect(csvCell(.identifier(nil)) == "")
    }

    @Test func timestampsAndDays() {
        #expect(csvCell(.timestamp(at(10, 14, 30))) == "2026-10-10T14:30:00.000Z")
        #expect(csvCell(.date(at(10, 23, 59, 59))) == "2026-10-10")
        #expect(csvCell(.date(-1)) == "1969-12-31")
    }

    @Test func fixedRounding() {
        #expect(Fixed.string(0.145, places: 2) == "0.15") // 0.145 * 100 is 14.4999…; the decimal 0.145 rounds up
        #expect(Fixed.string(2.5, places: 0) == "3")
        #expect(Fixed.string(-2.5, places: 0) == "-3")
        #expect(Fixed.string(-0.00001, places: 2) == "0.00")
        #expect(Fixed.string(9.999, places: 2) == "10.00")
        #expect(Fixed.string(99.995, places: 2) == "100.00")
        #expect(Fixed.string(1e-5, places: 4) == "0.0000")
        #expect(Fixed.string(5e-5, places: 4) == "0.0001")
        #expect(Fixed.string(1.5e20, places: 1) == "150000000000000000000.0")
        #expect(Fixed.string(1234.5678, places: 2) == "1234.57")
        #expect(Fixed.string(0, places: 3) == "0.000")
        #expect(Fixed.string(.infinity, places: 2) == nil)
        #expect(Fixed.units(12.345, places: 2) == 1235)
        // Quotients round half away from zero, like `string`: 6.25 / 2 = 3.125 → 3.13; 10 / 3 = 3.33…; 20 / 3 = 6.66…
        #expect(Fixed.quotient(625, 2) == 313 && Fixed.quotient(-625, 2) == -313)
        #expect(Fixed.quotient(1000, 3) == 333 && Fixed.quotient(2000, 3) == 667 && Fixed.quotient(0, 7) == 0)
        // Floor division leaves a rest 0 ≤ r < b, also below zero: −7 = −3 × 3 + 2.
        #expect(Fixed.floorDivision(-7, 3) == (-3, 2) && Fixed.floorDivision(7, 3) == (2, 1) && Fixed.floorDivision(-6, 3) == (-2, 0))
    }

    @Test func longCellIsCut() {
        let long = String(repeating: "x", count: 40_000)
        let cell = csvCell(.text(long))
        #expect(cell.utf16.count == CSVText.maxCellUTF16)
        #expect(cell.hasSuffix("x…"))
    }

    /// The cut counts UTF-16 units and never splits a character: "é" is one unit, each "😀" two,
    /// so 1 + 16,382 × 2 = 32,765 units are kept and "…" makes 32,766 (a 16,383rd "😀" would
    /// make 32,768).
    @Test func longCellIsCutBetweenCharacters() {
        let cell = csvCell(.text("é" + String(repeating: "😀", count: 20_000)))
        #expect(cell == "é" + String(repeating: "😀", count: 16_382) + "…")
    }

    @Test func bomByDefaultAndNotWhenAsked() {
        let t = Table(columns: ["a", "b"], rows: [[.text("naïve"), .integer(1)]])
        let with = CSVWriter.encode(t)
        #expect(Array(with.prefix(3)) == [0xEF, 0xBB, 0xBF])
        #expect(String(decoding: with.dropFirst(3), as: UTF8.self) == "a,b\r\nnaïve,1\r\n")
        let without = CSVWriter.encode(t, bom: false)
        #expect(without.first == UInt8(ascii: "a"))
    }

    @Test func emptyTableIsHeaderOnly() {
        let t = Table(columns: ["a", "b"], rows: [])
        #expect(CSVWriter.encode(t) == CSVText.bom + Array("a,b\r\n".utf8))
        #expect(String(decoding: JSONWriter.encode(t), as: UTF8.self) == "[]\n")
    }

    @Test func jsonHasNumbersAsNumbersAndNoBOM() {
        let t = Table(columns: ["id", "n", "money", "ok", "at", "text", "none"], rows: [
            [.identifier("007"), .integer(-5), .money(1250), .bool(false), .timestamp(at(1, 0)), .text("=1+1 \"q\""), .rate(nil)],
            [.identifier("p1"), .integer(3), .money(0), .bool(true), .timestamp(nil), .text("naïve"), .number(9)],
        ])
        let json = String(decoding: JSONWriter.encode(t), as: UTF8.self)
        #expect(json.utf8.first == UInt8(ascii: "["))
        #expect(json == """
        [
        {"id":"007","n":-5,"money":12.50,"ok":false,"at":"2026-10-01T00:00:00.000Z","text":"=1+1 \\"q\\"","none":null},
        {"id":"p1","n":3,"money":0.00,"ok":true,"at":null,"text":"naïve","none":9}
        ]

        """)
        // It parses back as JSON.
        #expect((try? JSONParser.parse(json)) != nil)
    }

    @Test func streamedEncodingEqualsWhole() {
        let rows: [[Cell]] = (0..<1000).map { (i: Int) -> [Cell] in [.integer(i), .text("row \(i), with comma")] }
        let t = Table(columns: ["i", "s"], rows: rows)
        var pieces: [UInt8] = []
        var calls = 0
        CSVWriter.encode(t, chunk: 100) { pieces.append(contentsOf: $0); $0.removeAll(); calls += 1 }
        #expect(calls > 10)
        #expect(pieces == CSVWriter.encode(t))
        var json: [UInt8] = []
        JSONWriter.encode(t, chunk: 100) { json.append(contentsOf: $0); $0.removeAll() }
        #expect(json == JSONWriter.encode(t))
    }

    @Test func touchpointCSVCellsStillWork() {
        var o: [UInt8] = []
        CSVText.appendRow([.raw("-5"), .text("-5"), .text(nil), .text("a\"b")], to: &o)
        #expect(String(decoding: o, as: UTF8.self) == "-5,'-5,,\"a\"\"b\"\r\n")
    }
}
