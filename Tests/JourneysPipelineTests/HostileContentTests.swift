import Foundation
import Testing

/// Parses RFC 4180 CSV (after an optional UTF-8 BOM): fields separated by `,`, rows by CRLF,
/// quoted fields with doubled inner quotes. Returns nil when the text is not valid RFC 4180.
func parseCSV(_ text: String) -> [[String]]? {
    var u = Array(text.unicodeScalars)
    if u.first == "\u{FEFF}" { u.removeFirst() }
    var rows: [[String]] = []
    var row: [String] = []
    var field = String.UnicodeScalarView()
    var i = 0
    var quoted = false
    var atStart = true
    while i < u.count {
        let c = u[i]
        if quoted {
            if c == "\"" {
                if i + 1 < u.count, u[i + 1] == "\"" { field.append("\""); i += 2; continue }
                quoted = false
                i += 1
                guard i == u.count || u[i] == "," || u[i] == "\r" else { return nil }
                continue
            }
            field.append(c)
            i += 1
            continue
        }
        switch c {
        case "\"" where atStart: quoted = true; atStart = false; i += 1
        case "\"": return nil
        case ",": row.append(String(field)); field = .init(); atStart = true; i += 1
        case "\r":
            guard i + 1 < u.count, u[i + 1] == "\n" else { return nil }
            row.append(String(field)); field = .init(); rows.append(row); row = []; atStart = true; i += 2
        case "\n": return nil
        default: field.append(c); atStart = false; i += 1
        }
    }
    if quoted { return nil }
    if !row.isEmpty || !field.isEmpty { row.append(String(field)); rows.append(row) }
    return rows
}

/// Formula payloads, RFC 4180 specials, non-ASCII text and a 40,000-character value in logs
/// (fixtures/hostile/) reach the CSV outputs safe for spreadsheets. `make check-hostile` opens
/// the same outputs in LibreOffice.
@Suite(.serialized) struct HostileContentTests {
    static let payloads = [
        #"=HYPERLINK("http://evil","x")"#, "@SUM(1+1)*cmd|' /C calc'!A0", "+1+1", "-2+3", "\tTAB=1+1", "\rCR=1+1", " =1+1", "\u{A0}+1+1",
    ]

    /// The CSV files of a run of fixtures/hostile/pipeline.yaml plus `journeys events --csv` of it.
    func outputs() throws -> [(name: String, rows: [[String]])] {
        let dir = TempDir()
        let r = try journeys(["run", "--quiet", "--pipeline", "fixtures/hostile/pipeline.yaml", "--out", dir.url.path])
        #expect(r.status == 0, "\(r.stderr)")
        let ev = try journeys(["events", "--quiet", "--csv", "--pipeline", "fixtures/hostile/pipeline.yaml"])
        #expect(ev.status == 0, "\(ev.stderr)")
        var texts = [("events.csv", ev.stdout)]
        for name in try FileManager.default.contentsOfDirectory(atPath: dir.url.path).sorted() where name.hasSuffix(".csv") {
            texts.append((name, String(decoding: try Data(contentsOf: dir.url.appendingPathComponent(name)), as: UTF8.self)))
        }
        return texts.map { (name, text) in
            guard let rows = parseCSV(text) else { Issue.record("\(name) is not RFC 4180 CSV"); return (name, []) }
            #expect(text.hasPrefix("\u{FEFF}"), "\(name) starts with a BOM")
            return (name, rows)
        }
    }

    @Test func everyCellIsSafeAndFitsASpreadsheetCell() throws {
        let files = try outputs()
        #expect(files.count >= 8)
        var cells: [String] = []
        for (name, rows) in files {
            guard let header = rows.first else { Issue.record("\(name) is empty"); continue }
            for (i, row) in rows.enumerated() {
                #expect(row.count == header.count, "\(name) row \(i) has \(row.count) cells, the header \(header.count)")
                for cell in row {
                    cells.append(cell)
                    #expect(cell.utf16.count <= 32_767, "\(name) row \(i): a cell of \(cell.utf16.count) UTF-16 units")
                    // The first character, and the first after white space a spreadsheet may trim.
                    let trimmed = cell.unicodeScalars.drop { $0.properties.isWhitespace }
                    if let first = cell.unicodeScalars.first, "=+-@\t\r\0".unicodeScalars.contains(first) || "=+-@".unicodeScalars.contains(trimmed.first ?? " ") {
                        #expect(Double(cell) != nil, "\(name) row \(i): a text cell that starts like a formula: \(cell.prefix(60).debugDescription)")
                    }
                }
            }
        }
        // Each payload is there, as text with the leading quote, whole.
        let events = files.first { $0.name == "events.csv" }?.rows ?? []
        let all = Set(events.flatMap { $0 })
        for p in Self.payloads { #expect(all.contains("'" + p), "\(p.debugDescription) neutralised") }
        #expect(all.contains("say \"hi\", then\nleave"), "quotes, commas and newlines survive quoting")
        #expect(all.contains("naïve café — 日本語 ✓"), "non-ASCII text")
        let long = cells.filter { $0.hasPrefix("AAAA") }
        #expect(!long.isEmpty && long.allSatisfy { $0.utf16.count == 32_767 && $0.hasSuffix("…") }, "the 40,000-character value is cut and marked")
        #expect(events.count > 27, "every hostile line became a touchpoint")
        // Payloads reached the reports too (first-touch campaign, customer id of journeys.csv).
        let journeys = files.first { $0.name == "journeys.csv" }?.rows ?? []
        #expect(journeys.count > 20)
        let jcells = Set(journeys.flatMap { $0 })
        for p in Self.payloads { #expect(jcells.contains("'" + p), "\(p.debugDescription) in journeys.csv") }
    }

    @Test func csvParserFollowsRFC4180() {
        #expect(parseCSV("a,\"b,\"\"c\"\"\r\nd\"\r\n,x\r\n") == [["a", "b,\"c\"\r\nd"], ["", "x"]])
        #expect(parseCSV("a\"b\r\n") == nil)
        #expect(parseCSV("a,b\n") == nil)
    }
}
