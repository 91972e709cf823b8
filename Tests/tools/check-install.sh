#!/usr/bin/env bash
# make check-install: the binary make install puts in place needs no Swift toolchain. It links
# no Swift runtime, Foundation or Dispatch library (ldd), and it runs from a folder of its own
# with an empty environment (so no LD_LIBRARY_PATH or PATH leads to the toolchain): --version,
# and a run over a sample log that publishes its reports.
set -euo pipefail
bin=${1:?usage: check-install.sh BINARY}
if linked=$(ldd "$bin" | grep -E 'libswift|libFoundation|libdispatch'); then
  echo "check-install: $bin links the Swift runtime dynamically:" >&2
  echo "$linked" >&2
  exit 1
fi
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cp "$bin" "$dir/journeys"
cp fixtures/web/access.log.gz "$dir/"
version=$(env -i "$dir/journeys" --version)
(cd "$dir" && env -i JOURNEYS_PII_KEY=check-install-key-not-secret-0123456789 ./journeys run --quiet --max-reject-ratio 1 --out out access.log.gz)
test -s "$dir/out/summary.json" && test -s "$dir/out/journeys.csv"
echo "check-install: ok: $bin ($version) links no libswift*, libFoundation* or libdispatch*, and ran from $dir with an empty environment"
