import JourneysCore

/// Apache `LogFormat` strings (mod_log_config), read as the nginx `log_format` they stand for:
/// `%h %l %u %t \"%r\" %>s %b \"%{Referer}i\" \"%{User-agent}i\" %D %{visitor_id}C` becomes
/// `$remote_addr $remote_ident $remote_user [$time_local] "$request" $status $body_bytes_sent
/// "$http_referer" "$http_user_agent" $apache_request_usec $cookie_visitor_id`, so one layout
/// reads both.
///
/// Understood: `%h` `%a` (client), `%l` (ident), `%u` (user), `%t` (`[time]`), `%r` (request
/// line), `%s` `%>s` `%<s` (status), `%b` `%B` (bytes), `%m` (method), `%U` (path), `%U%q` (path
/// and query), `%q` alone, `%{Header}i` (request headers: Referer, User-Agent, Cookie,
/// X-Forwarded-For are read, others ignored), `%{name}C` (one cookie), `%D` and `%{us}T`
/// (microseconds), `%{ms}T` (milliseconds), `%T` and `%{s}T` (seconds); the other directives of
/// mod_log_config are read and ignored. Status conditions (`%400,501{User-agent}i`, `%!200r`)
/// are dropped. `%{format}t` (a time in a format of its own) is a configuration error naming it.
enum ApacheLogFormat {
    /// True for a format written with Apache's `%` directives (it has no nginx `$variable`).
    static func isApache(_ format: String) -> Bool {
        !format.contains("$") && format.contains("%")
    }

    /// The nginx `log_format` an Apache `LogFormat` string (or a pasted `LogFormat "…" name`
    /// line) stands for.
    static func translate(_ raw: String) throws(ConfigError) -> String {
        let format = try unwrap(raw)
        let c = Array(format)
        var out = ""
        var i = 0
        func fail(_ why: String) -> ConfigError { ConfigError("log_format", "\(why) in the Apache LogFormat \"\(format)\"") }
        while i < c.count {
            guard c[i] == "%" else { out.append(c[i]); i += 1; continue }
            i += 1
            guard i < c.count else { throw fail("a % at the end") }
            if c[i] == "%" { out.append("%"); i += 1; continue }
            // Status conditions and the < > modifiers: `%400,501{…}i`, `%!200r`, `%>s`.
            while i < c.count, c[i].isNumber || c[i] == "," || c[i] == "!" || c[i] == "<" || c[i] == ">" { i += 1 }
            var argument: String?
            if i < c.count, c[i] == "{" {
                guard let close = c[i...].firstIndex(of: "}") else { throw fail("an unclosed %{") }
                argument = String(c[(i + 1)..<close])
                i = close + 1
            }
            guard i < c.count else { throw fail("a directive without its letter") }
            let letter = c[i]
            i += 1
            switch (letter, argument?.lowercased()) {
            case ("h", _), ("a", _): out += "$remote_addr"
            case ("l", nil): out += "$remote_ident"
            case ("u", nil): out += "$remote_user"
            case ("t", nil): out += "[$time_local]"
            case ("t", let f?): throw fail("%{\(f)}t (a time in a format of its own; use %t)")
            case ("r", nil): out += "$request"
            case ("s", nil): out += "$status"
            case ("b", nil), ("B", nil): out += "$body_bytes_sent"
            case ("m", nil): out += "$request_method"
            case ("U", nil):
                if i + 1 < c.count, c[i] == "%", c[i + 1] == "q" { out += "$request_uri"; i += 2 } else { out += "$uri" }
            case ("q", nil): out += "$apache_query"
            case ("i", "referer"), ("i", "referrer"): out += "$http_referer"
            case ("i", "user-agent"): out += "$http_user_agent"
            case ("i", "cookie"): out += "$http_cookie"
            case ("i", "x-forwarded-for"): out += "$http_x_forwarded_for"
            case ("i", _), ("o", _), ("e", _), ("n", _), ("x", _), ("^", _): out += "$apache_header"
            case ("C", let name?): out += "${cookie_\(argument ?? name)}"
            case ("D", nil), ("T", "us"): out += "$apache_request_usec"
            case ("T", "ms"): out += "$apache_request_msec"
            case ("T", nil), ("T", "s"): out += "$request_time"
            case ("A", _), ("f", _), ("H", _), ("k", _), ("L", _), ("p", _), ("P", _), ("R", _), ("v", _), ("V", _), ("X", _),
                 ("I", _), ("O", _), ("S", _), ("M", _):
                out += "$apache_ignored"
            default:
                throw fail("an unknown directive %\(argument.map { "{\($0)}" } ?? "")\(letter)")
            }
        }
        return out
    }

    /// The format of a pasted `LogFormat "…" nickname` line (its `\"` unescaped), or the text.
    static func unwrap(_ raw: String) throws(ConfigError) -> String {
        let s = raw.trimmingCharacters(in: " \t")
        guard s.hasPrefix("LogFormat"), s.dropFirst(9).first == " " || s.dropFirst(9).first == "\t" else { return s }
        let body = Array(s.dropFirst(9).drop { $0 == " " || $0 == "\t" })
        guard body.first == "\"" else { throw ConfigError("log_format", "the LogFormat line \"\(raw)\" has no quoted format") }
        var out = ""
        var i = 1
        while i < body.count {
            if body[i] == "\\", i + 1 < body.count { out.append(body[i + 1]); i += 2; continue }
            if body[i] == "\"" { return out }
            out.append(body[i])
            i += 1
        }
        throw ConfigError("log_format", "the LogFormat line \"\(raw)\" has no closing quote")
    }
}

extension String {
    fileprivate func trimmingCharacters(in set: String) -> String {
        var s = Substring(self)
        while let f = s.first, set.contains(f) { s.removeFirst() }
        while let l = s.last, set.contains(l) { s.removeLast() }
        return String(s)
    }
}
