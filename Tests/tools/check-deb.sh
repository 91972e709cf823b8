#!/usr/bin/env bash
# make check-deb: the .deb installs and runs on a clean Debian without Swift. A minimal
# bookworm is made with debootstrap (or DEBROOT names one made before), the package is installed
# in it with apt, journeys runs --version, a run over a fixture log and `state info`, and the
# package is removed again. Needs root (chroot, mount) and debootstrap.
#
# Usage: Tests/tools/check-deb.sh path/to/journeys_VERSION_ARCH.deb
set -euo pipefail
deb=$(realpath "$1")
fail() { echo "check-deb: FAIL: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || fail "needs root (debootstrap, chroot, mount)"
command -v debootstrap >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap; }
root=${DEBROOT:-}
made=
if [ -z "$root" ]; then
  root=$(mktemp -d /tmp/journeys-debroot.XXXXXX)
  made=$root
  echo "check-deb: debootstrap --variant=minbase bookworm $root"
  debootstrap --variant=minbase bookworm "$root" http://deb.debian.org/debian >"$root.log" 2>&1 || fail "debootstrap (see $root.log)"
fi
cleanup() {
  umount "$root/proc" 2>/dev/null || true
  [ -n "$made" ] && rm -rf "$made" "$made.log"
  rm -rf "${work:-}"
}
trap cleanup EXIT
mount -t proc proc "$root/proc"
in_root() { chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root "$@"; }

# A clean system: no Swift anywhere.
in_root sh -c 'command -v swift' && fail "the chroot has swift"
[ -z "$(find "$root" -name 'libswiftCore.so*' -print -quit 2>/dev/null)" ] || fail "the chroot has libswiftCore"

work=$root/tmp/check-deb
rm -rf "$work"; mkdir -p "$work"
cp "$deb" "$work/"
cp fixtures/web/access.log "$work/access.log"
in_root apt-get install -y -qq --no-download "/tmp/check-deb/$(basename "$deb")" >/dev/null 2>&1 \
  || in_root apt-get install -y "/tmp/check-deb/$(basename "$deb")" || fail "apt install of the package"
in_root journeys --version | grep -q . || fail "journeys --version"
echo "check-deb: installed $(in_root journeys --version) at /usr/bin/journeys; ldd: $(in_root ldd /usr/bin/journeys | awk '{print $1}' | tr '\n' ' ')"
in_root ldd /usr/bin/journeys | grep -Eq 'libswift|libFoundation|libdispatch' && fail "the binary links Swift libraries"
set +e
in_root env JOURNEYS_PII_KEY=check-deb-key-not-secret-0123456789abcdef journeys run --max-reject-ratio 1 --format combined \
  --out /tmp/check-deb/out --state /tmp/check-deb/state /tmp/check-deb/access.log 2>"$work/stderr"
rc=$?
set -e
[ $rc -eq 0 ] || { cat "$work/stderr" >&2; fail "journeys run exited $rc"; }
[ -s "$work/out/journeys.csv" ] || fail "no journeys.csv"
in_root journeys state verify /tmp/check-deb/state >/dev/null || fail "state verify"
in_root man -w journeys >/dev/null 2>&1 || [ -f "$root/usr/share/man/man1/journeys.1.gz" ] || [ -f "$root/usr/share/man/man1/journeys.1" ] || fail "no manual page"
in_root apt-get remove -y -qq journeys >/dev/null 2>&1 || fail "apt remove"
[ ! -e "$root/usr/bin/journeys" ] || fail "the binary is still there after apt remove"
echo "check-deb: ok: the package installed, ran (exit 0, $(($(wc -l < "$work/out/journeys.csv") - 1)) journeys) and was removed on a clean Debian bookworm without Swift"
