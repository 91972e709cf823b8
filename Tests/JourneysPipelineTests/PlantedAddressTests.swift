import Foundation
import JourneysCore
import JourneysReaders
import Testing

/// A tester's attack, kept: email and IP addresses planted in every field of every format come
/// out of no output file, rejects file or standard error in clear (README, "Personal data").
@Suite(.serialized) struct PlantedAddressTests {
    /// One of each shape an address takes in logs.
    static let addresses = [
        "198.51.100.23", "host.198.51.100.77", "2001:0db8:85a3:0000:0000:8a2e:0370:7334", "2001:db8::1", "[2001:db8::7]",
        "fe80::1%eth0", "::ffff:198.51.100.9", "ana.lima@example.com", "müller@exämple.de", "bo%40example.org",
    ]
    /// What must not be found (ignoring case) in any output: each planted address, decoded or
    /// percent-encoded as `url` and `referrer` plant it (`%3A` for `:`, `%40` for `@`, `%C3%BC` for `ü`);
    /// a mail domain alone, as a referrer host after its user part is dropped, is no address.
    static let needles = [
        "198.51.100.23", "198.51.100.77", "2001:0db8:85a3", "8a2e:0370:7334", "2001:db8::1", "2001:db8::7", "fe80::1",
        "2001%3a0db8%3a85a3", "8a2e%3a0370%3a7334", "2001%3adb8%3a%3a1", "2001%3adb8%3a%3a7", "fe80%3a%3a1",
        "198.51.100.9", "ana.lima@", "ana.lima%40", "müller@", "m%c3%bcller", "bo@example", "bo%40example",
    ]
    /// Text that looks a little like an address and must come out as it went in.
    static let lookalikes = "at 10:20:30 build deadbeefcafe0123 v1.2.3 1.2.3.4.5 12:34:56.789 2026-10-02T08:47:08.000Z ab:cd"

    /// Percent-encodes all but unreserved ASCII (so `@` is `%40`, `ü` is `%C3%BC`).
    static func enc(_ s: String) -> String {
        var o = ""
        for b in s.utf8 {
            if (b >= 48 && b <= 57) || (b >= 65 && b <= 90) || (b >= 97 && b <= 122) || b == 45 || b == 46 || b == 95 || b == 126 {
                o.unicodeScalars.append(Unicode.Scalar(b))
            } else {
                o += String(format: "%%%02X", b)
            }
        }
        return o
    }

    static func json(_ s: String) -> String {
        String(decoding: try! JSONSerialization.data(withJSONObject: [s], options: [.withoutEscapingSlashes]), as: UTF8.self).dropFirst().dropLast().description
    }

    /// A request target carrying `v` in the path (encoded and raw), a parameter name and every
    /// parameter a reader looks at; `identity: false` leaves out the customer and email parameters.
    static func url(_ v: String, identity: Bool = true) -> String {
        let e = enc(v)
        let raw = v.replacingOccurrences(of: " ", with: "%20")
        var u = "/p/\(e)/\(raw)?\(e)=1&q=\(e)&utm_source=\(e)&utm_medium=\(e)&utm_campaign=\(e)&utm_term=\(e)&utm_content=\(e)&gclid=\(e)&value=5&currency=\(e)"
        if identity { u += "&cid=\(e)&email=\(e)" }
        return u
    }

    /// A referrer whose host is `v` when it can be one (IPv6 in brackets).
    static func referrer(_ v: String) -> String {
        let host = v.contains(":") && !v.hasPrefix("[") ? "[" + v.replacingOccurrences(of: "%", with: "%25") + "]" : v
        return "http://\(host)/r/\(enc(v))?x=\(enc(v))"
    }

    /// `v` when it is an IP address (what a client-IP field holds), else a planted IPv4 address.
    static func ip(_ v: String) -> String {
        v.contains("@") || v.hasPrefix("host") ? "198.51.100.23" : v.trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
    }

    /// Lines of each format with `v` in every field it reads, the last ones rejected.
    static func lines(_ format: String, _ v: String, _ n: Int) -> [String] {
        let j = json(v), ua = json("Mozilla/5.0 (X11; Linux) " + v)
        let ts = String(format: "%02d", n % 60)
        switch format {
        case "combined":
            return ["\(ip(v)) - \(v) [10/Oct/2026:09:14:\(ts) +0200] \"GET \(url(v)) HTTP/1.1\" 200 512 \"\(referrer(v))\" \"Mozilla/5.0 \(v)\"",
                    "\(ip(v)) - - [10/Oct/2026:09:15:\(ts) +0200] \"GET \(url(v, identity: false)) HTTP/1.1\" 200 512 \"\(referrer(v))\" \"Mozilla/5.0 \(v)\"",
                    "\(ip(v)) - \(v) [99/Zzz/2026:09:14:\(ts) +0200] \"GET \(url(v)) HTTP/1.1\" 200 512 \"-\" \"\(v)\""]
        case "common":
            return ["\(ip(v)) - \(v) [10/Oct/2026:13:55:\(ts) -0700] \"GET \(url(v)) HTTP/1.0\" 200 2326",
                    "\(ip(v)) - - [10/Oct/2026:13:56:\(ts) -0700] \"GET \(url(v, identity: false)) HTTP/1.0\" 200 2326",
                    "\(ip(v)) - \(v) [10/Oct/2026:13:55:\(ts) -0700] \"\(v)\" 200 2326"]
        case "nginx":
            return ["\(ip(v)) - \(v) [12/Oct/2026:09:00:\(ts) +0200] \"GET \(url(v)) HTTP/1.1\" 200 5120 \"\(referrer(v))\" \"Mozilla/5.0 \(v)\" \"\(ip(v)), 10.0.0.1\" \"visitor_id=\(enc(v)); customer_id=\(v)\" \(enc(v)) 0.042",
                    "\(ip(v)) - - [12/Oct/2026:09:01:\(ts) +0200] \"GET \(url(v, identity: false)) HTTP/1.1\" 200 5120 \"\(referrer(v))\" \"Mozilla/5.0 \(v)\" \"\(ip(v))\" \"-\" - 0.042",
                    "\(ip(v)) - \(v) [12/Oct/2026:09:01:\(ts) +0200] \"\(v)\" 200 5120 \"\(v)\" \"\(v)\" \"\(v)\" \"\(v)\" \(v) 0.042"]
        case "json_access":
            return [#"{"time":"2026-03-04T10:15:\#(ts)+01:00","remote_addr":\#(json(ip(v))),"remote_user":\#(j),"request_method":"GET","request_uri":\#(json(url(v))),"status":"200","request_time":"0.123","http_referer":\#(json(referrer(v))),"http_user_agent":\#(ua),"http_cookie":\#(json("visitor_id=" + enc(v))),"visitor_id":\#(j),"customer_id":\#(j)}"#,
                    #"{"time":"2026-03-04T10:16:\#(ts)+01:00","remote_addr":\#(json(ip(v))),"request_method":"GET","request_uri":\#(json(url(v, identity: false))),"status":"200","http_referer":\#(json(referrer(v))),"http_user_agent":\#(ua)}"#,
                    #"{"time":\#(j),"remote_addr":\#(j),"request_uri":\#(j),"http_user_agent":\#(j)}"#]
        case "w3c":
            let f = "#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Cookie) cs(Referer) sc-status time-taken"
            let e = enc(v), query = String(url(v).split(separator: "?")[1]), anon = String(url(v, identity: false).split(separator: "?")[1])
            return [f, "2026-03-02 09:00:\(ts) 10.0.0.5 GET /p/\(e) \(query) 443 \(e) \(ip(v)) Mozilla/5.0+\(e) visitor_id=\(e) \(referrer(v)) 200 187",
                    "2026-03-02 09:01:\(ts) 10.0.0.5 GET /p/\(e) \(anon) 443 - \(ip(v)) Mozilla/5.0+\(e) - \(referrer(v)) 200 187",
                    "2026-03-02 09:01:\(ts) \(e) GET /p/\(e) \(e)"]
        case "sendgrid":
            let common = #""timestamp":\#(1791792000 + n),"category":\#(j),"marketing_campaign_name":\#(j),"sg_event_id":\#(j),"sg_message_id":\#(j),"customer_id":\#(j),"useragent":\#(ua),"ip":\#(json(ip(v))),"reason":\#(j),"response":\#(j),"type":\#(j)"#
            return [#"{"email":\#(j),"event":"click","url":\#(json("https://shop.example.com" + url(v))),\#(common)}"#,
                    #"{"email":\#(j),"event":"bounce",\#(common)}"#,
                    #"{"email":\#(j),"event":\#(j),\#(common)}"#]
        case "ses":
            let mail = #""mail":{"timestamp":"2026-10-14T07:30:\#(ts).120Z","source":\#(j),"messageId":\#(j),"destination":[\#(j)],"commonHeaders":{"to":[\#(j)],"subject":\#(j)},"tags":{"campaign":[\#(j)],"customer_id":[\#(j)],"ses:source-ip":[\#(json(ip(v)))]}}"#
            return [#"{"eventType":"Bounce",\#(mail),"bounce":{"bounceType":\#(j),"bounceSubType":\#(j),"bouncedRecipients":[{"emailAddress":\#(j),"diagnosticCode":\#(j)}],"timestamp":"2026-10-14T07:31:\#(ts).000Z"}}"#,
                    #"{"eventType":"Click",\#(mail),"click":{"link":\#(json("https://shop.example.com" + url(v))),"userAgent":\#(ua),"ipAddress":\#(json(ip(v))),"timestamp":"2026-10-14T07:32:\#(ts).000Z","linkTags":{"campaign":[\#(j)]}}}"#,
                    #"{"eventType":"Complaint",\#(mail),"complaint":{"complaintFeedbackType":\#(j),"complainedRecipients":[{"emailAddress":\#(j)}],"timestamp":\#(j)}}"#]
        case "chat":
            let ids = #""conversation_id":\#(j),"visitor_id":\#(j),"visitor_email":\#(j),"customer_id":\#(j)"#
            return [#"{"id":\#(j),"type":"chat_started",\#(ids),"timestamp":"2026-03-02T09:14:\#(ts)Z","page_url":\#(json("https://shop.example.com" + url(v)))}"#,
                    #"{"id":\#(j),"type":"message",\#(ids),"author_role":"visitor","timestamp":"2026-03-02T09:15:\#(ts)Z","message":\#(json("it's " + v + ", " + lookalikes))}"#,
                    #"{"id":\#(j),"type":"rating",\#(ids),"timestamp":"2026-03-02T09:16:\#(ts)Z","rating":5,"message":\#(j)}"#,
                    #"{"id":\#(j),"type":"message",\#(ids),"timestamp":\#(j),"message":\#(j)}"#]
        case "jsonl":
            let all = genericRoles.map { #""\#($0)":\#(j)"# }.joined(separator: ",")
            return [#"{\#(all),"time":"2026-03-02T09:10:\#(ts)Z","url":\#(json("https://shop.example.com" + url(v))),"referrer":\#(json(referrer(v))),"status":200,"value":5,"score":3,"channel":"web"}"#,
                    #"{\#(all),"time":"2026-03-02T09:10:\#(ts)Z","url":\#(j),"referrer":\#(j),"text":\#(json(lookalikes)),"channel":"chat"}"#,
                    #"{\#(all),"time":\#(j),"url":\#(j)}"#]
        case "csv":
            func row(_ time: String, _ url: String, _ text: String) -> String {
                ([time, url, "web"] + genericRoles.map { $0 == "text" ? text : v }).map { "\"" + $0.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }.joined(separator: ",")
            }
            return [row("2026-03-02 10:20:\(ts)", "https://shop.example.com" + url(v), v),
                    row("2026-03-02 10:21:\(ts)", v, lookalikes),
                    row(v, v, v), "\"\(v)\",\"\(v)\""]
        default:
            guard let preset = Presets.all.first(where: { $0.name == format }) else {
                Issue.record("no planted lines for the format \(format)")
                return []
            }
            switch preset.base {
            case .jsonl, .jsonAccess: return [presetLine(preset, v, time: "2026-03-02T09:10:\(ts)Z"), presetLine(preset, v, time: v)]
            case .w3c: return lines("w3c", v, n)
            case .nginx(let f): return [logFormatLine(f, v, ts: ts, time: nil), logFormatLine(f, v, ts: ts, time: v)]
            }
        }
    }

    /// A line of an nginx log format with `v` in every variable it reads (and a time that is
    /// `v` itself for the line that must be rejected).
    static func logFormatLine(_ format: String, _ v: String, ts: String, time: String?) -> String {
        var out = "", i = format.startIndex
        while i < format.endIndex {
            guard format[i] == "$" else { out.append(format[i]); i = format.index(after: i); continue }
            var j = format.index(after: i)
            while j < format.endIndex, format[j].isLetter || format[j].isNumber || format[j] == "_" { j = format.index(after: j) }
            let name = String(format[format.index(after: i)..<j])
            switch name {
            case "remote_addr": out += ip(v)
            case "remote_port", "server_port": out += "4711"
            case "time_local": out += time ?? "10/Oct/2026:09:14:\(ts) +0200"
            case "time_iso8601": out += time ?? "2026-10-10T09:14:\(ts).000Z"
            case "request": out += "GET \(url(v)) HTTP/1.1"
            case "status": out += "200"
            case "http_referer": out += referrer(v)
            case "http_user_agent": out += "Mozilla/5.0 (X11; Linux) " + v
            case "request_time", "upstream_response_time": out += "0.042"
            default: out += enc(v)
            }
            i = j
        }
        return out
    }

    /// A record of a preset's shape (its records path and field paths, the first alternative of
    /// each) with `v` in every role it reads, and the action its click event has.
    static func presetLine(_ p: Preset, _ v: String, time: String) -> String {
        var record: [String: Any] = [:]
        func put(_ path: String, _ value: Any) {
            let steps = path.split(separator: "|")[0].split(separator: ".").map(String.init)
            func set(_ d: inout [String: Any], _ k: Int) {
                if k == steps.count - 1 {
                    d[steps[k]] = value
                } else if let n = Int(steps[k + 1]) { // an array index: a one-element array
                    _ = n
                    d[steps[k]] = [value]
                } else {
                    var inner = d[steps[k]] as? [String: Any] ?? [:]
                    set(&inner, k + 1)
                    d[steps[k]] = inner
                }
            }
            set(&record, 0)
        }
        if case .jsonAccess = p.base { // a web request: its roles are those of json_access
            for (role, path) in p.fields.sorted(by: { $0.key < $1.key }) {
                switch role {
                case "time": put(path, time)
                case "uri": put(path, url(v))
                case "status": put(path, 200)
                case "method": put(path, "GET")
                case "ip": put(path, ip(v))
                case "user_agent": put(path, "Mozilla/5.0 (X11; Linux) " + v)
                case "referrer": put(path, referrer(v))
                case "cookie": put(path, "visitor_id=" + enc(v))
                default: put(path, v)
                }
            }
            return String(decoding: try! JSONSerialization.data(withJSONObject: record, options: [.sortedKeys, .withoutEscapingSlashes]), as: UTF8.self)
        }
        // The person's own click or message, with the values its key's conditions ask for.
        let key = p.actions.filter { ["email_click", "chat_message_visitor", "chat_rating"].contains($0.value) }.keys.sorted()[0]
        let value = key.split(separator: "[")[0].replacingOccurrences(of: "*", with: "x")
        for (role, path) in p.fields.sorted(by: { $0.key < $1.key }) {
            switch role {
            case "time": put(path, time)
            case "url": put(path, "https://shop.example.com" + url(v))
            case "action": put(path, value)
            default: put(path.trimmingCharacters(in: CharacterSet(charactersIn: "^")), v)
            }
        }
        if key.contains("[") {
            for condition in key.split(separator: "[")[1].dropLast().split(separator: ",") {
                let kv = condition.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                put(kv[0], kv.count > 1 ? kv[1].replacingOccurrences(of: "*", with: "x") : "")
            }
        }
        var doc: Any = record
        if let records = p.records?.split(separator: "|").first?.split(separator: "+").first {
            for step in records.split(separator: ".").reversed() {
                if step == "*" { doc = ["any_event": doc]; continue }
                if step == "@" { continue }
                if step.hasSuffix("[]") { doc = [doc] }
                let name = step.dropLast(step.hasSuffix("[]") ? 2 : 0)
                if !name.isEmpty { doc = [String(name): doc] }
            }
        }
        return String(decoding: try! JSONSerialization.data(withJSONObject: doc, options: [.sortedKeys, .withoutEscapingSlashes]), as: UTF8.self)
    }

    /// The roles of the generic readers that take any text (mapped to fields of the same name).
    static let genericRoles = ["action", "visitor", "customer", "email", "chat_visitor", "currency", "text", "event_id",
                               "conversation", "campaign", "source", "medium"]
    static let csvHeader = (["time", "url", "channel"] + genericRoles).joined(separator: ",")

    static let nginxFormat = #"$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" "$http_x_forwarded_for" "$http_cookie" $cookie_uid $request_time"#

    /// A pipeline reading one planted file per format of the registry.
    func plant(in dir: TempDir) throws -> String {
        let formats = try journeys(["formats"]).stdout.split(separator: "\n").compactMap { line -> String? in
            guard !line.hasPrefix(" "), let name = line.split(separator: " ").first, line.contains(" (") else { return nil }
            return String(name)
        }
        #expect(formats.count >= 10, "every format of the registry is planted")
        var yaml = "version: 1\nidentity:\n  customer_cookies: [customer_id, uid]\nsources:\n"
        for format in formats {
            var text = format == "csv" ? Self.csvHeader + "\n" : ""
            for (n, v) in Self.addresses.enumerated() { text += Self.lines(format, v, n).joined(separator: "\n") + "\n" }
            var bytes = Array(text.utf8)
            if format == "combined" { // a line that is not UTF-8: rejected, kept as raw_b64
                bytes += Array("198.51.100.23 - ana.lima@example.com [10/Oct/2026:09:14:03 +0200] \"GET /".utf8) + [0xFF] + Array(" HTTP/1.1\" 200 5 \"-\" \"x\"\n".utf8)
            }
            let path = dir.write("\(format).log", bytes)
            yaml += "  - path: \(path)\n    format: \(format)\n"
            switch format {
            case "nginx": yaml += "    log_format: '\(Self.nginxFormat)'\n"
            case "jsonl", "csv":
                yaml += "    fields: {" + (["time", "url", "referrer", "status", "value", "score"] + Self.genericRoles)
                    .map { "\($0): \($0)" }.joined(separator: ", ") + "}\n"
            default: break
            }
        }
        return dir.write("planted.yaml", Array(yaml.utf8))
    }

    /// The planted addresses found in `text`.
    static func leaks(_ text: String) -> [String] {
        let lower = text.lowercased()
        return needles.filter { lower.contains($0) }
    }

    /// Each rejects line's raw text, decoded when it was not UTF-8 (`raw_b64`).
    static func rejectsText(_ path: String) throws -> String {
        let text = String(decoding: try Data(contentsOf: URL(fileURLWithPath: path)), as: UTF8.self)
        var out = text
        for line in text.split(separator: "\n") {
            let o = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            if let b64 = o?["raw_b64"] as? String, let d = Data(base64Encoded: b64) { out += "\n" + String(decoding: d, as: UTF8.self) }
        }
        return out
    }

    @Test func noPlantedAddressLeavesInClear() throws {
        let dir = TempDir()
        let pipeline = try plant(in: dir)
        var outputs: [(String, String)] = []
        let out = dir.url.appendingPathComponent("out").path
        let r = try journeys(["run", "--quiet", "--pipeline", pipeline, "--out", out])
        #expect(r.status == 0, "\(r.stderr)")
        outputs.append(("run stderr", r.stderr))
        for name in try FileManager.default.contentsOfDirectory(atPath: out) {
            let path = out + "/" + name
            outputs.append((name, name == "rejects.ndjson" ? try Self.rejectsText(path) : String(decoding: try Data(contentsOf: URL(fileURLWithPath: path)), as: UTF8.self)))
        }
        #expect(outputs.contains { $0.0 == "rejects.ndjson" && $0.1.contains("raw_b64") }, "the rejects include the non-UTF-8 line")
        let rejects = dir.url.appendingPathComponent("rejects-events.ndjson").path
        let ev = try journeys(["events", "--pipeline", pipeline, "--rejects", rejects])
        #expect(ev.status == 0, "\(ev.stderr)")
        outputs += [("events", ev.stdout), ("events stderr", ev.stderr), ("events --rejects", try Self.rejectsText(rejects))]
        let csv = try journeys(["events", "--csv", "--pipeline", pipeline])
        outputs += [("events --csv", csv.stdout), ("events --csv stderr", csv.stderr)]
        for (name, text) in outputs {
            #expect(!text.isEmpty || name.contains("stderr"), "\(name) is empty")
            for leak in Self.leaks(text) {
                let line = text.split(separator: "\n").first { $0.lowercased().contains(leak) }?.lowercased() ?? ""
                let at = line.range(of: leak)?.lowerBound ?? line.startIndex
                let from = line.index(at, offsetBy: -80, limitedBy: line.startIndex) ?? line.startIndex
                Issue.record("\(name) holds \(leak) in clear: …\(line[from...].prefix(200))")
            }
        }
        // Every format produced touchpoints, and the pseudonyms replaced the addresses.
        for format in ["combined", "common", "nginx", "json_access", "w3c", "sendgrid", "ses", "chat", "jsonl", "csv"] {
            #expect(ev.stdout.contains("\"input\":\"\(dir.url.path)/\(format).log\""), "\(format) produced touchpoints")
        }
        #expect(ev.stdout.contains("\"email\":\"e_") && ev.stdout.contains("i_") && ev.stdout.contains("\"visitor_fallback\":true"))
        // Look-alikes stay as they were: times, hex ids, versions.
        #expect(ev.stdout.contains(Self.lookalikes), "look-alikes were changed")
    }

    /// Without a key nothing planted is written either: `events` leaves the addresses out.
    @Test func withoutAKeyEventsLeavesEveryPlantedAddressOut() throws {
        let dir = TempDir()
        let pipeline = try plant(in: dir)
        let rejects = dir.url.appendingPathComponent("rejects.ndjson").path
        let ev = try journeys(["events", "--pipeline", pipeline, "--rejects", rejects], piiKey: nil)
        #expect(ev.status == 0, "\(ev.stderr)")
        for (name, text) in [("events", ev.stdout), ("stderr", ev.stderr), ("rejects", try Self.rejectsText(rejects))] {
            for leak in Self.leaks(text) { Issue.record("\(name) holds \(leak) in clear") }
        }
        #expect(ev.stdout.contains(Self.lookalikes))
        let run = try journeys(["run", "--quiet", "--pipeline", pipeline, "--out", dir.url.appendingPathComponent("out").path], piiKey: nil)
        #expect(run.status == 78, "\(run.stderr)")
    }
}
