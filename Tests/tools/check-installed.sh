#!/usr/bin/env bash
# Part of make check-install: what make install put under PREFIX, and that uninstall (run on a
# second install, under GONE) leaves none of it behind.
set -euo pipefail
prefix=${1:?usage: check-installed.sh PREFIX GONE}
gone=${2:?usage: check-installed.sh PREFIX GONE}
fail() { echo "check-install: $*" >&2; exit 1; }
test -x "$prefix/bin/journeys" || fail "no $prefix/bin/journeys"
grep -q '^\.Dt JOURNEYS 1' "$prefix/share/man/man1/journeys.1" || fail "no manual page"
bash_c="$prefix/share/bash-completion/completions/journeys"
grep -q "'--format')" "$bash_c" && grep -q "'combined'" "$bash_c" || fail "bash completion offers no --format values"
grep -A1 "'--pipeline')" "$bash_c" | grep -q 'yaml|yml' || fail "bash completion offers no pipeline files"
test -s "$prefix/share/zsh/site-functions/_journeys" || fail "no zsh completion"
test -s "$prefix/share/fish/vendor_completions.d/journeys.fish" || fail "no fish completion"
left=$(find "$gone" -type f 2>/dev/null | head -5)
[ -z "$left" ] || fail "uninstall left: $left"
echo "check-install: ok: binary, manual page and bash / zsh / fish completions in $prefix; uninstall removes them"
