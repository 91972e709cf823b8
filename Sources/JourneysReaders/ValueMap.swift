import JourneysCore

/// Turns a source's own event names into touchpoint actions (`actions:` and `ignore:` of a
/// generic reader or a preset).
///
/// A key is the value of the `action` field, optionally followed by conditions on other fields
/// of the same record in brackets:
///
///     opened: email_open
///     failed[severity=temporary]: email_deferred
///     failed[severity=permanent, reason=suppress-*]: email_dropped
///     failed: email_bounce:hard
///     SubscriptionChange[SuppressSending=false]: email_resubscribe
///     "visitor:*": chat_message_visitor
///
/// - A value (or a condition's value) may hold `*` wildcards, each any run of bytes
///   (`visitor:*`, `*@*`); `*` alone is any value that is present and not empty. Otherwise
///   values match exactly, byte for byte. A condition `field=` (nothing after `=`) matches a
///   field that is absent, null or empty.
/// - The outcome is an action name (`email_open`, any name of `Action`, or a name of the
///   source's own, kept as a custom action), optionally with a kind after a colon
///   (`email_bounce:hard`): the kind is put before the touchpoint's text (`hard: 550 …`). The
///   outcome `ignore` (or a key listed under `ignore:`) makes the record a counted `ignored`
///   skip instead of a touchpoint.
/// - When several keys match, one naming the value exactly wins over a wildcard, then the one
///   with the most conditions, then the one with more literal text, then the key that sorts
///   first: the order the keys are written in never matters (`note: ignore` beats
///   `"*[author.type=admin]": chat_message_agent`).
/// - With a map, a value no key matches is rejected `unknown_event`; without one, the action
///   field's value is the action's name.
public struct ValueMap: Sendable, Equatable {
    public enum Outcome: Sendable, Equatable {
        case action(String, kind: String?)
        case ignore
    }

    /// A value to match: text with `*` wildcards (any run of bytes); `*` alone is any value
    /// that is present and not empty; the empty pattern is an absent or empty value.
    struct Pattern: Sendable, Equatable {
        /// The literal pieces between the `*`s.
        var pieces: [[UInt8]]
        var wild: Bool
        /// Bytes of literal text, for precedence (the more literal, the more specific).
        var literal: Int { pieces.reduce(0) { $0 + $1.count } }

        init(_ s: Substring) {
            let t = String(s).trimmingSpaces
            wild = t.contains("*")
            pieces = t.split(separator: "*", omittingEmptySubsequences: false).map { Array($0.utf8) }
        }

        func matches(_ b: UnsafeBufferPointer<UInt8>?) -> Bool {
            guard let b, !b.isEmpty else { return !wild && pieces == [[]] }
            guard wild else { return b.count == pieces[0].count && b.elementsEqual(pieces[0]) }
            // First piece anchors the start, last the end, the rest in order between.
            let first = pieces[0], last = pieces[pieces.count - 1]
            guard b.count >= first.count + last.count, b.prefix(first.count).elementsEqual(first),
                  b.suffix(last.count).elementsEqual(last) else { return false }
            var at = first.count
            let end = b.count - last.count
            for piece in pieces.dropFirst().dropLast() where !piece.isEmpty {
                var found = false
                while at + piece.count <= end {
                    if b[at..<(at + piece.count)].elementsEqual(piece) { found = true; at += piece.count; break }
                    at += 1
                }
                if !found { return false }
            }
            return true
        }
    }

    struct Rule: Sendable, Equatable {
        var key: String
        var value: Pattern
        /// (index in `fields`, pattern) of each condition.
        var conditions: [(Int, Pattern)]
        var outcome: Outcome

        static func == (a: Rule, b: Rule) -> Bool { a.key == b.key && a.outcome == b.outcome }
    }

    /// The rules, most specific first.
    let rules: [Rule]
    /// The fields the conditions read, each once, in the order of first use.
    public let fields: [String]

    public var isEmpty: Bool { rules.isEmpty }

    /// - Parameters:
    ///   - actions: key → action name (`ignore` allowed).
    ///   - ignore: keys whose records are ignored.
    /// - Throws: `ConfigError` for a key whose brackets are not closed or whose condition has no `=`.
    public init(actions: [String: String], ignore: [String]) throws(ConfigError) {
        var fields: [String] = []
        var rules: [Rule] = []
        func rule(_ key: String, _ outcome: Outcome, at path: String) throws(ConfigError) -> Rule {
            var value = Substring(key), conditions: [(Int, Pattern)] = []
            if let open = key.firstIndex(of: "["), key.hasSuffix("]") {
                value = key[..<open]
                for c in key[key.index(after: open)..<key.index(before: key.endIndex)].split(separator: ",") {
                    guard let eq = c.firstIndex(of: "=") else {
                        throw ConfigError(path, "condition \"\(c)\" of \"\(key)\" needs field=value")
                    }
                    let field = String(c[..<eq]).trimmingSpaces
                    guard !field.isEmpty else { throw ConfigError(path, "condition \"\(c)\" of \"\(key)\" names no field") }
                    if !fields.contains(field) { fields.append(field) }
                    conditions.append((fields.firstIndex(of: field)!, Pattern(c[c.index(after: eq)...])))
                }
            } else if key.contains("[") {
                throw ConfigError(path, "\"\(key)\": conditions go in brackets at the end, as value[field=value, …]")
            }
            return Rule(key: key, value: Pattern(value), conditions: conditions, outcome: outcome)
        }
        for (key, name) in actions.sorted(by: { $0.key < $1.key }) {
            let n = name.trimmingSpaces
            guard !n.isEmpty else { throw ConfigError("actions.\(key)", "names no action") }
            if n == "ignore" {
                rules.append(try rule(key, .ignore, at: "actions.\(key)"))
                continue
            }
            let parts = n.split(separator: ":", maxSplits: 1)
            let kind = parts.count == 2 ? String(parts[1]).trimmingSpaces : nil
            rules.append(try rule(key, .action(String(parts[0]), kind: kind?.isEmpty == true ? nil : kind), at: "actions.\(key)"))
        }
        for key in ignore.sorted() where !actions.keys.contains(key) {
            rules.append(try rule(key, .ignore, at: "ignore"))
        }
        // Most specific first, whatever order the keys were written in.
        rules.sort { a, b in
            if a.value.wild != b.value.wild { return !a.value.wild }
            if a.conditions.count != b.conditions.count { return a.conditions.count > b.conditions.count }
            if a.value.literal != b.value.literal { return a.value.literal > b.value.literal }
            return a.key < b.key
        }
        self.rules = rules
        self.fields = fields
    }

    public static let empty = try! ValueMap(actions: [:], ignore: [])

    /// The outcome for `value`, reading condition `i`'s field with `field(i)`; nil when no key matches.
    public func resolve(_ value: UnsafeBufferPointer<UInt8>?, field: (Int) -> UnsafeBufferPointer<UInt8>?) -> Outcome? {
        for r in rules where r.value.matches(value) {
            if r.conditions.allSatisfy({ $0.1.matches(field($0.0)?.trimmingSpaces) }) { return r.outcome }
        }
        return nil
    }
}

