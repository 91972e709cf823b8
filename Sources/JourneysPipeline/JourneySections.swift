import JourneysCore
import JourneysStages
import Yams

/// Which output files to write, and how.
public struct OutputsConfig: Sendable, Equatable {
    public static let allTables = ["journeys", "funnel", "channels", "attribution", "paths", "pain_points", "daily"]
    /// Tables to write (`summary.json` and `rejects.ndjson` are always written).
    public var tables: [String] = OutputsConfig.allTables
    /// `csv`, `json` or both.
    public var formats: [String] = ["csv"]
    /// Output directory when `--out` is not given.
    public var dir: String?
    /// `run` publishes nothing (exit 65) when rejected lines / lines read is over this;
    /// `--max-reject-ratio` wins over it.
    public var maxRejectRatio = RunJob.defaultMaxRejectRatio
    public init() {}
}

extension YAMLReader {
    /// The longest duration a pipeline file may give (3650 days); a longer one would overflow
    /// the millisecond arithmetic of sessions and attribution, and means a typo.
    static let maxDurationMs: Int64 = 3650 * 86_400_000

    /// Durations written `90s`, `30m`, `1.5h`, `7d` or `250ms` (a bare number is seconds), in
    /// milliseconds, from 0 to `max`.
    func duration(_ n: Node, _ path: String, max: Int64 = maxDurationMs) throws(PipelineError) -> Int64 {
        let text = try string(n, path).trimmingSpaces.lowercased()
        let units: [(String, Double)] = [("ms", 1), ("s", 1000), ("m", 60_000), ("h", 3_600_000), ("d", 86_400_000)]
        var ms: Double?
        for (suffix, scale) in units where text.hasSuffix(suffix) {
            if let v = Double(text.dropLast(suffix.count)), v.isFinite, v >= 0 { ms = v * scale; break }
        }
        if ms == nil, let v = Double(text), v.isFinite, v >= 0 { ms = v * 1000 }
        guard let ms else { throw error(n, path, "must be a duration such as 30m, 90s, 1.5h or 7d") }
        guard ms.rounded() <= Double(max) else {
            throw error(n, path, "must be at most \(max % 86_400_000 == 0 ? "\(max / 86_400_000)d" : "\(max)ms")")
        }
        return Int64(ms.rounded())
    }

    /// A number in `range`.
    func double(_ n: Node, _ path: String, in range: ClosedRange<Double>) throws(PipelineError) -> Double {
        guard let v = Double(try string(n, path)), v.isFinite else { throw error(n, path, "must be a number") }
        guard range.contains(v) else {
            throw error(n, path, "must be a number from \(JSONText.number(range.lowerBound)) to \(JSONText.number(range.upperBound))")
        }
        return v
    }

    func journeySections(_ top: [String: Node], into c: inout PipelineConfig) throws(PipelineError) {
        if let n = top["sessions"] {
            let m = try mapping(n, "sessions")
            try onlyKeys(m, ["timeout", "break_at_midnight", "break_on_campaign_change"], at: "sessions")
            if let v = m["timeout"] {
                c.journey.sessionTimeoutMs = try duration(v, "sessions.timeout")
                guard c.journey.sessionTimeoutMs > 0 else { throw error(v, "sessions.timeout", "must be longer than 0") }
            }
            if let v = m["break_at_midnight"] { c.journey.breakAtMidnight = try bool(v, "sessions.break_at_midnight") }
            if let v = m["break_on_campaign_change"] { c.journey.breakOnCampaignChange = try bool(v, "sessions.break_on_campaign_change") }
        }
        if let n = top["stages"] { try stages(n, into: &c.journey) }
        if let n = top["channels"] { try channels(n, into: &c.journey) }
        if let n = top["attribution"] {
            let m = try mapping(n, "attribution")
            try onlyKeys(m, ["models", "time_decay_half_life", "lookback"], at: "attribution")
            if let v = m["models"] {
                var models: [AttributionModel] = []
                for (i, name) in try strings(v, "attribution.models", nonEmpty: true).enumerated() {
                    guard let model = AttributionModel(rawValue: name) else {
                        throw error(v, "attribution.models[\(i)]", "unknown model \"\(name)\"; known: \(AttributionModel.allCases.map(\.rawValue).joined(separator: ", "))")
                    }
                    models.append(model)
                }
                c.journey.attributionModels = models
            }
            if let v = m["time_decay_half_life"] { c.journey.timeDecayHalfLifeMs = try duration(v, "attribution.time_decay_half_life") }
            if let v = m["lookback"] { c.journey.lookbackMs = try duration(v, "attribution.lookback") }
        }
        if let n = top["paths"] {
            let m = try mapping(n, "paths")
            try onlyKeys(m, ["depth"], at: "paths")
            if let v = m["depth"] {
                c.journey.pathDepth = try int(v, "paths.depth", in: 1...100)
            }
        }
        if let n = top["pain_points"] {
            let m = try mapping(n, "pain_points")
            try onlyKeys(m, ["slow_page", "slow_chat_response", "bad_rating_max"], at: "pain_points")
            if let v = m["slow_page"] { c.journey.slowPageMs = Int32(try duration(v, "pain_points.slow_page", max: NumberRange.responseMs.upperBound)) }
            if let v = m["slow_chat_response"] { c.journey.slowChatResponseMs = try duration(v, "pain_points.slow_chat_response") }
            if let v = m["bad_rating_max"] { c.journey.badRatingMax = try double(v, "pain_points.bad_rating_max", in: 0...NumberRange.rating.upperBound) }
        }
        if let n = top["outputs"] {
            let m = try mapping(n, "outputs")
            try onlyKeys(m, ["tables", "formats", "dir", "max_reject_ratio"], at: "outputs")
            if let v = m["tables"] {
                let t = try strings(v, "outputs.tables", nonEmpty: true)
                for name in t where !OutputsConfig.allTables.contains(name) {
                    throw error(v, "outputs.tables", "unknown table \"\(name)\"; known: \(OutputsConfig.allTables.joined(separator: ", "))")
                }
                c.outputs.tables = t
            }
            if let v = m["formats"] {
                let f = try strings(v, "outputs.formats", nonEmpty: true)
                guard f.allSatisfy({ $0 == "csv" || $0 == "json" }) else {
                    throw error(v, "outputs.formats", "must list csv, json or both")
                }
                c.outputs.formats = f
            }
            if let v = m["dir"] { c.outputs.dir = try string(v, "outputs.dir") }
            if let v = m["max_reject_ratio"] { c.outputs.maxRejectRatio = try double(v, "outputs.max_reject_ratio", in: 0...1) }
        }
    }

    func stages(_ n: Node, into j: inout JourneyConfig) throws(PipelineError) {
        let m = try mapping(n, "stages")
        try onlyKeys(m, ["order", "rules", "success_only", "purchase_stage", "repeat_purchase_stage"], at: "stages")
        if let v = m["order"] {
            j.stages = try strings(v, "stages.order", nonEmpty: true)
        }
        if let v = m["success_only"] { j.successOnly = try bool(v, "stages.success_only") }
        if let v = m["purchase_stage"] { j.purchaseStage = try string(v, "stages.purchase_stage") }
        if let v = m["repeat_purchase_stage"] {
            let s = try string(v, "stages.repeat_purchase_stage")
            j.repeatPurchaseStage = s.isEmpty || s == "none" ? nil : s
        }
        if let v = m["rules"] {
            guard case .sequence(let seq) = v else { throw error(v, "stages.rules", "must be a list") }
            var rules: [StageRule] = []
            for (i, x) in seq.enumerated() {
                let path = "stages.rules[\(i)]"
                let r = try mapping(x, path)
                try onlyKeys(r, ["stage", "paths", "actions", "channels", "min_score", "order"], at: path)
                guard let st = r["stage"] else { throw error(x, path, "a rule needs a `stage`") }
                var rule = StageRule(stage: try string(st, "\(path).stage"))
                guard j.stages.contains(rule.stage) else {
                    throw error(st, "\(path).stage", "\"\(rule.stage)\" is not in stages.order (\(j.stages.joined(separator: ", ")))")
                }
                if let p = r["paths"] { rule.paths = try strings(p, "\(path).paths", nonEmpty: true) }
                if let a = r["actions"] { rule.actions = try strings(a, "\(path).actions", nonEmpty: true).map { Action(name: $0) } }
                if let ch = r["channels"] {
                    for (k, name) in try strings(ch, "\(path).channels", nonEmpty: true).enumerated() {
                        guard let c = Channel(rawValue: name) else {
                            throw error(ch, "\(path).channels[\(k)]", "must be one of \(Channel.allCases.map(\.rawValue).joined(separator: ", "))")
                        }
                        rule.channels.append(c)
                    }
                }
                if let s = r["min_score"] { rule.minScore = try double(s, "\(path).min_score", in: NumberRange.score) }
                if let o = r["order"] { rule.order = try bool(o, "\(path).order") }
                rules.append(rule)
            }
            j.stageRules = rules
        }
        // Every stage a rule or setting names must be in the order.
        for (i, r) in j.stageRules.enumerated() where !j.stages.contains(r.stage) {
            throw error(n, "stages.rules[\(i)].stage", "\"\(r.stage)\" is not in stages.order (\(j.stages.joined(separator: ", ")))")
        }
        guard j.stages.contains(j.purchaseStage) else {
            throw error(n, "stages.purchase_stage", "\"\(j.purchaseStage)\" is not in stages.order")
        }
        if let rp = j.repeatPurchaseStage, !j.stages.contains(rp) {
            throw error(n, "stages.repeat_purchase_stage", "\"\(rp)\" is not in stages.order (use none to turn it off)")
        }
    }

    func channels(_ n: Node, into j: inout JourneyConfig) throws(PipelineError) {
        let m = try mapping(n, "channels")
        try onlyKeys(m, ["internal_hosts", "rules", "replace_default_rules", "fallback"], at: "channels")
        var rules = j.channelRules
        if let v = m["internal_hosts"] { rules.internalHosts = try strings(v, "channels.internal_hosts").map { $0.lowercased() } }
        if let v = m["fallback"] { rules.fallback = try string(v, "channels.fallback") }
        var replace = false
        if let v = m["replace_default_rules"] { replace = try bool(v, "channels.replace_default_rules") }
        if let v = m["rules"] {
            guard case .sequence(let seq) = v else { throw error(v, "channels.rules", "must be a list") }
            var custom: [ChannelRule] = []
            for (i, x) in seq.enumerated() {
                let path = "channels.rules[\(i)]"
                let r = try mapping(x, path)
                try onlyKeys(r, ["channel", "all_of", "any_of", "note"], at: path)
                guard let ch = r["channel"] else { throw error(x, path, "a rule needs a `channel`") }
                var rule = ChannelRule(channel: try string(ch, "\(path).channel"))
                if let a = r["all_of"] { rule.allOf = try conditions(a, "\(path).all_of") }
                if let a = r["any_of"] { rule.anyOf = try conditions(a, "\(path).any_of") }
                if let note = r["note"] { rule.note = try string(note, "\(path).note") }
                guard !rule.allOf.isEmpty || !rule.anyOf.isEmpty else {
                    throw error(x, path, "a rule needs conditions in all_of or any_of")
                }
                custom.append(rule)
            }
            rules.rules = replace ? custom : custom + rules.rules
        } else if replace {
            throw error(n, "channels.replace_default_rules", "needs `rules` to replace them with")
        }
        j.channelRules = rules
    }

    /// `[{field: source, match: exact, values: [google, bing]}, …]`
    func conditions(_ n: Node, _ path: String) throws(PipelineError) -> [ChannelCondition] {
        guard case .sequence(let seq) = n else { throw error(n, path, "must be a list of {field, match, values}") }
        var out: [ChannelCondition] = []
        for (i, x) in seq.enumerated() {
            let p = "\(path)[\(i)]"
            let m = try mapping(x, p)
            try onlyKeys(m, ["field", "match", "values"], at: p)
            guard let f = m["field"], let field = ChannelField(rawValue: try string(f, "\(p).field")) else {
                throw error(x, "\(p).field", "must be one of \(ChannelField.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            var match = MatchKind.exact
            if let k = m["match"] {
                guard let kind = MatchKind(rawValue: try string(k, "\(p).match")) else {
                    throw error(k, "\(p).match", "must be one of \(MatchKind.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                match = kind
            }
            guard let vs = m["values"] else { throw error(x, p, "a condition needs `values`") }
            out.append(ChannelCondition(field: field, match: match, values: try strings(vs, "\(p).values", nonEmpty: true)))
        }
        return out
    }
}
