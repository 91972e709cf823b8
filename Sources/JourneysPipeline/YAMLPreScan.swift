/// A cheap scan of a pipeline file's bytes before the YAML parser sees them.
///
/// Yams composes nested collections recursively, so a file nested a few thousand levels deep
/// (10 KB of `[` or `- `) overflows the stack (SIGSEGV) in the parser itself; and YAML tags
/// (`!!binary`, `!!python/object`, `!local`) would otherwise be silently ignored. The scan
/// follows just enough of YAML's lexical structure — indentation, `- ` / `? ` / `key: `
/// indicators, flow `[` `{` `]` `}`, quoted scalars (which may span lines), block scalars
/// (`|`, `>`) and comments — to bound the nesting depth from above, and sees every tag at the
/// start of a node. Its depth is never lower than the parser's (a continuation line of a plain
/// scalar may count one level too many), so a file it passes cannot nest deeper than `maxDepth`.
enum YAMLPreScan {
    /// The deepest nesting a pipeline file may have (real ones use 6).
    static let maxDepth = 64

    /// What is wrong with the file, and the 1-based line; nil when it may be parsed.
    static func problem(_ text: String) -> (line: Int, message: String)? {
        var text = text
        return text.withUTF8 { scan($0) }
    }

    static func scan(_ b: UnsafeBufferPointer<UInt8>) -> (line: Int, message: String)? {
        let n = b.count
        var i = 0, line = 1
        var flow = 0 // open [ and { around the current byte
        var indents: [Int] = [] // indentation of the enclosing block levels
        var blockScalar: Int? = nil // indentation above which lines are a block scalar's text
        var blockIndent: Int? = nil // the indentation of its first line of text, which the others keep
        var quote: UInt8 = 0 // the quote of a scalar that continues on the next line
        func isSpace(_ c: UInt8) -> Bool { c == 32 || c == 9 }
        func isBreak(_ k: Int) -> Bool { k >= n || b[k] == 10 || b[k] == 13 }
        while i < n {
            // Start of a line: its indentation, then what the line holds.
            var indent = 0
            while i + indent < n, b[i + indent] == 32 { indent += 1 }
            let blank = isBreak(i + indent) || b[i + indent] == 35 && quote == 0
            var k = i
            if let bs = blockScalar, blank || indent > bs && indent >= (blockIndent ?? 0) {
                k = n // a block scalar's text: skip the line
                if !blank, blockIndent == nil { blockIndent = indent }
            } else {
                blockScalar = nil
                blockIndent = nil
            }
            var extra = 0 // block indicators on this line (`- - x`, `a: - b`)
            var nodeStart = true
            if k < n, quote == 0, flow == 0, !blank {
                while let top = indents.last, top >= indent { indents.removeLast() }
                indents.append(indent)
                k = i + indent
            }
            while k < n, b[k] != 10 {
                let c = b[k]
                if quote != 0 { // inside a quoted scalar
                    if c == 92, quote == 34 { k += 2; continue } // \" in a double-quoted one
                    if c == quote {
                        if quote == 39, k + 1 < n, b[k + 1] == 39 { k += 2; continue } // '' in a single-quoted one
                        quote = 0
                        nodeStart = false
                    }
                    k += 1
                    continue
                }
                if isSpace(c) || c == 13 { k += 1; continue }
                if c == 35, k == i || isSpace(b[k - 1]) { break } // a comment
                if indents.count + extra + flow > maxDepth {
                    return (line, "nesting deeper than \(maxDepth) levels")
                }
                let indicatorFollows = k + 1 >= n || isSpace(b[k + 1]) || isBreak(k + 1)
                if nodeStart {
                    if c == 33 { return (line, "YAML tags (\(tagText(b, k))) are not accepted in a pipeline file") }
                    if c == 34 || c == 39 { quote = c; k += 1; continue }
                    if c == 38 { // &anchor: the node follows
                        while k < n, !isSpace(b[k]), !isBreak(k) { k += 1 }
                        continue
                    }
                    if flow == 0, c == 124 || c == 62 { // | or >: the following more-indented lines are text
                        blockScalar = indent
                        k = n
                        continue
                    }
                    if flow == 0, c == 45 || c == 63, indicatorFollows { // "- " or "? "
                        extra += 1
                        k += 1
                        continue
                    }
                }
                if c == 91 || c == 123 { flow += 1; nodeStart = true; k += 1; continue }
                if flow > 0, c == 93 || c == 125 { flow -= 1; nodeStart = false; k += 1; continue }
                if flow > 0, c == 44 { nodeStart = true; k += 1; continue }
                if c == 58, indicatorFollows || flow > 0 {
                    if flow == 0 { extra += 1 }
                    nodeStart = true
                    k += 1
                    continue
                }
                // A plain scalar (or an anchor or alias): up to the next indicator.
                nodeStart = false
                k += 1
                while k < n, b[k] != 10, !(b[k] == 58 && (isBreak(k + 1) || isSpace(b[k + 1]) || flow > 0)),
                      !(flow > 0 && (b[k] == 44 || b[k] == 91 || b[k] == 93 || b[k] == 123 || b[k] == 125)),
                      !(b[k] == 35 && isSpace(b[k - 1])) { k += 1 }
            }
            if k == n, blockScalar != nil { // skipped a block scalar line: find its end
                k = i
                while k < n, b[k] != 10 { k += 1 }
            } else {
                while k < n, b[k] != 10 { k += 1 } // the rest of a comment
            }
            i = k + 1
            line += 1
        }
        return nil
    }

    /// The tag at `k` (up to the next space), for the message.
    static func tagText(_ b: UnsafeBufferPointer<UInt8>, _ k: Int) -> String {
        var e = k
        while e < b.count, e - k < 40, b[e] != 32, b[e] != 9, b[e] != 10, b[e] != 13 { e += 1 }
        return String(decoding: UnsafeBufferPointer(rebasing: b[k..<e]), as: UTF8.self)
    }
}
