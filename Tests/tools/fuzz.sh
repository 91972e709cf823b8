#!/usr/bin/env bash
# make fuzz: runs each libFuzzer target of journeys-fuzz for FUZZ_SECONDS (default 60) with a
# seed corpus from fixtures/. A crash input is kept in Tests/fuzz-corpus/<target>/ (replayed by
# FuzzCorpusTests in make test). Prints executions per target; exits 1 when any target crashed.
set -u
BIN=${FUZZ_BIN:-.build-fuzz/release/journeys-fuzz}
SECONDS_PER=${FUZZ_SECONDS:-60}
WORK=${FUZZ_WORK:-.build-fuzz/corpus}
TARGETS=${FUZZ_TARGETS:-gzip_lines pipeline combined common nginx w3c json_access sendgrid ses chat jsonl csv}
export SWIFT_BACKTRACE=enable=no   # a crashing target hangs in Swift's backtracer otherwise
seeds() {
  case $1 in
    gzip_lines) ls fixtures/web/*.gz fixtures/email/*.gz fixtures/chat/*.gz fixtures/web/common.log ;;
    pipeline) ls pipelines/*.yaml fixtures/hostile/pipeline.yaml ;;
    combined|common|nginx) ls fixtures/web/access.log fixtures/web/common.log fixtures/web/custom.log fixtures/hostile/access.log ;;
    w3c) ls fixtures/web/iis.log fixtures/web/cloudfront.log ;;
    json_access) ls fixtures/web/access.json fixtures/web/caddy.json fixtures/web/traefik.json ;;
    sendgrid) ls fixtures/email/sendgrid_events.ndjson fixtures/email/sendgrid_batch.json fixtures/hostile/sendgrid.ndjson ;;
    ses) ls fixtures/email/ses_events.ndjson ;;
    chat) ls fixtures/chat/chat.jsonl fixtures/chat/intercom_like.jsonl fixtures/hostile/chat.jsonl ;;
    jsonl) ls fixtures/generic/events.jsonl ;;
    csv) ls fixtures/generic/orders.csv ;;
  esac
}
status=0
total=0
printf '%-12s %12s %8s %s\n' target executions seconds crashes
for t in $TARGETS; do
  mkdir -p "$WORK/$t" "Tests/fuzz-corpus/$t"
  for f in $(seeds $t); do
    # Seeds: the first 8 KiB of each fixture (whole for gzip and pipeline files), and each of its first lines.
    if [ $t = gzip_lines ] || [ $t = pipeline ]; then cp "$f" "$WORK/$t/"; else head -c 8192 "$f" > "$WORK/$t/$(basename $f).head"; head -n 20 "$f" | split -l 1 - "$WORK/$t/$(basename $f).line."; fi
  done
  before=$(ls "Tests/fuzz-corpus/$t" | wc -l)
  log=$(mktemp)
  JOURNEYS_FUZZ_TARGET=$t "$BIN" -max_total_time="$SECONDS_PER" -max_len=8192 -rss_limit_mb=4096 -timeout=20 \
    -print_final_stats=1 -artifact_prefix="Tests/fuzz-corpus/$t/" "$WORK/$t" >"$log" 2>&1
  rc=$?
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
  after=$(ls "Tests/fuzz-corpus/$t" | wc -l)
  printf '%-12s %12s %8s %s\n' "$t" "${runs:-?}" "$SECONDS_PER" "$((after - before))"
  total=$((total + ${runs:-0}))
  if [ $rc -ne 0 ] || [ "$after" -gt "$before" ]; then status=1; tail -40 "$log"; fi
  rm -f "$log"
done
echo "total executions: $total"
exit $status
