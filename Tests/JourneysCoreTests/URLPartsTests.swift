import JourneysCore
import Testing

@Suite struct URLPartsTests {
    func touchpoint(_ target: String) -> Touchpoint {
        var t = Touchpoint(time: 0, channel: .web, action: .pageView, origin: Origin(input: 0, line: 1, offset: 0))
        URLParts.apply(target, to: &t)
        return t
    }

    @Test func utmAndClickIDs() {
        let t = touchpoint("/landing?utm_source=news+letter&utm_medium=email&utm_campaign=fall%20sale&gclid=AbC-12_x#top")
        #expect(t.path == "/landing")
        #expect(t.campaign.source == "news letter")
        #expect(t.campaign.medium == "email")
        #expect(t.campaign.name == "fall sale")
        #expect(t.clickID == ClickID(kind: "gclid", value: "AbC-12_x"))
        #expect(t.query.count == 4)
    }

    @Test func absoluteURLAndPercentPath() {
        let t = touchpoint("https://shop.example.com:8443/caf%C3%A9/menu?a=1&a=2&flag")
        #expect(t.path == "/café/menu")
        #expect(t.query == [QueryParam("a", "1"), QueryParam("a", "2"), QueryParam("flag", "")])
    }

    @Test func invalidPercentUTF8StaysEncoded() {
        // %FF is not UTF-8 once decoded: the text is kept as written, not replaced with U+FFFD.
        #expect(touchpoint("/x%FFy").path == "/x%FFy")
        #expect(URLParts.percentDecode("a+b%2Bc", plusAsSpace: true) == "a b+c")
        #expect(URLParts.percentDecode("a+b", plusAsSpace: false) == "a+b")
        #expect(URLParts.percentDecode("100%", plusAsSpace: false) == "100%")
    }

    @Test func hosts() {
        #expect(URLParts.host("https://WWW.Google.COM/search?q=x") == "www.google.com")
        #expect(URLParts.host("http://user:pw@example.org:8080/") == "example.org")
        #expect(URLParts.host("android-app://com.google.android.gm/") == "com.google.android.gm")
        #expect(URLParts.host("-") == nil)
        #expect(URLParts.host("/relative/path") == nil)
        #expect(URLParts.host("") == nil)
        // Written without a scheme (issue 11 (f): such referrers were dropped): protocol-relative,
        // or a host with a dot before the path; a word without a dot is no host.
        #expect(URLParts.host("www.Google.com/search?q=x") == "www.google.com")
        #expect(URLParts.host("//cdn.example.org/a") == "cdn.example.org")
        #expect(URLParts.host("example.org") == "example.org")
        #expect(URLParts.host("news.example.com:8080?x=1") == "news.example.com")
        #expect(URLParts.host("localhost/x") == nil)
        #expect(URLParts.host("search") == nil)
        #expect(URLParts.host(".hidden/x") == nil)
    }

    @Test func byteLevelDecodingAppendsToABuffer() {
        func decoded(_ s: String, plusAsSpace: Bool) -> String {
            var out = Array("x".utf8)
            var s = s
            s.withUTF8 { URLParts.percentDecode($0, plusAsSpace: plusAsSpace, into: &out) }
            return String(decoding: out, as: UTF8.self)
        }
        // Appended after what the buffer holds; invalid UTF-8 once decoded is appended as written.
        #expect(decoded("caf%C3%A9+au%20lait", plusAsSpace: true) == "xcafé au lait")
        #expect(decoded("a+b", plusAsSpace: false) == "xa+b")
        #expect(decoded("/x%FFy+", plusAsSpace: true) == "x/x%FFy+")
        #expect(decoded("%E2%82", plusAsSpace: false) == "x%E2%82", "a cut sequence is not UTF-8")
        var host = Array("x".utf8)
        var url = "HTTPS://Shop.Example.COM:8443/a"
        #expect(url.withUTF8 { URLParts.host($0, into: &host) })
        #expect(String(decoding: host, as: UTF8.self) == "xshop.example.com")
        var relative = "/a/b"
        #expect(!relative.withUTF8 { URLParts.host($0, into: &host) })
        #expect(host.count == 17, "nothing appended for a relative URL")
    }

    @Test func queryFieldsByNameInAnyCase() {
        func field(_ name: String) -> URLParts.QueryField? {
            var n = name
            return n.withUTF8 { URLParts.queryField($0) }
        }
        #expect(field("UTM_Source") == .source)
        #expect(field("utm_content") == .content)
        #expect(field("GCLID") == .clickID(0))
        // As `String.lowercased` does, the Kelvin sign (U+212A) lower-cases to "k".
        #expect(field("mscl\u{212A}id") == .clickID(URLParts.clickIDNames.firstIndex(of: "msclkid")!))
        #expect(field("utm_sourcex") == nil && field("utm") == nil && field("ref") == nil)
        let t = touchpoint("/?MSCL\u{212A}ID=a&msclkid=b&utm_source=x&UTM_SOURCE=y")
        #expect(t.clickID == ClickID(kind: "msclkid", value: "a"), "the first click id wins")
        #expect(t.campaign.source == "y", "the last utm_source wins")
    }

    @Test func fnvIsFixed() {
        // FNV-1a 64 of "a" is af63dc4c8601ec8c (published test vector).
        var h = FNV1a64()
        h.combine("a")
        #expect(h.hex == "af63dc4c8601ec8c")
        #expect(FNV1a64().hex == "cbf29ce484222325")
        var out = Array("ipua-".utf8)
        h.appendHex(to: &out)
        #expect(String(decoding: out, as: UTF8.self) == "ipua-af63dc4c8601ec8c")
    }
}

/// The byte-level `URLParts.apply(_:into:scratch:)` the JSON readers use writes the same
/// fields into a buffer row as `apply(_:to:)` does into a touchpoint.
@Suite struct URLPartsIntoBufferTests {
    func row(_ target: String) -> Touchpoint {
        var out = TouchpointBuffer()
        var scratch: [UInt8] = []
        out.beginRow(time: 0, channel: .email, action: .emailClick, origin: Origin(input: 0, line: 1, offset: 0))
        var s = target
        s.withUTF8 { URLParts.apply($0, into: &out, scratch: &scratch) }
        return out.touchpoint(0)
    }

    @Test func sameFieldsAsIntoATouchpoint() {
        // Last non-empty utm_source wins, the first click id wins (its name lower-cased, its value
        // kept), `+` is a space in the query, %C3%A9 is é, %FF alone is not UTF-8 and stays as written.
        let t = row("https://shop.example/a%20b/c?UTM_Source=x&utm_source=&utm_source=news+letter&GCLID=Ab1&fbclid=zz&n=%FF&flag")
        #expect(t.path == "/a b/c")
        #expect(t.campaign.source == "news letter")
        #expect(t.clickID == ClickID(kind: "gclid", value: "Ab1"))
        #expect(t.query == [QueryParam("UTM_Source", "x"), QueryParam("utm_source", ""), QueryParam("utm_source", "news letter"),
                            QueryParam("GCLID", "Ab1"), QueryParam("fbclid", "zz"), QueryParam("n", "%FF"), QueryParam("flag", "")])
        let e = row("/caf%C3%A9?utm_campaign=%C3%A9t%C3%A9")
        #expect(e.path == "/café")
        #expect(e.campaign.name == "été")
        #expect(row("").path == "/")
        #expect(row("https://shop.example").path == "/")
    }
}
