import JourneysCore
import JourneysReports

/// Encodes touchpoints for `journeys events`: JSON lines (the documented schema) or CSV.
///
/// Writes a chunk's touchpoints straight from its columns (`TouchpointBuffer`): each string
/// field is escaped from the bytes of its table, so no `Touchpoint` and no `String` is made per
/// row. The tables hold valid UTF-8 (readers take only lines that are), and a string id of 0
/// is an absent field.
public struct TouchpointFormat: Sendable {
    /// Input display names, by input index.
    public let inputs: [String]
    /// Each input's name as a JSON string and as a CSV cell, encoded once.
    private let jsonInputs: [[UInt8]]
    private let csvInputs: [[UInt8]]

    public init(inputs: [String]) {
        self.inputs = inputs
        jsonInputs = inputs.map { name in
            var o: [UInt8] = []
            JSONText.appendString(name, to: &o)
            return o
        }
        csvInputs = inputs.map { name in
            var o: [UInt8] = []
            CSVText.appendField(name, neutralise: true, to: &o)
            return o
        }
    }

    /// The action names of `TouchpointColumns.action`, by index.
    private static let actionNames = Action.named.map { Array($0.0.utf8) }
    private static let channelNames = TouchpointColumns.channels.map { Array($0.rawValue.utf8) }
    private static let deviceNames = TouchpointColumns.devices.map { $0 == .unknown ? [] : Array($0.rawValue.utf8) }

    /// Appends each touchpoint of `b` as one JSON object and a newline. Fields that are unknown
    /// for a touchpoint are left out.
    public func appendJSON(_ b: TouchpointBuffer, to o: inout [UInt8]) {
        let c = b.columns, values = b.strings.values
        func name(_ n: StaticString) {
            o.append(44); o.append(34)
            n.withUTF8Buffer { o.append(contentsOf: $0) }
            o.append(34); o.append(58)
        }
        func field(_ n: StaticString, _ table: StringTable, _ id: UInt32) {
            guard id != 0 else { return }
            name(n)
            table.withBytes(id) { JSONText.appendString($0, to: &o) }
        }
        for i in 0..<b.count {
            o.append(contentsOf: #"{"time":""#.utf8)
            Timestamp.appendISO(c.time[i], to: &o)
            o.append(contentsOf: #"","channel":""#.utf8)
            o.append(contentsOf: Self.channelNames[Int(c.channel[i])])
            o.append(contentsOf: #"","action":"#.utf8)
            if c.action[i] == TouchpointColumns.customAction {
                values.withBytes(c.actionName[i]) { JSONText.appendString($0, to: &o) }
            } else {
                o.append(34); o.append(contentsOf: Self.actionNames[Int(c.action[i])]); o.append(34)
            }
            let flags = c.flags[i]
            field("visitor", b.keyStrings, b.visitor[i])
            if flags & TouchpointColumns.visitorIsFallback != 0 { o.append(contentsOf: #","visitor_fallback":true"#.utf8) }
            field("customer", b.keyStrings, b.customer[i])
            field("email", b.keyStrings, b.email[i])
            field("chat_visitor", b.keyStrings, b.chatVisitor[i])
            field("path", b.strings.paths, c.path[i])
            var first = true
            b.forEachExtra(i, query: { n, v in
                o.append(contentsOf: first ? #","query":[["#.utf8 : ",[".utf8)
                first = false
                JSONText.appendString(n, to: &o)
                o.append(44)
                JSONText.appendString(v, to: &o)
                o.append(93)
            }, text: { _ in })
            if !first { o.append(93) }
            field("utm_source", values, c.source[i])
            field("utm_medium", values, c.medium[i])
            field("utm_campaign", values, c.campaign[i])
            field("utm_term", values, c.term[i])
            field("utm_content", values, c.content[i])
            if c.clickKind[i] != 0 || c.clickValue[i] != 0 {
                name("click_id_type"); values.withBytes(c.clickKind[i]) { JSONText.appendString($0, to: &o) }
                name("click_id"); values.withBytes(c.clickValue[i]) { JSONText.appendString($0, to: &o) }
            }
            field("referrer_host", values, c.referrer[i])
            if c.status[i] != 0 { name("status"); o.appendUTF8(String(c.status[i])) }
            if flags & TouchpointColumns.hasResponseTime != 0 { name("response_ms"); o.appendUTF8(String(c.responseMs[i])) }
            let device = Self.deviceNames[Int(c.device[i])]
            if !device.isEmpty { name("device"); o.append(34); o.append(contentsOf: device); o.append(34) }
            if flags & TouchpointColumns.hasValue != 0 { name("value"); o.appendUTF8(JSONText.number(c.value[i])) }
            field("currency", values, c.currency[i])
            if flags & TouchpointColumns.hasScore != 0 { name("score"); o.appendUTF8(JSONText.number(c.score[i])) }
            b.forEachExtra(i, query: { _, _ in }, text: { t in name("text"); JSONText.appendString(t, to: &o) })
            field("conversation", values, c.conversation[i])
            field("event_id", values, c.eventID[i])
            name("input")
            o.append(contentsOf: jsonInputs[Int(c.input[i])])
            name("line")
            o.appendUTF8(String(c.line[i]))
            o.append(125)
            o.append(10)
        }
    }

    public static let csvColumns = ["time", "channel", "action", "visitor", "visitor_fallback", "customer", "email", "chat_visitor",
                                    "path", "query", "utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content",
                                    "click_id_type", "click_id", "referrer_host", "status", "response_ms", "device", "value",
                                    "currency", "score", "text", "conversation", "event_id", "input", "line"]

    /// Appends each touchpoint of `b` as one CSV row (RFC 4180, spreadsheet-safe text cells;
    /// the columns of `csvColumns`, `query` as `name=value&…`).
    public func appendCSV(_ b: TouchpointBuffer, to o: inout [UInt8]) {
        let c = b.columns, values = b.strings.values
        var query: [UInt8] = []
        /// A text cell from a table, after its separator (empty when absent).
        func text(_ table: StringTable, _ id: UInt32) {
            o.append(44)
            table.withBytes(id) { CSVText.appendField($0, neutralise: true, to: &o) }
        }
        for i in 0..<b.count {
            Timestamp.appendISO(c.time[i], to: &o)
            o.append(44)
            o.append(contentsOf: Self.channelNames[Int(c.channel[i])])
            if c.action[i] == TouchpointColumns.customAction {
                text(values, c.actionName[i])
            } else {
                o.append(44)
                Self.actionNames[Int(c.action[i])].withUnsafeBufferPointer { CSVText.appendField($0, neutralise: true, to: &o) }
            }
            let flags = c.flags[i]
            text(b.keyStrings, b.visitor[i])
            o.append(contentsOf: flags & TouchpointColumns.visitorIsFallback != 0 ? ",true".utf8 : ",false".utf8)
            text(b.keyStrings, b.customer[i])
            text(b.keyStrings, b.email[i])
            text(b.keyStrings, b.chatVisitor[i])
            text(b.strings.paths, c.path[i])
            query.removeAll(keepingCapacity: true)
            b.forEachExtra(i, query: { n, v in
                if !query.isEmpty { query.append(38) }
                query.append(contentsOf: n)
                query.append(61)
                query.append(contentsOf: v)
            }, text: { _ in })
            o.append(44)
            query.withUnsafeBufferPointer { CSVText.appendField($0, neutralise: true, to: &o) }
            text(values, c.source[i])
            text(values, c.medium[i])
            text(values, c.campaign[i])
            text(values, c.term[i])
            text(values, c.content[i])
            text(values, c.clickKind[i])
            text(values, c.clickValue[i])
            text(values, c.referrer[i])
            o.append(44)
            if c.status[i] != 0 { o.appendUTF8(String(c.status[i])) }
            o.append(44)
            if flags & TouchpointColumns.hasResponseTime != 0 { o.appendUTF8(String(c.responseMs[i])) }
            o.append(44)
            o.append(contentsOf: Self.deviceNames[Int(c.device[i])])
            o.append(44)
            if flags & TouchpointColumns.hasValue != 0 { o.appendUTF8(JSONText.number(c.value[i])) }
            text(values, c.currency[i])
            o.append(44)
            if flags & TouchpointColumns.hasScore != 0 { o.appendUTF8(JSONText.number(c.score[i])) }
            o.append(44)
            b.forEachExtra(i, query: { _, _ in }, text: { CSVText.appendField($0, neutralise: true, to: &o) })
            text(values, c.conversation[i])
            text(values, c.eventID[i])
            o.append(44)
            o.append(contentsOf: csvInputs[Int(c.input[i])])
            o.append(44)
            o.appendUTF8(String(c.line[i]))
            o.append(13)
            o.append(10)
        }
    }
}
