import JourneysCore

/// Milliseconds of a day and time in 2026-10 (UTC): `at(10, 14, 30)` is 2026-10-10T14:30:00Z.
/// 2026-10-01 is day 20 727 since 1970 (56 years with 14 leap days = 20 454 days to 2026-01-01,
/// + 273 days of January–September).
func at(_ day: Int, _ h: Int, _ m: Int, _ s: Int = 0) -> Int64 {
    (Int64(20_727 + day - 1) * 86_400 + Int64(h * 3600 + m * 60 + s)) * 1000
}

/// A page view by visitor `v` (and optionally customer `c`) at `time`.
func page(_ time: Int64, _ path: String, visitor: String? = nil, customer: String? = nil, email: String? = nil,
          status: Int16 = 200, referrer: String? = nil, line: Int64 = 1) -> Touchpoint {
    var t = Touchpoint(time: time, channel: .web, action: .pageView,
                       keys: IdentityKeys(visitor: visitor, customer: customer, email: email),
                       origin: Origin(input: 0, line: line, offset: 0))
    URLParts.apply(path, to: &t)
    t.status = status
    t.referrerHost = referrer
    return t
}
