#!/usr/bin/env bash
# `make bench`: how fast `journeys events` reads gzipped logs, next to zcat and a zlib floor; how
# fast the full `journeys run` is; and the same journey job written in DuckDB SQL as a baseline.
#
# Builds the release binary, generates (once, cached in .build/bench-data/) a data set with
# `journeys generate`, compiles Tests/bench/floor.c, installs DuckDB into Tests/bench/.venv if
# missing (python3 -m venv; pip install duckdb), and times, in one run:
#   floor -j 1, floor -j 2     plain zlib inflate + line count: nothing reads these files faster
#   zcat FILES > /dev/null     what most people would compare with
#   journeys events --pipeline (all files, default threads and --threads 1)
#   cat web/*.gz | journeys events --format nginx … (one concatenated stream on stdin, both thread counts)
#   journeys run --pipeline … --out … (the full pipeline and every report; default threads and --threads 1)
#   duckdb-2: Tests/bench/duckdb_job.py DATA 2, the journey job (identity map, 30-minute sessions,
#             stages, funnel, first-touch channel) in DuckDB SQL on 2 threads, reading the .gz files
#   duckdb-expert: Tests/bench/duckdb_expert.py DATA 2, the expert DuckDB job of issue 10
#             (Tests/bench/duckdb_expert.sql: joins for identity, window functions for sessions)
# Reports the median wall time, CPU (user+sys), peak RSS, MB/s of uncompressed input, lines/s
# and how many times slower than the floor (2 cores) and zcat each command is, per byte; then
# ratios: run / floor-2, DuckDB / run, run's peak RSS / DuckDB's, events / floor-2; then the
# targets of issue 10 with the measured values and met / NOT MET.
# Funnel checks: the funnel of the checked `journeys run` (funnel.csv) and each DuckDB job's are
# printed side by side with MATCH or MISMATCH (a mismatch also makes the script exit 1, after the
# report); first-touch channels, persons, touchpoints and sessions are compared too.
# Memory held per touchpoint: the checked `journeys run` runs with JOURNEYS_TIMINGS=1, which
# prints its store's record bytes, touchpoints and resident memory after reading.
# Memory limit (BENCH_MEMLIMIT=1, on by default): `journeys run --memory-limit 200M` on the 2×
# data set (at least 5 × the limit uncompressed), its peak RSS, and its outputs against a run
# without a limit (`diff -r`, summary.json's elapsed_seconds aside).
# Scaling (BENCH_SCALING=1, off by default: it is long): data sets of 1×, 2×, 4×, 8× the persons
# (same days), cached in $BUILD/bench-data-scale-K/, and the wall time and peak RSS of
# `journeys events` and `journeys run` on each, with the ratio to 1×.
# The report goes to standard output and .build/bench/report.md; copy it into BENCHMARKS.md.
#
# Settings (environment): BENCH_PERSONS (250000), BENCH_DAYS (4), BENCH_SEED (42),
# BENCH_RUNS (5, runs of the fast commands), BENCH_SLOW_RUNS (3, runs of each journeys / DuckDB
# command), BENCH_BUILD_DIR (.build: the build folder, which also holds the data sets and the
# results), BENCH_SCALING (0; 1 adds the scaling section), BENCH_SCALES ("1 2 4 8"),
# BENCH_SCALING_RUNS (1, runs of each command per scale; the median is reported), BENCH_MICRO (1;
# 0 leaves out the one-thread microbenchmarks of journeys-microbench, see `make microbench`),
# BENCH_MEMLIMIT (1; 0 leaves out the memory-limit check), BENCH_MEMLIMIT_SIZE (200M).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

PERSONS=${BENCH_PERSONS:-250000}
DAYS=${BENCH_DAYS:-4}
SEED=${BENCH_SEED:-42}
RUNS=${BENCH_RUNS:-5}
SLOW_RUNS=${BENCH_SLOW_RUNS:-3}
BUILD=${BENCH_BUILD_DIR:-.build}
DATA=$BUILD/bench-data
BIN=$BUILD/release/journeys
FLOOR=$BUILD/bench-floor
OUT=$BUILD/bench
SCALING=${BENCH_SCALING:-0}
MICRO=${BENCH_MICRO:-1}
SCALES=${BENCH_SCALES:-1 2 4 8}
SCALING_RUNS=${BENCH_SCALING_RUNS:-1}
MEMLIMIT=${BENCH_MEMLIMIT:-1}
MEMLIMIT_SIZE=${BENCH_MEMLIMIT_SIZE:-200M}
VENV=Tests/bench/.venv
PY=$VENV/bin/python
# The pseudonym key of the bench's `journeys run` (not a secret: the data set is synthetic).
PII_KEY=bench-key-not-secret-0123456789abcdef
START_SECONDS=$SECONDS
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)

log() { printf 'bench: %s\n' "$*" >&2; }

# --- tools -------------------------------------------------------------------------------
SUDO=""
if [ "$(id -u)" != 0 ] && command -v sudo >/dev/null 2>&1; then SUDO="sudo -n"; fi
apt_install() {
    command -v apt-get >/dev/null 2>&1 || return 1
    $SUDO apt-get install -y -qq "$@" >/dev/null 2>&1 && return 0
    $SUDO apt-get update -qq >/dev/null 2>&1 && $SUDO apt-get install -y -qq "$@" >/dev/null 2>&1
}
if [ ! -x /usr/bin/time ]; then
    log "installing GNU time"
    apt_install time || { log "error: /usr/bin/time is missing and could not be installed (apt-get install time)"; exit 1; }
fi
HAVE_HYPERFINE=1
if ! command -v hyperfine >/dev/null 2>&1; then
    log "installing hyperfine"
    apt_install hyperfine || { log "hyperfine could not be installed: timing with a /usr/bin/time loop instead"; HAVE_HYPERFINE=0; }
fi

# DuckDB (pip package `duckdb`) in a local virtual environment, for the duckdb-2 row and the funnel check.
HAVE_DUCKDB=1
if ! "$PY" -c 'import duckdb' >/dev/null 2>&1; then
    log "installing DuckDB into $VENV (python3 -m venv, pip install duckdb)"
    if [ ! -x "$PY" ]; then
        python3 -m venv "$VENV" >&2 || { rm -rf "$VENV"; apt_install python3-venv && python3 -m venv "$VENV" >&2; } || true
    fi
    if [ ! -x "$VENV/bin/pip" ] || ! "$VENV/bin/pip" install -q duckdb >&2 || ! "$PY" -c 'import duckdb' >/dev/null 2>&1; then
        log "WARNING: DuckDB could not be installed into $VENV: no duckdb-2 row and NO FUNNEL CHECK in this report"
        HAVE_DUCKDB=0
    fi
fi

# --- build, floor, data ----------------------------------------------------------------------
log "building the release binary"
swift build -c release --product journeys --scratch-path "$BUILD" >&2
if [ "$MICRO" = 1 ]; then swift build -c release --product journeys-microbench --scratch-path "$BUILD" >&2; fi
mkdir -p "$OUT"
cc -O2 -o "$FLOOR" Tests/bench/floor.c -lz

# generate DIR PERSONS: a data set of PERSONS persons over $DAYS days in DIR, made again only when
# the generator's version or the settings changed (DIR/.stamp).
generate() {
    local dir=$1 persons=$2 stamp
    stamp="$("$BIN" generate --version) persons=$persons days=$DAYS seed=$SEED"
    if [ ! -f "$dir/.stamp" ] || [ "$(cat "$dir/.stamp")" != "$stamp" ]; then
        log "generating a data set ($stamp) into $dir"
        rm -rf "$dir"
        /usr/bin/time -f "bench: generated in %e s (%U s user, %M KB peak)" \
            "$BIN" generate --persons "$persons" --days "$DAYS" --seed "$SEED" --out "$dir" >&2
        echo "$stamp" > "$dir/.stamp"
    else
        log "using the cached data set in $dir ($stamp)"
    fi
}
generate "$DATA" "$PERSONS"
stamp=$(cat "$DATA/.stamp")

ALL=("$DATA"/web/*.gz "$DATA"/email/*.gz "$DATA"/chat/*.gz)
WEB=("$DATA"/web/*.gz)
# floor output: files=F compressed=C uncompressed=U lines=L
field() { awk -v k="$1" '{ for (i = 1; i <= NF; i++) { split($i, kv, "="); if (kv[1] == k) print kv[2] } }' <<<"$2"; }
all_counts=$("$FLOOR" -j 2 "${ALL[@]}")
web_counts=$("$FLOOR" -j 2 "${WEB[@]}")
ALL_BYTES=$(field uncompressed "$all_counts"); ALL_LINES=$(field lines "$all_counts"); ALL_GZ=$(field compressed "$all_counts")
WEB_BYTES=$(field uncompressed "$web_counts"); WEB_LINES=$(field lines "$web_counts"); WEB_GZ=$(field compressed "$web_counts")
log "data set: ${#ALL[@]} files, $ALL_LINES lines, $ALL_GZ bytes gzipped, $ALL_BYTES bytes uncompressed (web: ${#WEB[@]} files, $WEB_LINES lines)"

# --- the commands ------------------------------------------------------------------------------
# name | input (all / web) | command (run by bash from the repository folder)
LF="\"\$(cat $DATA/web/log_format.txt)\""
ROWS=(
    "floor-1|all|$FLOOR -j 1 $DATA/web/*.gz $DATA/email/*.gz $DATA/chat/*.gz"
    "floor-2|all|$FLOOR -j 2 $DATA/web/*.gz $DATA/email/*.gz $DATA/chat/*.gz"
    "zcat|all|zcat $DATA/web/*.gz $DATA/email/*.gz $DATA/chat/*.gz > /dev/null"
    "events|all|$BIN events --pipeline $DATA/pipeline.yaml > /dev/null"
    "events-t1|all|$BIN events --threads 1 --pipeline $DATA/pipeline.yaml > /dev/null"
    "stdin|web|cat $DATA/web/*.gz | $BIN events --format nginx --log-format $LF > /dev/null"
    "stdin-t1|web|cat $DATA/web/*.gz | $BIN events --threads 1 --format nginx --log-format $LF > /dev/null"
    "run|all|JOURNEYS_PII_KEY=$PII_KEY $BIN run --pipeline $DATA/pipeline.yaml --out $OUT/run-out --quiet --max-reject-ratio 1"
    "run-t1|all|JOURNEYS_PII_KEY=$PII_KEY $BIN run --threads 1 --pipeline $DATA/pipeline.yaml --out $OUT/run-t1-out --quiet --max-reject-ratio 1"
)
if [ $HAVE_DUCKDB = 1 ]; then
    ROWS+=("duckdb-2|all|$PY Tests/bench/duckdb_job.py $DATA 2 > /dev/null")
    ROWS+=("duckdb-expert|all|$PY Tests/bench/duckdb_expert.py $DATA 2 > /dev/null")
fi

# One checked run of each journeys and DuckDB command: exit status, its own summary, and how long
# it takes (which decides how many timed runs fit in the budget). The checked `run` (without
# --quiet, for its summary, and with JOURNEYS_TIMINGS=1 for its store's figures) and DuckDB jobs
# (with --out) leave the funnels that are compared below.
declare -A RUNS_OF
: > "$OUT/summaries.txt"
rm -rf "$OUT/run-out" "$OUT/run-t1-out" "$OUT"/duckdb*-out
for row in "${ROWS[@]}"; do
    IFS='|' read -r name input cmd <<<"$row"
    case $name in
        events*|stdin*|run*|duckdb*)
            log "checking $name"
            case $name in
                run*) check="JOURNEYS_TIMINGS=1 ${cmd/ --quiet/} 2> $OUT/$name.stderr" ;;
                duckdb*) check="${cmd/> \/dev\/null/--out $OUT/$name-out > /dev/null 2> $OUT/$name.stderr}" ;;
                *) check="${cmd/> \/dev\/null/> /dev/null 2> $OUT/$name.stderr}" ;;
            esac
            set +e
            /usr/bin/time -f "%e" -o "$OUT/$name.check" bash -c "$check"
            status=$?
            set -e
            wall=$(tail -1 "$OUT/$name.check")
            keep=3
            case $name in duckdb*) keep=5 ;; esac
            printf '%s: exit %s, %s s\n    %s\n' "$name" "$status" "$wall" "$(grep -v '^journeys: warning' "$OUT/$name.stderr" | tail -$keep | tr '\n' ' ')" >> "$OUT/summaries.txt"
            n=$SLOW_RUNS
            if awk -v w="$wall" 'BEGIN { exit !(w > 60) }'; then n=1; elif awk -v w="$wall" 'BEGIN { exit !(w > 20) }'; then n=2; fi
            RUNS_OF[$name]=$n
            ;;
        *) RUNS_OF[$name]=$RUNS ;;
    esac
done

# Funnel checks: the checked `journeys run` against each DuckDB job (a mismatch is printed loudly,
# goes into the report and makes the script exit 1 at the end).
FUNNEL_STATUS=0
if [ $HAVE_DUCKDB = 1 ]; then
    : > "$OUT/funnel-check.md"
    for job in "duckdb-2|the DuckDB job (duckdb-2)" "duckdb-expert|the expert DuckDB job (duckdb-expert)"; do
        IFS='|' read -r name title <<<"$job"
        status=0
        "$PY" Tests/bench/compare_funnel.py "$OUT/run-out" "$OUT/$name-out" "$title" > "$OUT/funnel-$name.md" || status=1
        cat "$OUT/funnel-$name.md" >> "$OUT/funnel-check.md"
        if [ $status = 0 ]; then
            log "funnel check: MATCH (journeys run and $name give the same persons per stage)"
        else
            FUNNEL_STATUS=1
            log "################################################################################"
            log "FUNNEL CHECK: MISMATCH between journeys run and $name (see below)"
            log "################################################################################"
            cat "$OUT/funnel-$name.md" >&2
        fi
    done
else
    printf '## Funnel check\n\n**NO FUNNEL CHECK**: DuckDB could not be installed into %s.\n' "$VENV" > "$OUT/funnel-check.md"
fi

# Timed runs. Each run goes through /usr/bin/time for the peak RSS (of the largest process in
# the command); hyperfine, when present, times the runs and gives the median.
for row in "${ROWS[@]}"; do
    IFS='|' read -r name input cmd <<<"$row"
    n=${RUNS_OF[$name]}
    rm -f "$OUT/$name.rss" "$OUT/$name.csv" "$OUT/$name.loop"
    log "timing $name ($n runs)"
    if [ $HAVE_HYPERFINE = 1 ]; then
        warm=1
        case $name in events*|stdin*|run*|duckdb*) warm=0 ;; esac
        hyperfine -S bash -i --style none --warmup "$warm" --runs "$n" --export-csv "$OUT/$name.csv" -n "$name" \
            "/usr/bin/time -f %M -a -o $OUT/$name.rss bash -c $(printf '%q' "$cmd")" >/dev/null
        # command,mean,stddev,median,user,system,min,max
        read -r wall cpu < <(awk -F, 'NR == 2 { print $4, $5 + $6 }' "$OUT/$name.csv")
    else
        for _ in $(seq "$n"); do
            /usr/bin/time -f "%e %U %S %M" -a -o "$OUT/$name.loop" bash -c "$cmd" >/dev/null 2>&1 || true
        done
        awk '{ print $4 }' "$OUT/$name.loop" > "$OUT/$name.rss"
        read -r wall cpu < <(awk '{ w[NR] = $1; c += $2 + $3 } END { n = asort(w); m = n % 2 ? w[(n + 1) / 2] : (w[n / 2] + w[n / 2 + 1]) / 2; print m, c / NR }' "$OUT/$name.loop")
    fi
    rss=$(sort -n "$OUT/$name.rss" | tail -1)
    echo "$name $input $n $wall $cpu $rss" >> "$OUT/results.$$"
done
mv "$OUT/results.$$" "$OUT/results.txt"

# --- scaling (BENCH_SCALING=1) -------------------------------------------------------------------
# 1×, 2×, 4×, 8× the persons over the same days: does time grow linearly, and memory?
rm -f "$OUT/scaling.txt"
if [ "$SCALING" = 1 ]; then
    median() { sort -n | awk '{ v[NR] = $1 } END { print NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
    for k in $SCALES; do
        sp=$((PERSONS * k))
        sd=$BUILD/bench-data-scale-$k
        if [ "$k" = 1 ]; then sd=$DATA; else generate "$sd" "$sp"; fi
        counts=$("$FLOOR" -j 2 "$sd"/web/*.gz "$sd"/email/*.gz "$sd"/chat/*.gz)
        line="$k $sp $(field lines "$counts") $(field compressed "$counts") $(field uncompressed "$counts")"
        for what in events run; do
            case $what in
                events) cmd="$BIN events --pipeline $sd/pipeline.yaml > /dev/null" ;;
                run) cmd="JOURNEYS_PII_KEY=$PII_KEY $BIN run --pipeline $sd/pipeline.yaml --out $OUT/scale-run-out --quiet --max-reject-ratio 1" ;;
            esac
            rm -f "$OUT/scale-$k-$what.time"
            for i in $(seq "$SCALING_RUNS"); do
                log "scaling: ${k}x $what (run $i of $SCALING_RUNS)"
                if ! /usr/bin/time -f "%e %M" -a -o "$OUT/scale-$k-$what.time" bash -c "$cmd" 2> "$OUT/scale-$k-$what.stderr"; then
                    log "WARNING: scaling ${k}x $what failed (exit status in $OUT/scale-$k-$what.time): $(tail -3 "$OUT/scale-$k-$what.stderr" | tr '\n' ' ')"
                fi
            done
            # GNU time writes "Command exited with non-zero status N" before the figures of a failed run.
            wall=$(grep -v '^Command' "$OUT/scale-$k-$what.time" | awk '{ print $1 }' | median)
            rss=$(grep -v '^Command' "$OUT/scale-$k-$what.time" | awk '{ print $2 }' | sort -n | tail -1)
            line="$line $wall $rss"
        done
        echo "$line" >> "$OUT/scaling.txt"
    done
fi

# --- memory limit (BENCH_MEMLIMIT=1) -------------------------------------------------------------
# `journeys run --memory-limit $MEMLIMIT_SIZE` on the 2× data set (cached with the scaling sets),
# against a run without a limit: peak RSS, and whether every output is the same bytes.
rm -f "$OUT/memlimit.txt"
if [ "$MEMLIMIT" = 1 ]; then
    md=$BUILD/bench-data-scale-2
    generate "$md" $((PERSONS * 2))
    counts=$("$FLOOR" -j 2 "$md"/web/*.gz "$md"/email/*.gz "$md"/chat/*.gz)
    rm -rf "$OUT/memlimit-out" "$OUT/memlimit-ref-out"
    for what in limit ref; do
        case $what in
            limit) args="--memory-limit $MEMLIMIT_SIZE --out $OUT/memlimit-out" ;;
            ref) args="--out $OUT/memlimit-ref-out" ;;
        esac
        log "memory limit: journeys run $args on $md"
        /usr/bin/time -f "%e %M" -o "$OUT/memlimit-$what.time" bash -c \
            "JOURNEYS_PII_KEY=$PII_KEY JOURNEYS_TIMINGS=1 $BIN run --pipeline $md/pipeline.yaml $args --max-reject-ratio 1" \
            2> "$OUT/memlimit-$what.stderr" || log "WARNING: memory limit: the $what run failed: $(tail -3 "$OUT/memlimit-$what.stderr" | tr '\n' ' ')"
    done
    same=no
    if [ -d "$OUT/memlimit-out" ] && [ -d "$OUT/memlimit-ref-out" ] \
        && diff -r -x summary.json -x .journeys.lock "$OUT/memlimit-out" "$OUT/memlimit-ref-out" > "$OUT/memlimit.diff" \
        && diff <(sed '/elapsed_seconds/d; /generated_at/d' "$OUT/memlimit-out/summary.json") <(sed '/elapsed_seconds/d; /generated_at/d' "$OUT/memlimit-ref-out/summary.json") >> "$OUT/memlimit.diff"; then
        same=yes
    fi
    # bytes lines limit-wall limit-peak-KB ref-wall ref-peak-KB same
    echo "$(field uncompressed "$counts") $(field lines "$counts") $(grep -v '^Command' "$OUT/memlimit-limit.time" | tail -1) $(grep -v '^Command' "$OUT/memlimit-ref.time" | tail -1) $same" > "$OUT/memlimit.txt"
fi

# --- microbenchmarks (BENCH_MICRO=0 skips them) ------------------------------------------------
if [ "$MICRO" = 1 ]; then
    log "microbenchmarks (journeys-microbench --reps 5)"
    "$BUILD/release/journeys-microbench" --reps 5 > "$OUT/micro.md"
fi

# --- report ------------------------------------------------------------------------------------
# targets: the table of issue 10's targets, each with what this run measured and "met" or
# "**NOT MET**" (with by how much), or "not measured" when its part was left out.
targets() {
    # row TARGET MEASURED VALUE OP LIMIT: a table row; met when VALUE OP LIMIT (OP: le or ge).
    row() {
        local verdict
        if [ -z "$3" ]; then verdict="not measured"
        else verdict=$(awk -v v="$3" -v op="$4" -v t="$5" 'BEGIN {
            ok = op == "le" ? v <= t : v >= t
            if (ok) print "met"; else if (v == 0 || t == 1) print "**NOT MET**"
            else printf "**NOT MET** (%.2f × %s)\n", op == "le" ? v / t : t / v, op == "le" ? "over" : "short" }')
        fi
        printf '| %s | %s | %s |\n' "$1" "$2" "$verdict"
    }
    wall() { awk -v n="$1" '$1 == n { print $4 }' "$OUT/results.txt"; }
    rss() { awk -v n="$1" '$1 == n { print $6 }' "$OUT/results.txt"; }
    div() { awk -v a="$1" -v b="$2" 'BEGIN { if (a != "" && b > 0) printf "%.4f", a / b }'; }
    # fmt DECIMALS VALUE: VALUE rounded for the table ("?" when missing).
    fmt() { awk -v d="$1" -v v="$2" 'BEGIN { if (v == "") print "?"; else printf "%.*f", d, v }'; }
    # micro COLUMN ROW-PATTERN: that column (7 wall s, 9 MB/s, 10 MB/s cpu, 14 allocs/touchpoint) of
    # the microbenchmark rows whose name matches, as "name value" lines.
    micro() {
        [ ! -f "$OUT/micro.md" ] || awk -F'|' -v c="$1" -v re="$2" '{ n = $2; gsub(/^ +| +$/, "", n); v = $c; gsub(/ /, "", v) }
            n ~ re && v ~ /^[0-9.]+$/ { print n, v }' "$OUT/micro.md"
    }
    # The line of micro's output with the smallest (min) or largest (max) value.
    pick() { awk -v w="$1" 'NR == 1 || (w == "min" ? $NF < b : $NF > b) { b = $NF; l = $0 } END { print l }'; }
    local v f2 run ev ex
    f2=$(wall floor-2); run=$(wall run); ev=$(wall events); ex=$(wall duckdb-expert)
    echo "## Targets of issue 10"
    echo
    echo "Measured in this run (ratios of median wall times and of peak RSS)."
    echo
    echo "| target | measured | |"
    echo "|---|---|---|"
    v=$(div "$run" "$f2")
    row "\`journeys run\` ≤ 3 × floor-2" "run $(fmt 2 "$run") s / floor-2 $(fmt 2 "$f2") s = **$(fmt 2 "$v")**" "$v" le 3
    v=$(div "$ex" "$run")
    row "expert DuckDB / \`journeys run\` ≥ 3.5" "duckdb-expert $(fmt 2 "$ex") s / run $(fmt 2 "$run") s = **$(fmt 2 "$v")**" "$v" ge 3.5
    v=$(div "$(rss run)" "$(rss duckdb-expert)")
    row "\`journeys run\` peak RSS ≤ ⅓ of the expert DuckDB's" "run $(fmt 0 "$(div "$(rss run)" 1024)") MB / duckdb-expert $(fmt 0 "$(div "$(rss duckdb-expert)" 1024)") MB = **$(fmt 2 "$v")**" "$v" le 0.3334
    v=$(div "$ev" "$f2")
    row "\`journeys events\` ≤ 2.5 × floor-2" "events $(fmt 2 "$ev") s / floor-2 $(fmt 2 "$f2") s = **$(fmt 2 "$v")**" "$v" le 2.5
    v=$(micro 9 '^parse nginx$' | awk '{ print $NF }')
    row "nginx ≥ 400 MB/s into touchpoints (one core)" "parse nginx **${v:-n/a} MB/s** ($(micro 10 '^parse nginx$' | awk '{ print $NF }') MB/s of CPU time)" "$v" ge 400
    v=$(micro 9 '^parse (json_access|sendgrid|ses|chat|jsonl)$' | pick min | awk '{ print $NF }')
    row "JSON readers ≥ 150 MB/s (one core)" "slowest **${v:-n/a} MB/s**; $(micro 9 '^parse (json_access|sendgrid|ses|chat|jsonl)$' | sed 's/^parse //' | paste -sd, - | sed 's/,/, /g')" "$v" ge 150
    v=$(micro 14 '^parse ' | pick max | awk '{ print $NF }')
    row "allocations per touchpoint ≤ 0.05" "most: **${v:-n/a}** ($(micro 14 '^parse ' | pick max | awk '{ print $2 }')); $(micro 14 '^parse ' | sed 's/^parse //' | paste -sd, - | sed 's/,/, /g')" "$v" le 0.05
    local t tp mb after
    t=$(grep -o '[0-9]* touchpoints in [0-9]* MB of records' "$OUT/run.stderr" 2>/dev/null | head -1 || true)
    tp=$(awk '{ print $1 }' <<<"$t"); mb=$(awk '{ print $4 }' <<<"$t")
    after=$(grep -o 'resident after reading [0-9]* MB' "$OUT/run.stderr" 2>/dev/null | head -1 | awk '{ print $4 }' || true)
    v=$(div "${mb:+${mb}000000}" "$tp")
    row "memory held per touchpoint ≤ 40 bytes plus interned strings" "store records **$(fmt 1 "$v") B** per touchpoint (${mb:-?} MB for ${tp:-?} touchpoints; the keys' text and key table apart); all in: resident after reading ${after:-?} MB = $(fmt 0 "$(div "${after:+${after}000000}" "$tp")") B per touchpoint (\`JOURNEYS_TIMINGS=1\` of the checked run)" "$v" le 40
    if [ -f "$OUT/scaling.txt" ]; then
        # The worst deviation from linear, time against uncompressed bytes, of events and run over the scales.
        v=$(awk 'NR == 1 { b1 = $5; e1 = $6; r1 = $8 }
            { x = $5 / b1; for (i = 0; i < 2; i++) { d = (i ? $8 / r1 : $6 / e1) / x - 1; if (d < 0) d = -d; if (d > m) m = d } }
            END { printf "%.4f", m }' "$OUT/scaling.txt")
        row "scaling 1×–8×: wall time within 10 % of linear" "worst deviation from linear (time / bytes, events and run, against the smallest scale): **$(awk -v v="$v" 'BEGIN { printf "%.1f %%", v * 100 }')** (table \"Scaling\" below)" "$v" le 0.10
    else
        row "scaling 1×–8×: wall time within 10 % of linear" "not run (\`BENCH_SCALING=1\`)" ""
    fi
    if [ -f "$OUT/memlimit.txt" ]; then
        local bytes lines lw lk rw rk same limit
        read -r bytes lines lw lk rw rk same < "$OUT/memlimit.txt"
        limit=$(awk -v s="$MEMLIMIT_SIZE" 'BEGIN { n = s + 0; u = toupper(substr(s, length(s))); m = u == "K" ? 1024 : u == "M" ? 1048576 : u == "G" ? 1073741824 : 1; print n * m }')
        v=$(awk -v b="$bytes" -v l="$limit" -v k="$lk" -v s="$same" 'BEGIN { print (b >= 5 * l && k * 1024 <= l && s == "yes") ? 1 : 0 }')
        # 1 when all three hold; "NOT MET" alone otherwise (the measured column says which failed).
        row "\`--memory-limit $MEMLIMIT_SIZE\` on ≥ 5 × that input: within the limit, identical outputs" "$(awk -v b="$bytes" -v l="$limit" 'BEGIN { printf "%.0f MB uncompressed (%.1f × the limit)", b / 1e6, b / l }'), peak **$(awk -v k="$lk" 'BEGIN { printf "%.1f", k * 1.024 / 1000 }') MB** of $(awk -v l="$limit" 'BEGIN { printf "%.1f", l / 1e6 }') MB in ${lw:-?} s (no limit: ${rw:-?} s, $(awk -v k="$rk" 'BEGIN { printf "%.0f", k * 1.024 / 1000 }') MB); outputs identical: **$same**" "$v" ge 1
    else
        row "\`--memory-limit $MEMLIMIT_SIZE\` on ≥ 5 × that input: within the limit, identical outputs" "not run (\`BENCH_MEMLIMIT=1\`)" ""
    fi
}
cpu_model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
mem=$(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
{
    echo "## Machine"
    echo
    echo "- CPU: $cpu_model, $(nproc) cores online"
    echo "- Memory: $mem"
    echo "- Kernel: $(uname -sr); $(swift --version 2>/dev/null | head -1); zlib $("$FLOOR" --version); $(zcat --version 2>/dev/null | head -1) (zcat); $(cc --version | head -1)"
    echo "- Load average (1, 5, 15 min) when the bench started: $LOAD_BEFORE; when it ended: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "- Timing: $([ $HAVE_HYPERFINE = 1 ] && hyperfine --version || echo 'a /usr/bin/time loop (hyperfine not installed)')"
    echo
    echo "## Data set"
    echo
    echo "\`$BIN generate --persons $PERSONS --days $DAYS --seed $SEED --out $DATA\` ($stamp):"
    echo "${#ALL[@]} files, $ALL_LINES lines, $ALL_GZ bytes gzipped, $ALL_BYTES bytes uncompressed;"
    echo "web only (the stdin rows): ${#WEB[@]} files, $WEB_LINES lines, $WEB_GZ bytes gzipped, $WEB_BYTES bytes uncompressed."
    echo
    echo "## Commands"
    echo
    for row in "${ROWS[@]}"; do
        IFS='|' read -r name input cmd <<<"$row"
        echo "- $name: \`$cmd\`"
    done
    echo
    echo "## Figures"
    echo
    echo "Wall: median of the timed runs. CPU: user + system, mean per run. RSS: peak of the largest process."
    echo "MB = 10^6 bytes of uncompressed input. \"x floor\" and \"x zcat\": how many times longer than the"
    echo "floor on 2 cores / zcat the command takes per byte of input (1.0 = as fast)."
    echo
    awk -v ab="$ALL_BYTES" -v al="$ALL_LINES" -v wb="$WEB_BYTES" -v wl="$WEB_LINES" '
        { name[NR] = $1; input[NR] = $2; runs[NR] = $3; wall[NR] = $4; cpu[NR] = $5; rss[NR] = $6
          bytes[NR] = $2 == "all" ? ab : wb; lines[NR] = $2 == "all" ? al : wl
          rate[NR] = bytes[NR] / $4; if ($1 == "floor-2") f2 = rate[NR]; if ($1 == "zcat") zc = rate[NR] }
        END {
          printf "| command | input | runs | wall s | CPU s | peak RSS MB | MB/s | lines/s | x floor (2 cores) | x zcat |\n"
          printf "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|\n"
          for (i = 1; i <= NR; i++)
            printf "| %s | %s | %d | %.2f | %.2f | %.0f | %.0f | %.0f | %.2f | %.2f |\n", name[i], input[i], runs[i], wall[i], cpu[i],
                   rss[i] / 1024, rate[i] / 1e6, lines[i] / wall[i], f2 / rate[i], zc / rate[i]
        }' "$OUT/results.txt"
    echo
    echo "## Ratios"
    echo
    echo "Of median wall times (and of peak RSS or CPU time where it says so); \"n/a\" when a row is missing."
    echo
    awk '{ w[$1] = $4; c[$1] = $5; r[$1] = $6 }
        function ratio(a, b, what, unit,   v) {
            if (!(a in w) || !(b in w) || w[b] == 0) { printf "- %s: n/a\n", what; return }
            v = unit == "rss" ? r[a] / r[b] : unit == "cpu" ? c[a] / c[b] : w[a] / w[b]
            printf "- %s: %.2f\n", what, v
        }
        END {
            ratio("run", "floor-2", "journeys run / floor-2 (how many times the zlib floor on 2 cores the full run takes)")
            ratio("run-t1", "floor-1", "journeys run --threads 1 / floor-1")
            ratio("duckdb-2", "run", "DuckDB (2 threads) / journeys run (how many times faster journeys is)")
            ratio("run", "duckdb-2", "journeys run peak RSS / DuckDB peak RSS", "rss")
            ratio("duckdb-expert", "run", "expert DuckDB (2 threads) / journeys run (how many times faster journeys is)")
            ratio("run", "duckdb-expert", "journeys run peak RSS / expert DuckDB peak RSS", "rss")
            ratio("events", "floor-2", "journeys events / floor-2")
            ratio("run", "events", "journeys run / journeys events (what stitching and the reports add)")
            ratio("duckdb-expert", "run", "CPU time (user + system) of the expert DuckDB / of journeys run (less swayed by other load than wall time)", "cpu")
            ratio("run", "floor-2", "CPU time of journeys run / of floor-2", "cpu")
        }' "$OUT/results.txt"
    echo
    targets
    echo
    cat "$OUT/funnel-check.md"
    if [ -f "$OUT/scaling.txt" ]; then
        echo
        echo "## Scaling"
        echo
        echo "\`journeys generate --persons PERSONS×K --days $DAYS --seed $SEED\` (cached in $BUILD/bench-data-scale-K/);"
        echo "$SCALING_RUNS run(s) of each command per scale, median wall; RSS: peak of the largest process;"
        echo "\"x 1×\": the ratio to the 1× row (for time, 2.00 at 2× is linear)."
        echo
        awk '{ k[NR] = $1; p[NR] = $2; l[NR] = $3; gz[NR] = $4; ub[NR] = $5; ew[NR] = $6; er[NR] = $7; rw[NR] = $8; rr[NR] = $9
               if ($1 == 1) { ew1 = $6; er1 = $7; rw1 = $8; rr1 = $9 } }
            function x(v, base) { return base > 0 ? sprintf("%.2f", v / base) : "n/a" }
            END {
              if (ew1 == "") { ew1 = ew[1]; er1 = er[1]; rw1 = rw[1]; rr1 = rr[1] }
              printf "| scale | persons | lines | gzipped MB | events wall s | x 1× | events RSS MB | x 1× | run wall s | x 1× | run RSS MB | x 1× |\n"
              printf "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n"
              for (i = 1; i <= NR; i++)
                printf "| %dx | %d | %d | %.1f | %.2f | %s | %.0f | %s | %.2f | %s | %.0f | %s |\n", k[i], p[i], l[i], gz[i] / 1e6,
                       ew[i], x(ew[i], ew1), er[i] / 1024, x(er[i], er1), rw[i], x(rw[i], rw1), rr[i] / 1024, x(rr[i], rr1)
            }' "$OUT/scaling.txt"
    fi
    if [ -f "$OUT/memlimit.txt" ]; then
        echo
        echo "## Memory limit"
        echo
        read -r bytes lines lw lk rw rk same < "$OUT/memlimit.txt"
        echo "\`JOURNEYS_TIMINGS=1 $BIN run --pipeline $BUILD/bench-data-scale-2/pipeline.yaml --memory-limit $MEMLIMIT_SIZE --out $OUT/memlimit-out --max-reject-ratio 1\`"
        echo "against the same without \`--memory-limit\` (\`--out $OUT/memlimit-ref-out\`), on the 2× data set ($lines lines, $bytes bytes"
        echo "uncompressed); \`diff -r\` of the outputs, summary.json's elapsed_seconds aside: identical **$same**."
        echo
        echo "| run | wall s | peak RSS KB (/usr/bin/time) |"
        echo "|---|---:|---:|"
        echo "| --memory-limit $MEMLIMIT_SIZE | $lw | $lk |"
        echo "| no limit | $rw | $rk |"
        echo
        echo "The limited run said: $(grep -E '^(journeys: )?(timings|note)' "$OUT/memlimit-limit.stderr" | tr '\n' ' ')"
    fi
    echo
    if [ "$MICRO" = 1 ]; then
        echo "## Microbenchmarks (one thread, \`journeys-microbench --reps 5\`)"
        echo
        cat "$OUT/micro.md"
        echo
    fi
    echo "## journeys' and DuckDB's own summaries (one checked run each)"
    echo
    echo '```'
    cat "$OUT/summaries.txt"
    echo '```'
    echo
    echo "Line counts from the floor: all $ALL_LINES, web $WEB_LINES. Bench took $((SECONDS - START_SECONDS)) s."
} > "$OUT/report.md"
cat "$OUT/report.md"
if [ $FUNNEL_STATUS != 0 ]; then
    log "FUNNEL CHECK: MISMATCH between journeys run and a DuckDB job: see \"Funnel check\" in $OUT/report.md"
    exit 1
fi
