#!/usr/bin/env python3
"""Runs Tests/bench/duckdb_expert.sql, the expert DuckDB journey job, on a `journeys generate` data set.

Usage: duckdb_expert.py DATA_DIR THREADS [--out DIR]

Replaces @DATA@ in the SQL with DATA_DIR, runs it with the duckdb Python module on THREADS
threads in DIR (default: a temporary folder, removed afterwards), where it writes journeys.csv,
funnel.csv and channels.csv; writes DIR/totals.txt (persons, touchpoints, sessions) for
Tests/bench/compare_funnel.py. Prints the funnel as CSV on standard output and one summary line
on standard error.
"""
import os
import shutil
import sys
import tempfile
import time

import duckdb


def main():
    args = sys.argv[1:]
    out_dir = None
    if "--out" in args:
        i = args.index("--out")
        out_dir = args[i + 1]
        del args[i:i + 2]
    if len(args) != 2:
        sys.exit(__doc__.split("\n\n")[1])
    data, threads = os.path.abspath(args[0]), int(args[1])
    sql_path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "duckdb_expert.sql")
    sql = open(sql_path, encoding="utf-8").read().replace("@DATA@", data.replace("'", "''"))

    work = os.path.abspath(out_dir) if out_dir else tempfile.mkdtemp(prefix="duckdb-expert-")
    os.makedirs(work, exist_ok=True)
    cwd = os.getcwd()
    t0 = time.time()
    try:
        os.chdir(work)
        con = duckdb.connect()
        con.execute(f"SET threads = {threads}")
        persons, touchpoints, sessions = con.execute(sql).fetchone()
        seconds = time.time() - t0
        with open("totals.txt", "w", encoding="utf-8") as f:
            f.write(f"persons {persons}\ntouchpoints {touchpoints}\nsessions {sessions}\n")
        sys.stdout.write(open("funnel.csv", encoding="utf-8").read())
        print(f"duckdb_expert: DuckDB {duckdb.__version__}, {threads} threads, {seconds:.2f} s; "
              f"{touchpoints} touchpoints, {persons} persons, {sessions} sessions", file=sys.stderr)
    finally:
        os.chdir(cwd)
        if not out_dir:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
