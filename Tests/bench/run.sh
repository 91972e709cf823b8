#!/usr/bin/env bash
# `make bench`: how fast `journeys events` reads gzipped logs, next to zcat and a zlib floor.
#
# Builds the release binary, generates (once, cached in .build/bench-data/) a data set with
# `journeys generate`, compiles Tests/bench/floor.c, and times, in one run:
#   floor -j 1, floor -j 2     plain zlib inflate + line count: nothing reads these files faster
#   zcat FILES > /dev/null     what most people would compare with
#   journeys events --pipeline (all files, default threads and --threads 1)
#   cat web/*.gz | journeys events --format nginx … (one concatenated stream on stdin, both thread counts)
# Reports the median wall time, CPU (user+sys), peak RSS, MB/s of uncompressed input, lines/s
# and how many times slower than the floor (2 cores) and zcat each command is, per byte.
# The report goes to standard output and .build/bench/report.md; copy it into BENCHMARKS.md.
#
# Settings (environment): BENCH_PERSONS (60000), BENCH_DAYS (30), BENCH_SEED (42),
# BENCH_RUNS (5, runs of the fast commands), BENCH_SLOW_RUNS (3, runs of each journeys command),
# BENCH_BUILD_DIR (.build: the build folder, which also holds the data set and the results).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

PERSONS=${BENCH_PERSONS:-60000}
DAYS=${BENCH_DAYS:-30}
SEED=${BENCH_SEED:-42}
RUNS=${BENCH_RUNS:-5}
SLOW_RUNS=${BENCH_SLOW_RUNS:-3}
BUILD=${BENCH_BUILD_DIR:-.build}
DATA=$BUILD/bench-data
BIN=$BUILD/release/journeys
FLOOR=$BUILD/bench-floor
OUT=$BUILD/bench
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

# --- build, floor, data ----------------------------------------------------------------------
log "building the release binary"
swift build -c release --product journeys --scratch-path "$BUILD" >&2
mkdir -p "$OUT"
cc -O2 -o "$FLOOR" Tests/bench/floor.c -lz

stamp="$("$BIN" generate --version) persons=$PERSONS days=$DAYS seed=$SEED"
if [ ! -f "$DATA/.stamp" ] || [ "$(cat "$DATA/.stamp")" != "$stamp" ]; then
    log "generating the data set ($stamp) into $DATA"
    rm -rf "$DATA"
    /usr/bin/time -f "bench: generated in %e s (%U s user, %M KB peak)" \
        "$BIN" generate --persons "$PERSONS" --days "$DAYS" --seed "$SEED" --out "$DATA"
    echo "$stamp" > "$DATA/.stamp"
else
    log "using the cached data set in $DATA ($stamp)"
fi

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
)

# One checked run of each journeys command: exit status, its own summary, and how long it takes
# (which decides how many timed runs fit in the budget).
declare -A RUNS_OF
: > "$OUT/summaries.txt"
for row in "${ROWS[@]}"; do
    IFS='|' read -r name input cmd <<<"$row"
    case $name in
        events*|stdin*)
            log "checking $name"
            set +e
            /usr/bin/time -f "%e" -o "$OUT/$name.check" bash -c "${cmd/> \/dev\/null/> /dev/null 2> $OUT/$name.stderr}"
            status=$?
            set -e
            wall=$(tail -1 "$OUT/$name.check")
            printf '%s: exit %s, %s s\n    %s\n' "$name" "$status" "$wall" "$(grep -v '^journeys: warning' "$OUT/$name.stderr" | tail -3 | tr '\n' ' ')" >> "$OUT/summaries.txt"
            n=$SLOW_RUNS
            if awk -v w="$wall" 'BEGIN { exit !(w > 60) }'; then n=1; elif awk -v w="$wall" 'BEGIN { exit !(w > 20) }'; then n=2; fi
            RUNS_OF[$name]=$n
            ;;
        *) RUNS_OF[$name]=$RUNS ;;
    esac
done

# Timed runs. Each run goes through /usr/bin/time for the peak RSS (of the largest process in
# the command); hyperfine, when present, times the runs and gives the median.
for row in "${ROWS[@]}"; do
    IFS='|' read -r name input cmd <<<"$row"
    n=${RUNS_OF[$name]}
    rm -f "$OUT/$name.rss" "$OUT/$name.csv" "$OUT/$name.loop"
    log "timing $name ($n runs)"
    if [ $HAVE_HYPERFINE = 1 ]; then
        warm=1
        case $name in events*|stdin*) warm=0 ;; esac
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

# --- report ------------------------------------------------------------------------------------
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
    echo "## journeys' own summaries (one checked run each)"
    echo
    echo '```'
    cat "$OUT/summaries.txt"
    echo '```'
    echo
    echo "Line counts from the floor: all $ALL_LINES, web $WEB_LINES. Bench took $((SECONDS - START_SECONDS)) s."
} > "$OUT/report.md"
cat "$OUT/report.md"
