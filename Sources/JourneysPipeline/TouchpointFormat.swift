import JourneysCore
import JourneysReports

/// Encodes touchpoints for `journeys events`: JSON lines (the documented schema) or CSV.
public struct TouchpointFormat: Sendable {
    /// Input display names, by input index.
    public let inputs: [String]

    public init(inputs: [String]) { self.inputs = inputs }

    /// Appends one JSON object and a newline. Fields that are unknown for a touchpoint are left out.
    public func appendJSON(_ t: Touchpoint, to o: inout [UInt8]) {
        o.append(contentsOf: #"{"time":""#.utf8)
        Timestamp.appendISO(t.time, to: &o)
        o.append(contentsOf: #"","channel":""#.utf8)
        o.appendUTF8(t.channel.rawValue)
        o.append(contentsOf: #"","action":"#.utf8)
        JSONText.appendString(t.action.name, to: &o)
        func field(_ name: String, _ value: String?) {
            guard let value else { return }
            o.append(44); o.append(34); o.appendUTF8(name); o.append(34); o.append(58)
            JSONText.appendString(value, to: &o)
        }
        func number(_ name: String, _ value: String?) {
            guard let value else { return }
            o.append(44); o.append(34); o.appendUTF8(name); o.append(34); o.append(58)
            o.appendUTF8(value)
        }
        field("visitor", t.keys.visitor)
        if t.keys.visitorIsFallback { o.append(contentsOf: #","visitor_fallback":true"#.utf8) }
        field("customer", t.keys.customer)
        field("email", t.keys.email)
        field("chat_visitor", t.keys.chatVisitor)
        field("path", t.path)
        if !t.query.isEmpty {
            o.append(contentsOf: #","query":["#.utf8)
            for (i, p) in t.query.enumerated() {
                if i > 0 { o.append(44) }
                o.append(91)
                JSONText.appendString(p.name, to: &o)
                o.append(44)
                JSONText.appendString(p.value, to: &o)
                o.append(93)
            }
            o.append(93)
        }
        field("utm_source", t.campaign.source)
        field("utm_medium", t.campaign.medium)
        field("utm_campaign", t.campaign.name)
        field("utm_term", t.campaign.term)
        field("utm_content", t.campaign.content)
        field("click_id_type", t.clickID?.kind)
        field("click_id", t.clickID?.value)
        field("referrer_host", t.referrerHost)
        number("status", t.status != 0 ? String(t.status) : nil)
        number("response_ms", t.responseTimeMs.map { String($0) })
        field("device", t.device == .unknown ? nil : t.device.rawValue)
        number("value", t.value.map(JSONText.number))
        field("currency", t.currency)
        number("score", t.score.map(JSONText.number))
        field("text", t.text)
        field("conversation", t.conversation)
        field("event_id", t.eventID)
        field("input", inputs[Int(t.origin.input)])
        number("line", String(t.origin.line))
        o.append(125)
        o.append(10)
    }

    public static let csvColumns = ["time", "channel", "action", "visitor", "visitor_fallback", "customer", "email", "chat_visitor",
                                    "path", "query", "utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content",
                                    "click_id_type", "click_id", "referrer_host", "status", "response_ms", "device", "value",
                                    "currency", "score", "text", "conversation", "event_id", "input", "line"]

    /// Appends one CSV row (RFC 4180, spreadsheet-safe text cells).
    public func appendCSV(_ t: Touchpoint, to o: inout [UInt8]) {
        let query = t.query.map { "\($0.name)=\($0.value)" }.joined(separator: "&")
        let cells: [CSVCell] = [
            .raw(Timestamp.iso(t.time)), .raw(t.channel.rawValue), .text(t.action.name), .text(t.keys.visitor),
            .raw(t.keys.visitorIsFallback ? "true" : "false"), .text(t.keys.customer), .text(t.keys.email), .text(t.keys.chatVisitor),
            .text(t.path), .text(query.isEmpty ? nil : query), .text(t.campaign.source), .text(t.campaign.medium),
            .text(t.campaign.name), .text(t.campaign.term), .text(t.campaign.content), .text(t.clickID?.kind), .text(t.clickID?.value),
            .text(t.referrerHost), .raw(t.status != 0 ? String(t.status) : ""), .raw(t.responseTimeMs.map { String($0) } ?? ""),
            .raw(t.device == .unknown ? "" : t.device.rawValue), .raw(t.value.map(JSONText.number) ?? ""), .text(t.currency),
            .raw(t.score.map(JSONText.number) ?? ""), .text(t.text), .text(t.conversation), .text(t.eventID),
            .text(inputs[Int(t.origin.input)]), .raw(String(t.origin.line)),
        ]
        CSVText.appendRow(cells, to: &o)
    }
}
