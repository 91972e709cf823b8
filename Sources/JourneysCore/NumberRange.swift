/// The documented ranges of the numbers readers take from a log (README, "What is not a
/// touchpoint").
///
/// A number outside its range rejects its line `out_of_range`, naming the field, the value and
/// the range, where the number is read: so no later conversion, sum or comparison meets a value
/// it could overflow or trap on. Timestamps have their own rule (`Timestamp.isPlausible`, 1990–2100,
/// rejected `bad_timestamp`).
public enum NumberRange {
    /// Order value in currency units: finite, −1e12 … 1e12. Negative values are refunds and
    /// adjustments (kept: a generic log of orders has them); no single order is worth a trillion,
    /// and in cents the sum of 2^63 such values still fits an `Int128`.
    public static let value: ClosedRange<Double> = -1e12...1e12
    /// HTTP status. 0 (and CloudFront's `000` for an aborted request) means none was logged.
    public static let status: ClosedRange<Int> = 100...599
    /// Response time in milliseconds: 0 … 7 days (a WebSocket logs its whole connection).
    public static let responseMs: ClosedRange<Int64> = 0...604_800_000
    /// A chat rating (stars).
    public static let rating: ClosedRange<Double> = 1...5
    /// A chat survey (NPS) score.
    public static let survey: ClosedRange<Double> = 0...10
    /// A generic reader's score, whose scale the pipeline does not say: 0 … 100 holds 1–5 stars,
    /// 0–10 NPS and percentages.
    public static let score: ClosedRange<Double> = 0...100

    /// A whole number of ASCII digits (a status), saturating at `Int.max`: a number too long for
    /// an `Int` is then out of range for the caller's check, never "not a number" or no value.
    /// Nil when `b` is empty or holds anything but digits.
    @inlinable public static func integer(_ b: UnsafeBufferPointer<UInt8>) -> Int? {
        guard !b.isEmpty else { return nil }
        var v = 0
        for c in b {
            guard c &- 48 < 10 else { return nil }
            v = v <= (Int.max - 9) / 10 ? v * 10 + Int(c &- 48) : .max
        }
        return v
    }

    /// A whole number written as text (`200`, `-1`), saturating at the ends of `Int` as
    /// `integer(_:)` does for bytes; nil when it is not one.
    public static func integer(_ text: String) -> Int? {
        if let v = Int(text) { return v }
        let negative = text.utf8.first == 45
        let digits = negative || text.utf8.first == 43 ? text.utf8.dropFirst() : text.utf8[...]
        guard !digits.isEmpty, digits.allSatisfy({ $0 &- 48 < 10 }) else { return nil }
        return negative ? .min : .max
    }

    /// True for a status in `status`, or 0 (none logged).
    @inlinable public static func isStatus(_ s: Int) -> Bool { s == 0 || status.contains(s) }

    /// The detail of an `out_of_range` reject, `value 1e20 (URL parameter value) is outside
    /// -1000000000000–1000000000000`; `shown` is the value as the log wrote it (cut by the caller).
    public static func outside<T: Comparable>(_ what: String, _ shown: String, _ range: ClosedRange<T>, at place: String = "") -> String {
        func show(_ v: T) -> String { (v as? Double).map(JSONText.number) ?? "\(v)" }
        return "\(what) \(shown)\(place.isEmpty ? "" : " (\(place))") is outside \(show(range.lowerBound))–\(show(range.upperBound))"
    }
}
