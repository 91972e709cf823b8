import JourneysCore
import JourneysPipeline
import JourneysReaders
import Testing

/// Numbers outside their documented range (`NumberRange`, README "What is not a touchpoint")
/// are rejected `out_of_range` where they are read, by every reader; values at the edges are kept.
@Suite struct NumberRangeTests {
    static let ua = "Mozilla/5.0 (X11; Linux x86_64) Firefox/130.0"

    func combined(_ target: String, status: String = "200") throws -> ReadOutcome {
        let line = #"203.0.113.9 - - [10/Oct/2026:13:55:36 +0000] "GET \#(target) HTTP/1.1" \#(status) 512 "-" "\#(Self.ua)""#
        return try read(Array((line + "\n").utf8), format: "combined")
    }

    func outcome(_ o: ReadOutcome) -> String {
        if let r = o.rejects.first { return "\(r.reason.rawValue): \(r.detail)" }
        return "\(o.touchpoints.count) touchpoints"
    }

    @Test func orderValues() throws {
        // 1e20 trapped in attribution (exit 132); infinity is no value either.
        #expect(outcome(try combined("/checkout/complete?value=1e20")) == "out_of_range: value 1e20 (URL parameter value) is outside -1000000000000–1000000000000")
        #expect(outcome(try combined("/checkout/complete?value=-1.5e12")) == "out_of_range: value -1.5e12 (URL parameter value) is outside -1000000000000–1000000000000")
        #expect(try combined("/checkout/complete?value=1e400").rejects.first?.reason == .outOfRange)
        #expect(try combined("/checkout/complete?value=nan").rejects.first?.reason == .outOfRange)
        let edge = try combined("/checkout/complete?value=1000000000000&currency=eur")
        #expect(edge.touchpoints.first?.value == 1e12)
        #expect(try combined("/refund?value=-54.90").touchpoints.first?.value == -54.9) // a refund
    }

    @Test func statusAndResponseTime() throws {
        #expect(outcome(try combined("/", status: "999")) == "out_of_range: status 999 is outside 100–599")
        #expect(outcome(try combined("/", status: "99")) == "out_of_range: status 99 is outside 100–599")
        #expect(try combined("/", status: "599").touchpoints.first?.status == 599)
        #expect(try combined("/", status: "000").touchpoints.first?.status == 0) // none logged

        // nginx $request_time: 9,999,999,999.999 s was clamped to Int32.max ms and kept.
        var o = ReaderOptions()
        o.logFormat = #"$remote_addr [$time_local] "$request" $status $request_time"#
        func nginx(_ rt: String) throws -> ReadOutcome {
            try read(Array(#"203.0.113.9 [10/Oct/2026:13:55:36 +0000] "GET / HTTP/1.1" 200 \#(rt)"#.utf8 + [10]), format: "nginx", options: o)
        }
        #expect(outcome(try nginx("9999999999.999")) == "out_of_range: response time 9999999999999 ms is outside 0–604800000")
        #expect(try nginx("604800.000").touchpoints.first?.responseTimeMs == 604_800_000) // 7 days
        #expect(try nginx("0.050, 0.020").touchpoints.first?.responseTimeMs == 70)

        // json_access: a negative or huge response time, a status over 599.
        func json(_ extra: String) throws -> ReadOutcome {
            try read(Array(#"{"time":"2026-10-10T13:55:36Z","remote_addr":"203.0.113.9","request_uri":"/","status":200\#(extra)}"#.utf8 + [10]), format: "json_access")
        }
        #expect(outcome(try json(#","request_time":-1"#)) == "out_of_range: response time -1000 ms is outside 0–604800000")
        #expect(try json(#","request_time":1e300"#).rejects.first?.reason == .outOfRange)
        #expect(try json(#","request_time":0.25"#).touchpoints.first?.responseTimeMs == 250)
        let bigStatus = try read(Array(#"{"time":"2026-10-10T13:55:36Z","remote_addr":"203.0.113.9","request_uri":"/","status":1000}"#.utf8 + [10]), format: "json_access")
        #expect(outcome(bigStatus) == "out_of_range: status 1000 is outside 100–599")
    }

    /// A number too long to convert is out of range, like any other: it used to be no value (a
    /// W3C `time-taken` of 13 digits or more, an nginx `$request_time` of 11 whole digits or more:
    /// the line was kept without a response time) or `malformed` (a status of 10 or more digits
    /// in nginx, 5 or more in W3C, one that overflows `Int` in JSON). The detail shows the value
    /// read, or past `Int64.max` the saturated 9223372036854775807.
    @Test func numbersTooLongToConvertAreOutOfRange() throws {
        #expect(outcome(try combined("/", status: "1234567890")) == "out_of_range: status 1234567890 is outside 100–599")
        #expect(outcome(try combined("/", status: "99999999999999999999")) == "out_of_range: status 9223372036854775807 is outside 100–599")

        var o = ReaderOptions()
        o.logFormat = #"$remote_addr [$time_local] "$request" $status $request_time"#
        func nginx(_ rt: String) throws -> ReadOutcome {
            try read(Array(#"203.0.113.9 [10/Oct/2026:13:55:36 +0000] "GET / HTTP/1.1" 200 \#(rt)"#.utf8 + [10]), format: "nginx", options: o)
        }
        #expect(outcome(try nginx("12345678901")) == "out_of_range: response time 12345678901000 ms is outside 0–604800000")
        #expect(outcome(try nginx("0.050, 99999999999999999999.5")) == "out_of_range: response time 9223372036854775807 ms is outside 0–604800000")

        func w3c(_ status: String, _ taken: String) throws -> ReadOutcome {
            let text = "#Fields: date time cs-uri-stem sc-status time-taken\n2026-03-02 09:00:00 /a \(status) \(taken)\n"
            return try read(Array(text.utf8), format: "w3c")
        }
        #expect(outcome(try w3c("200", "10000000000000")) == "out_of_range: response time 10000000000000 ms is outside 0–604800000")
        #expect(outcome(try w3c("200", "1234567890123456789012")) == "out_of_range: response time 9223372036854775807 ms is outside 0–604800000")
        #expect(outcome(try w3c("10000", "15")) == "out_of_range: status 10000 is outside 100–599")
        #expect(try w3c("200", "604800000").touchpoints.first?.responseTimeMs == 604_800_000) // 7 days

        let json = try read(Array(#"{"time":"2026-10-10T13:55:36Z","remote_addr":"203.0.113.9","request_uri":"/","status":99999999999999999999}"#.utf8 + [10]), format: "json_access")
        #expect(outcome(json) == "out_of_range: status 9223372036854775807 is outside 100–599")

        var g = ReaderOptions()
        g.fields = ["time": "ts", "action": "event", "customer": "cid", "status": "status"]
        let jsonl = try read(Array(#"{"ts":"2026-10-10T13:55:36Z","event":"view","cid":"c1","status":99999999999999999999}"#.utf8 + [10]), format: "jsonl", options: g)
        #expect(outcome(jsonl) == "out_of_range: status 99999999999999999999 (field status) is outside 100–599")
    }

    @Test func genericValueScoreAndStatus() throws {
        var o = ReaderOptions()
        o.fields = ["time": "ts", "action": "event", "customer": "cid", "value": "total", "score": "score", "status": "status"]
        func jsonl(_ fields: String) throws -> ReadOutcome {
            try read(Array(#"{"ts":"2026-10-10T13:55:36Z","event":"purchase","cid":"c1",\#(fields)}"#.utf8 + [10]), format: "jsonl", options: o)
        }
        #expect(outcome(try jsonl(#""total":1e20"#)) == "out_of_range: value 1e20 (field total) is outside -1000000000000–1000000000000")
        #expect(outcome(try jsonl(#""total":"-1e13""#)) == "out_of_range: value -1e13 (field total) is outside -1000000000000–1000000000000")
        #expect(outcome(try jsonl(#""total":"abc""#)) == "malformed: value \"abc\" (field total) is not a number")
        #expect(outcome(try jsonl(#""score":101"#)) == "out_of_range: score 101 (field score) is outside 0–100")
        #expect(outcome(try jsonl(#""status":"700""#)) == "out_of_range: status 700 (field status) is outside 100–599")
        #expect(try jsonl(#""total":59.9,"score":100,"status":200"#).touchpoints.first?.value == 59.9)
    }

    @Test func chatRatingAndSurvey() throws {
        func chat(_ fields: String) throws -> ReadOutcome {
            try read(Array(#"{"timestamp":"2026-10-10T13:55:36Z","visitor_id":"v1",\#(fields)}"#.utf8 + [10]), format: "chat")
        }
        #expect(outcome(try chat(#""type":"rating","rating":7"#)) == "out_of_range: rating 7 (field rating) is outside 1–5")
        #expect(outcome(try chat(#""type":"survey","score":11"#)) == "out_of_range: survey score 11 (field survey_score|nps|score) is outside 0–10")
        #expect(try chat(#""type":"survey","score":10"#).touchpoints.first?.score == 10)
    }
}
