#!/usr/bin/env python3
"""Regenerates Sources/JourneysReaders/BotPatterns.swift from monperrus/crawler-user-agents.

Usage:
    python3 Tests/tools/update_bot_patterns.py path/to/crawler-user-agents.json \
        [--out Sources/JourneysReaders/BotPatterns.swift] [--source-commit SHA]

The upstream file (https://github.com/monperrus/crawler-user-agents, MIT licence) lists one
regular expression per crawler. `journeys` matches user agents by lower-cased substring, so
each pattern is turned into one or more literals:

* escaped punctuation (`\\/`, `\\.`, `\\(`) is unescaped; an unescaped `.` is taken literally;
* a class of one letter in both cases (`[wW]get`, `S[eE][mM]rushBot`) becomes that letter;
* an alternation group of literals (`Ahrefs(Bot|SiteAudit)`) is expanded;
* `^literal` becomes a *prefix* (the user agent starts with it), `(^| )literal` a prefix plus
  the substring `" literal"`;
* a trailing context group `([^-]|$)` is dropped (the literal gets wider, still a crawler);
* anything else that is not a plain literal (`\\d`, `+`, `*`, other classes) is dropped and
  reported on stderr.

Every literal is then checked against a list of ordinary browser user agents; a literal that
would flag one of them is dropped and reported (for example `sonic`, which the upstream list
matches case-sensitively but which as a case-insensitive substring hits "Panasonic" TVs).

A few AI crawlers that the stored snapshot predates are added from LOCAL_ADDITIONS, marked as
such in the generated file.
"""

import argparse
import json
import re
import sys

LICENSE = """The MIT License (MIT)

Copyright (c) 2017 Martin Monperrus

Permission is hereby granted, free of charge, to any person obtaining a copy of
this software and associated documentation files (the "Software"), to deal in
the Software without restriction, including without limitation the rights to
use, copy, modify, merge, publish, distribute, sublicense, and/or sell copies of
the Software, and to permit persons to whom the Software is furnished to do so,
subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS
FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR
COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER LIABILITY, WHETHER
IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM, OUT OF OR IN
CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE."""

# AI crawlers and fetchers published by their operators after the snapshot this list was built
# from (upstream adds them over time). Lower-case substrings.
LOCAL_ADDITIONS = [
    "gptbot",            # OpenAI crawler
    "chatgpt-user",      # OpenAI, fetches on behalf of a ChatGPT user
    "oai-searchbot",     # OpenAI search
    "claudebot",         # Anthropic crawler
    "claude-web",        # Anthropic
    "anthropic-ai",      # Anthropic
    "perplexitybot",     # Perplexity crawler
    "meta-externalagent",  # Meta AI crawler
    "google-inspectiontool",  # Google Search Console URL inspection
]

# Ordinary browsers (desktop, phone, tablet, TV, in-app) that no literal may match.
BROWSERS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/129.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/129.0.0.0 Safari/537.36 Edg/129.0.2792.65",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:131.0) Gecko/20100101 Firefox/131.0",
    "Mozilla/5.0 (X11; Linux x86_64; rv:131.0) Gecko/20100101 Firefox/131.0",
    "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:130.0) Gecko/20100101 Firefox/130.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Safari/605.1.15",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/129.0.0.0 Safari/537.36 OPR/114.0.0.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/129.0.6668.69 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (iPad; CPU OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/129.0.6668.81 Mobile Safari/537.36",
    "Mozilla/5.0 (Linux; Android 14; SAMSUNG SM-S921B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/26.0 Chrome/122.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Linux; Android 13; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/129.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Linux; Android 9; KFTRWI) AppleWebKit/537.36 (KHTML, like Gecko) Silk/128.3.1 like Chrome/128.0.6613.187 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 YaBrowser/24.4.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) coc_coc_browser/128.0.180 Chrome/122.0.6261.180 Safari/537.36",
    "Mozilla/5.0 (X11; FreeBSD; U; Viera; de-DE) AppleWebKit/537.11 (KHTML, like Gecko) Viera/3.10.0 Chrome/23.0.1271.97 Safari/537.11 Panasonic",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 [FBAN/FBIOS;FBAV/480.0.0.38.107;FBBV/650000000;FBDV/iPhone15,2;FBMD/iPhone;FBSN/iOS;FBSV/17.6;FBSS/3;FBCR/;FBID/phone;FBLC/en_US;FBOP/80]",
    "Mozilla/5.0 (Linux; Android 14; Pixel 7 Build/AP2A.240805.005; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/128.0.6613.127 Mobile Safari/537.36 Instagram 348.0.0.41.98 Android",
]

# A letter class such as [wW] or [Cc].
CASE_CLASS = re.compile(r"\[([A-Za-z])([A-Za-z])\]")
# A trailing group that only restricts what follows the literal.
TRAILING_CONTEXT = re.compile(r"\(\[\^[^\]]*\]\|\$\)$")


def to_literals(pattern):
    """Returns (prefixes, substrings, note) for one upstream regex; note says why it changed or was dropped."""
    p = pattern
    note = None
    prefixes, substrings = [], []
    if TRAILING_CONTEXT.search(p):
        p = TRAILING_CONTEXT.sub("", p)
        note = "widened: dropped the trailing context group"

    def fold(m):
        a, b = m.group(1), m.group(2)
        if a.lower() != b.lower():
            raise ValueError("class of two different letters")
        return a.lower()

    anchor = None
    if p.startswith("(^| )"):
        anchor, p = "start_or_space", p[len("(^| )"):]
    elif p.startswith("^"):
        anchor, p = "start", p[1:]
    try:
        p = CASE_CLASS.sub(fold, p)
    except ValueError as e:
        return [], [], "dropped: " + str(e)

    # Expand one level of (a|b) groups of literals.
    variants = [""]
    i = 0
    while i < len(p):
        c = p[i]
        if c == "\\":
            if i + 1 >= len(p):
                return [], [], "dropped: trailing backslash"
            n = p[i + 1]
            if n.isalnum():
                return [], [], "dropped: regex escape \\" + n
            variants = [v + n for v in variants]
            i += 2
        elif c == "(":
            close = p.find(")", i)
            if close < 0:
                return [], [], "dropped: unbalanced group"
            options = p[i + 1:close].split("|")
            if any(re.search(r"[\\\[\]()*+?{}^$]", o) for o in options):
                return [], [], "dropped: group is not a list of literals"
            variants = [v + o for v in variants for o in options]
            i = close + 1
        elif c in "[]*+?{}|^$)":
            return [], [], "dropped: regex operator " + c
        else:
            variants = [v + c for v in variants]
            i += 1
    variants = [v.lower() for v in variants]
    if any(not v.strip() for v in variants):
        return [], [], "dropped: empty literal"
    if anchor == "start":
        prefixes = variants
    elif anchor == "start_or_space":
        prefixes = variants
        substrings = [" " + v for v in variants]
    else:
        substrings = variants
    return prefixes, substrings, note


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("json_path", help="crawler-user-agents.json from monperrus/crawler-user-agents")
    ap.add_argument("--out", default="Sources/JourneysReaders/BotPatterns.swift")
    ap.add_argument("--source-commit", default="unknown", help="the upstream commit the JSON comes from")
    args = ap.parse_args()

    with open(args.json_path, encoding="utf-8") as f:
        entries = json.load(f)
    prefixes, substrings, report = set(), set(), []
    for e in entries:
        pre, sub, note = to_literals(e["pattern"])
        if note:
            report.append("%-45s %s" % (e["pattern"], note))
        prefixes.update(pre)
        substrings.update(sub)
    local = set(LOCAL_ADDITIONS) - substrings
    substrings |= local

    browsers = [b.lower() for b in BROWSERS]
    for lit in sorted(substrings):
        hit = next((b for b in browsers if lit in b), None)
        if hit:
            substrings.discard(lit)
            report.append("%-45s dropped: matches the browser %r" % (lit, hit[:60] + "…"))
    for lit in sorted(prefixes):
        hit = next((b for b in browsers if b.startswith(lit)), None)
        if hit:
            prefixes.discard(lit)
            report.append("%-45s dropped: prefix of a browser user agent" % lit)

    def swift_string(s):
        return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'

    def swift_list(items, per_line=4):
        items = sorted(items)
        lines = []
        for k in range(0, len(items), per_line):
            lines.append("        " + ", ".join(swift_string(s) for s in items[k:k + per_line]) + ",")
        return "\n".join(lines)

    licence = "\n".join(("// " + line).rstrip() for line in LICENSE.split("\n"))
    out = f"""// GENERATED FILE — do not edit by hand. Regenerate with:
//     python3 Tests/tools/update_bot_patterns.py crawler-user-agents.json --source-commit <sha>
//
// Source: https://github.com/monperrus/crawler-user-agents (file crawler-user-agents.json,
// commit {args.source_commit}), {len(entries)} patterns, converted to lower-case literals by the script
// above (see its docstring for the rules). `localAdditions` are not from that snapshot.
//
// The upstream list is distributed under the MIT licence:
//
{licence}

/// Lower-cased literals of user agents that are not people (crawlers, monitors, HTTP libraries).
///
/// A user agent is a bot when, lower-cased, it contains one of `substrings` or starts with one
/// of `prefixes`. `UserAgentClassifier` indexes both lists once per process.
enum BotPatterns {{
    /// Matched anywhere in the user agent ({len(substrings)} literals, sorted).
    static let substrings: [String] = [
{swift_list(substrings)}
    ]

    /// Matched at the start of the user agent only (upstream patterns anchored with `^`).
    static let prefixes: [String] = [
{swift_list(prefixes)}
    ]

    /// The literals in `substrings` added locally rather than taken from the upstream snapshot.
    static let localAdditions: [String] = [
{swift_list(local)}
    ]
}}
"""
    with open(args.out, "w", encoding="utf-8") as f:
        f.write(out)
    print(f"{len(substrings)} substrings, {len(prefixes)} prefixes ({len(local)} local additions) -> {args.out}", file=sys.stderr)
    for line in report:
        print("  " + line, file=sys.stderr)


if __name__ == "__main__":
    main()
