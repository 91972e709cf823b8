import Foundation
import JourneysCore
import JourneysIO
import JourneysReaders
import JourneysReports

/// Settings of `journeys events`, gathered by the command line.
public struct EventsRequest: Sendable {
    /// What to read and how (see `ReadFrontEnd`).
    public var read: ReadRequest
    public var csv = false
    public var bom = true
    public var rejectsPath: String?

    public init(read: ReadRequest) { self.read = read }
}

/// `journeys events`: reads inputs and writes their touchpoints as JSON lines or CSV.
public enum EventsJob {
    public static func run(_ req: EventsRequest, stdout: OutputStream) throws -> JobReport {
        let front: ReadFrontEnd
        do throws(ReadFailure) { front = try ReadFrontEnd(req.read, for: .inspection) } catch {
            return JobReport(inputs: [], status: error.status, messages: error.messages)
        }
        let encoder = TouchpointFormat(inputs: front.names)
        var rejectsOut: OutputStream?
        if let rp = req.rejectsPath {
            do throws(FileError) { rejectsOut = OutputStream(fd: try createRejectsFile(rp), name: rp) } catch {
                return JobReport(inputs: [], status: .cannotCreate, messages: ["error: \(error)"])
            }
        }
        defer { if let r = rejectsOut { close(r.fd) } }

        if req.csv {
            var head: [UInt8] = req.bom ? CSVText.bom : []
            CSVText.appendHeader(TouchpointFormat.csvColumns, to: &head)
            try stdout.write(head)
        }
        let csv = req.csv
        let summaries: [InputSummary]
        do {
            summaries = try front.read(rejects: rejectsOut.map { out in { try out.write($0) } }, work: { result -> [UInt8] in
                var out: [UInt8] = []
                out.reserveCapacity(result.batch.count * 256)
                if csv { encoder.appendCSV(result.batch, to: &out) } else { encoder.appendJSON(result.batch, to: &out) }
                return out
            }, consume: { bytes, _ in try stdout.write(bytes) })
        } catch let e as ReadFailure {
            try stdout.flush()
            return JobReport(inputs: [], status: e.status, messages: e.messages)
        }
        try stdout.flush()
        try rejectsOut?.flush()
        var r = front.judge(summaries)
        if let f = r.failure { r.messages.append("error: \(f)") }
        return r
    }

    /// Creates `--rejects FILE` anew with mode 0600 (raw lines may hold personal data): a regular
    /// file already there is replaced, not truncated, so its old mode and any hard link to it
    /// are left behind. A symbolic link is refused (`O_NOFOLLOW`: nothing is written through
    /// it); a device or a pipe (`/dev/null`, a FIFO) is written as it is.
    static func createRejectsFile(_ path: String) throws(FileError) -> Int32 {
        let create = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC
        var fd = open(path, create, 0o600)
        var st = stat()
        if fd < 0, errno == EEXIST, lstat(path, &st) == 0 {
            switch st.st_mode & S_IFMT {
            case S_IFLNK: throw FileError(path: path, operation: "create (a symbolic link is in its place; journeys does not write through it)", errno: ELOOP)
            case S_IFREG: fd = unlink(path) == 0 ? open(path, create, 0o600) : -1
            default: fd = open(path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC)
            }
        }
        guard fd >= 0 else { throw FileError(path: path, operation: "create", errno: errno) }
        return fd
    }
}

/// One reject as a JSON line: `{"input","line","offset","reason","detail","raw"}` (`raw_b64`
/// when the bytes are not UTF-8; `raw_len` gives the full length when `raw` was cut). A line's
/// rejected events after its first have no raw text and `"raw_shared":true`; an entry that
/// counts several of them says how many in `events`.
public enum RejectsFormat {
    /// The entry `journeys run` writes for the lines of a gzip member that failed its check
    /// (decoding stops there): no raw text — those lines were read, but nothing of them is
    /// trusted — and `lines` says how many lines from `line` on were discarded.
    public static func appendDamage(input: String, firstLine: Int64, lines: Int64, touchpointLines: Int64, reason: String,
                                    to o: inout [UInt8]) {
        guard lines > 0 else { return }
        o.append(contentsOf: #"{"input":"#.utf8)
        JSONText.appendString(input, to: &o)
        o.append(contentsOf: #","line":\#(firstLine),"reason":"damaged_input","detail":"#.utf8)
        JSONText.appendString("\(reason); lines \(firstLine)–\(firstLine + lines - 1) discarded (\(touchpointLines) of them had touchpoints)", to: &o)
        o.append(contentsOf: #","lines":\#(lines)}"#.utf8)
        o.append(10)
    }

    public static func append(_ r: RejectRecord, inputs: [String], to o: inout [UInt8]) {
        o.append(contentsOf: #"{"input":"#.utf8)
        JSONText.appendString(inputs[Int(r.origin.input)], to: &o)
        o.append(contentsOf: #","line":\#(r.origin.line),"offset":\#(r.origin.offset),"reason":""#.utf8)
        o.append(contentsOf: r.reason.rawValue.utf8)
        o.append(contentsOf: #"","detail":"#.utf8)
        JSONText.appendString(r.detail, to: &o)
        if !r.rawShared {
            if let s = String(validating: r.raw, as: UTF8.self) {
                o.append(contentsOf: #","raw":"#.utf8)
                JSONText.appendString(s, to: &o)
            } else {
                o.append(contentsOf: #","raw_b64":""#.utf8)
                o.append(contentsOf: Base64.encode(r.raw).utf8)
                o.append(34)
            }
            if Int64(r.raw.count) < r.length {
                o.append(contentsOf: #","raw_len":\#(r.length),"raw_cut":true"#.utf8)
            }
        }
        if r.events != 1 { o.append(contentsOf: #","events":\#(r.events)"#.utf8) }
        if r.eventOnly { o.append(contentsOf: #","event_only":true"#.utf8) }
        if r.rawShared { o.append(contentsOf: #","raw_shared":true"#.utf8) }
        o.append(contentsOf: "}\n".utf8)
    }
}

enum Base64 {
    static let table = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    static func encode(_ b: [UInt8]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity((b.count + 2) / 3 * 4)
        var i = 0
        while i < b.count {
            let n = min(3, b.count - i)
            let v = (UInt32(b[i]) << 16) | (n > 1 ? UInt32(b[i + 1]) << 8 : 0) | (n > 2 ? UInt32(b[i + 2]) : 0)
            out.append(table[Int(v >> 18 & 63)])
            out.append(table[Int(v >> 12 & 63)])
            out.append(n > 1 ? table[Int(v >> 6 & 63)] : 61)
            out.append(n > 2 ? table[Int(v & 63)] : 61)
            i += 3
        }
        return String(decoding: out, as: UTF8.self)
    }
}

#if canImport(Glibc)
import Glibc
#endif
