#!/usr/bin/env bash
# The --state contract (issue 12): fourteen nightly runs over a log folder that logrotate
# rotates (access.log -> access.log.1 -> access.log.2.gz ...), with a log that grows between
# two runs, an email and a chat file per night, a chat export that arrives five nights late,
# runs killed with SIGKILL at four moments, and one night run twice, end with reports
# byte-identical to one run without state over everything.
#
# Usage: Tests/tools/nightly-state.sh [path/to/journeys]   (make test runs it)
set -euo pipefail
J=$(realpath "${1:-.build/debug/journeys}")
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
export JOURNEYS_PII_KEY=journeys-test-key-not-secret-0123456789
fail() { echo "nightly-state: FAIL: $*" >&2; tail -20 "$W/stderr" >&2; exit 1; }

: > "$W/stderr"
"$J" generate --persons 400 --days 14 --seed 12 --out "$W/gen" >/dev/null 2>&1
mkdir -p "$W/logs/web" "$W/logs/email" "$W/logs/chat"
sed -e 's#web/access-\*\.log\.gz#logs/web#' -e 's#email/sendgrid-\*\.json\.gz#logs/email#' -e 's#chat/chat-\*\.jsonl\.gz#logs/chat#' \
  "$W/gen/pipeline.yaml" > "$W/pipeline.yaml"
grep -q 'path: logs/web' "$W/pipeline.yaml" || fail "could not point the pipeline at the rotating folder"
days=($(ls "$W/gen/web" | sed -n 's/^access-\(.*\)\.log\.gz$/\1/p'))
[ ${#days[@]} -eq 14 ] || fail "expected 14 generated days, got ${#days[@]}"

# logrotate with delaycompress: access.log.N.gz -> N+1, access.log.1 -> access.log.2.gz, access.log -> access.log.1.
rotate() {
  local d=$W/logs/web n
  for n in $(ls "$d" | sed -n 's/^access\.log\.\([0-9]*\)\.gz$/\1/p' | sort -rn); do mv "$d/access.log.$n.gz" "$d/access.log.$((n + 1)).gz"; done
  if [ -f "$d/access.log.1" ]; then gzip -n "$d/access.log.1"; mv "$d/access.log.1.gz" "$d/access.log.2.gz"; fi
  if [ -f "$d/access.log" ]; then mv "$d/access.log" "$d/access.log.1"; fi
}
night() { # night N: yesterday's logs are complete, today's access.log has its first lines
  local i=$1 day=${days[$1]}
  zcat "$W/gen/web/access-$day.log.gz" > "$W/day.log"
  local lines; lines=$(wc -l < "$W/day.log")
  if [ -f "$W/logs/web/access.log" ]; then
    tail -n +$(( $(wc -l < "$W/logs/web/access.log") + 1 )) "$W/day.log" >> "$W/logs/web/access.log" # the rest of the day
  else
    cp "$W/day.log" "$W/logs/web/access.log"
  fi
  rotate
  if [ $((i + 1)) -lt 14 ]; then # the first tenth of the next day, already written when cron runs
    zcat "$W/gen/web/access-${days[$((i + 1))]}.log.gz" > "$W/next.log"
    head -n $(( $(wc -l < "$W/next.log") / 10 )) "$W/next.log" > "$W/logs/web/access.log"
  fi
  cp "$W/gen/email/sendgrid-$day.json.gz" "$W/logs/email/"
  if [ "$i" -ne 3 ]; then cp "$W/gen/chat/chat-$day.jsonl.gz" "$W/logs/chat/"; fi
  if [ "$i" -eq 8 ]; then cp "$W/gen/chat/chat-${days[3]}.jsonl.gz" "$W/logs/chat/"; fi # late data: night 3's chat export
  : "$lines"
}
run() { "$J" run --pipeline "$W/pipeline.yaml" --out "$W/out" --state "$W/state" --quiet "$@" 2>>"$W/stderr"; }

for i in $(seq 0 13); do
  night "$i"
  case $i in
    5) # killed while running, at once (before anything is written) and again a moment later
       set +e; { run & pid=$!; kill -9 $pid; wait $pid; } 2>/dev/null
       { run & pid=$!; sleep 0.3; kill -9 $pid; wait $pid; } 2>/dev/null; set -e ;;
    7) set +e; JOURNEYS_TEST_FAULT=kill-before-state-commit run; rc=$?; set -e
       [ $rc -eq 137 ] || fail "night 7: the run before the state commit was to be killed (137), got $rc" ;;
    10) set +e; JOURNEYS_TEST_FAULT=kill-after-state-commit run; rc=$?; set -e
       [ $rc -eq 137 ] || fail "night 10: the run after the state commit was to be killed (137), got $rc" ;;
  esac
  run || fail "night $i: exit $?"
  if [ "$i" -eq 11 ]; then # the same night again changes nothing
    cp -r "$W/out" "$W/out-11"
    run || fail "night 11 again: exit $?"
    for f in "$W"/out-11/*.csv "$W"/out-11/*.json; do
      [ "$(basename "$f")" = summary.json ] && continue
      cmp -s "$f" "$W/out/$(basename "$f")" || fail "night 11 run twice: $(basename "$f") changed"
    done
  fi
done
ls "$W/logs/web" | grep -q '^access\.log\.14\.gz$' || fail "the folder did not rotate as planned: $(ls "$W/logs/web" | tr '\n' ' ')"
"$J" state verify "$W/state" >/dev/null || fail "state verify"

# One run without state over everything the folders hold now.
"$J" run --pipeline "$W/pipeline.yaml" --out "$W/all" --quiet 2>>"$W/stderr" || fail "the stateless run: exit $?"
n=0
for f in "$W"/all/*.csv "$W"/all/*.json; do
  b=$(basename "$f")
  [ "$b" = summary.json ] && continue
  cmp "$f" "$W/out/$b" || fail "$b differs from the stateless run's"
  n=$((n + 1))
done
totals() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(json.dumps([d["totals"], d["funnel"]]))' "$1"; }
[ "$(totals "$W/all/summary.json")" = "$(totals "$W/out/summary.json")" ] || fail "summary.json totals or funnel differ"
persons=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["totals"]["persons"])' "$W/out/summary.json")
[ "$persons" -gt 100 ] || fail "only $persons persons: the comparison would prove little"
echo "nightly-state: ok: 14 nights with 4 kills, a late file and a repeated night; $n reports and summary totals byte-identical to one stateless run ($persons persons)"
