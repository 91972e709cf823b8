#!/usr/bin/env python3
"""Compares the funnel of `journeys run` with a DuckDB job's (Tests/bench/duckdb_job.py or duckdb_expert.py).

Usage: compare_funnel.py RUN_OUT_DIR DUCKDB_OUT_DIR [NAME]

RUN_OUT_DIR holds funnel.csv, channels.csv and summary.json written by `journeys run`;
DUCKDB_OUT_DIR holds funnel.csv, channels.csv and totals.txt written by `duckdb_job.py --out` or
`duckdb_expert.py --out`. NAME names the DuckDB job in the headings (default "the DuckDB job").
Prints a Markdown section: the persons per stage side by side, then first-touch channels and
totals (persons, touchpoints, sessions). Exit status 0 when every funnel count matches, 1 when
any differs or a file is missing: the funnel is the check; the other tables say where to look.
"""
import csv
import json
import os
import sys


def read_counts(path, key="stage", value="persons"):
    with open(path, encoding="utf-8-sig", newline="") as f:
        return [(row[key], int(row[value])) for row in csv.DictReader(f)]


def table(title, left, right, key):
    """Markdown rows for two (name, count) lists, in the left list's order; returns (lines, differences)."""
    names = [n for n, _ in left] + [n for n, _ in right if n not in dict(left)]
    l, r = dict(left), dict(right)
    lines = [f"| {key} | journeys run | DuckDB | |", "|---|---:|---:|---|"]
    diffs = 0
    for n in names:
        a, b = l.get(n), r.get(n)
        same = a == b
        diffs += not same
        show = lambda v: "—" if v is None else str(v)
        note = "" if same else f"**differs** ({(b or 0) - (a or 0):+d})"
        lines.append(f"| {n} | {show(a)} | {show(b)} | {note} |")
    return [f"{title}:", ""] + lines + [""], diffs


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__.split("\n\n")[1])
    run_dir, duck_dir = sys.argv[1], sys.argv[2]
    name = sys.argv[3] if len(sys.argv) == 4 else "the DuckDB job"
    out = [f"## Funnel check: `journeys run` against {name}", ""]
    try:
        jf = read_counts(os.path.join(run_dir, "funnel.csv"))
        df = read_counts(os.path.join(duck_dir, "funnel.csv"))
    except (OSError, KeyError, ValueError) as e:
        out.append(f"**FUNNEL CHECK: MISMATCH** — a funnel could not be read ({e}); did the checked run or the DuckDB job fail?")
        print("\n".join(out))
        return 1
    lines, funnel_diffs = table("Persons reaching each stage (funnel.csv)", jf, df, "stage")
    out += lines
    if funnel_diffs == 0:
        out.append(f"**FUNNEL CHECK: MATCH** — all {len(jf)} stages have the same number of persons.")
    else:
        out.append(f"**FUNNEL CHECK: MISMATCH** — {funnel_diffs} of {len(jf)} stages differ (see the table above).")
    out.append("")

    # Context: where a difference would come from.
    try:
        lines, d = table("First-touch channel, persons (channels.csv)",
                         read_counts(os.path.join(run_dir, "channels.csv"), "channel"),
                         read_counts(os.path.join(duck_dir, "channels.csv"), "channel"), "channel")
        out += lines + [f"First-touch channels: {'match' if d == 0 else f'{d} differ'}.", ""]
        totals = json.load(open(os.path.join(run_dir, "summary.json"), encoding="utf-8"))["totals"]
        duck = dict(l.split() for l in open(os.path.join(duck_dir, "totals.txt"), encoding="utf-8") if l.strip())
        names = ["persons", "touchpoints", "sessions"]
        lines, d = table("Totals (summary.json)", [(n, totals[n]) for n in names],
                         [(n, int(duck[n])) for n in names], "total")
        out += lines + [f"Totals: {'match' if d == 0 else f'{d} differ'}.", ""]
    except (OSError, KeyError, ValueError) as e:
        out += [f"(channels / totals not compared: {e})", ""]
    print("\n".join(out))
    return 0 if funnel_diffs == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
