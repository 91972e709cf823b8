import JourneysCore
import Testing

@Suite struct JSONTests {
    @Test func parsesAndKeepsNumbersAsText() throws {
        let v = try JSONParser.parse(#"{"a":1,"b":"x\"y\u00e9","c":[true,null,-2.5e3],"big":123456789012345678901234567890}"#)
        #expect(v["a"] == .number("1"))
        #expect(v["b"] == .string("x\"yé"))
        #expect(v.at(path: "c.2")?.double == -2500)
        #expect(v["big"]?.text == "123456789012345678901234567890")
        #expect(v.at(path: "c.1") == .null)
    }

    @Test func surrogatePairsAndLoneSurrogates() throws {
        #expect(try JSONParser.parse(#""\ud83d\ude00""#) == .string("😀"))
        #expect(throws: JSONError.self) { try JSONParser.parse(#""\ud83d""#) }
        #expect(throws: JSONError.self) { try JSONParser.parse(#""\ude00x""#) }
    }

    @Test func duplicateKeysAreAnError() {
        #expect(throws: JSONError.self) { try JSONParser.parse(#"{"email":"a@x","email":"b@x"}"#) }
    }

    @Test func deepNestingIsAnErrorNotACrash() {
        let deep = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
        #expect(throws: JSONError.self) { try JSONParser.parse(deep) }
        let ok = String(repeating: "[", count: 64) + String(repeating: "]", count: 64)
        #expect((try? JSONParser.parse(ok)) != nil)
    }

    @Test func malformedTexts() {
        for bad in ["", "{", "{\"a\"}", "{\"a\":}", "[1,]", "01", "tru", "\"a", "{\"a\":1}x", "\"tab\there\""] {
            #expect(throws: JSONError.self, "\(bad)") { try JSONParser.parse(bad) }
        }
    }

    @Test func numbersAsStrings() throws {
        let v = try JSONParser.parse(#"{"t":"1791665736","v":" 4.5 "}"#)
        #expect(v["t"]?.double == 1_791_665_736)
        #expect(v["v"]?.double == 4.5)
    }

    @Test func escapingRoundTrip() throws {
        let s = "quote\" back\\ nl\n tab\t bell\u{07} é"
        let quoted = JSONText.quoted(s)
        #expect(try JSONParser.parse(quoted) == .string(s))
    }
}

/// Lookups in a parsed tape (what the JSON readers use) find what `JSONValue` finds.
@Suite struct JSONTapeTests {
    func withDoc<R>(_ text: String, _ body: (JSONDoc) -> R) throws -> R {
        var tape = JSONTape()
        var s = text
        return try s.withUTF8 { b in
            try tape.parse(b)
            return tape.withDoc(b, body)
        }
    }

    @Test func escapedKeysAndValues() throws {
        // "em\u0061il" is the key "email"; the value's \" and \u00e9 are unescaped into the scratch.
        let (value, missing) = try withDoc(#"{"a":[1,{"b":true}],"em\u0061il":"x\"y\u00e9"}"#) { d in
            (d.member(0, JSONKey("email")).map(d.string), d.member(0, JSONKey("mail")))
        }
        #expect(value == "x\"yé")
        #expect(missing == nil)
    }

    @Test func keysCompareAsSwiftStrings() throws {
        // "é" precomposed (U+00E9) and decomposed (e + U+0301) are one key for Swift strings: a
        // lookup by either finds it, and both in one object are a duplicate.
        let found = try withDoc("{\"caf\u{E9}\":1}") { d in d.member(0, JSONKey("cafe\u{301}")).map(d.string) }
        #expect(found == "1")
        #expect(throws: JSONError.self) { try JSONParser.parse("{\"caf\u{E9}\":1,\"cafe\u{301}\":2}") }
    }

    @Test func itemsAndNesting() throws {
        let r = try withDoc(#"{"a":[1,{"b":[]},"z"],"c":null}"#) { d -> [String] in
            let a = d.member(0, JSONKey("a"))!
            return [String(d.count(a)), d.item(a, 2).map(d.string) ?? "-", d.item(a, 3) == nil ? "none" : "?",
                    d.kind(d.member(0, JSONKey("c"))!) == .null ? "null" : "?"]
        }
        #expect(r == ["3", "z", "none", "null"])
    }
}
